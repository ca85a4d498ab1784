/**
 * The error catalogue: the stable codes callers match on (never message
 * text), for thrown errors and for the `code` field of tool errors. Errors
 * of the server itself are BybitMcpError subclasses; argument problems
 * (E_INTENT, E_DECIMAL) and unexpected failures (E_INTERNAL) surface as
 * tool errors with their code. Messages are one sentence for a person and never carry an
 * API key, secret or token (no error takes request headers or options).
 */

export const ERROR_CODES = {
  E_CONFIG: "an environment variable or option has a bad value",
  E_USAGE: "a command was called with bad arguments",
  E_NO_CREDENTIALS: "a private endpoint was called without BYBIT_API_KEY / BYBIT_API_SECRET",
  E_BYBIT_API: "Bybit answered with a retCode other than 0",
  E_HTTP_STATUS: "Bybit answered with an HTTP status other than 200",
  E_NETWORK: "the connection failed or dropped before a full answer arrived",
  E_TIMEOUT: "no full answer arrived within BYBIT_HTTP_TIMEOUT",
  E_BAD_RESPONSE: "the answer was not a Bybit v5 JSON envelope",
  E_RULES: "the rule set is missing, unreadable or invalid",
  E_STATE: "a state file (HALT, counter) is unreadable or corrupt",
  E_LOCK: "the per-broker order lock could not be taken in time",
  E_AUDIT: "the audit ledger could not be written or its chain is broken",
  E_JOURNAL: "the write-ahead journal (live/<broker>/inflight.jsonl) could not be read or written; nothing was sent",
  E_APPROVAL: "an approval request is unknown, malformed, or not in a state that allows this step (already decided, used, or expired)",
  E_INTENT: "a write tool's arguments do not make an order (e.g. Limit without price); nothing was sent",
  E_DECIMAL: "a quantity or price is not a plain decimal number",
  E_INTERNAL: "an unexpected failure inside the server; details are in its log",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class: a stable code, a one-sentence message and an optional cause. */
export class BybitMcpError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad environment variable or CLI option; `variable` names it. Exit code 2. */
export class ConfigError extends BybitMcpError {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super("E_CONFIG", message);
  }
}

/** Bad CLI usage. Exit code 2. */
export class UsageError extends BybitMcpError {
  constructor(message: string) {
    super("E_USAGE", message);
  }
}

/** A private tool was called but no API key/secret is configured. */
export class NoCredentialsError extends BybitMcpError {
  constructor(endpoint: string) {
    super("E_NO_CREDENTIALS", `${endpoint} needs an API key: set BYBIT_API_KEY and BYBIT_API_SECRET.`);
  }
}

/** Bybit answered retCode != 0 (HTTP 200). Carries retCode, retMsg and the endpoint path. */
export class BybitApiError extends BybitMcpError {
  /** For 10006: when the rate-limit window resets (server ms), from X-Bapi-Limit-Reset-Timestamp. */
  resetAtMs?: number;
  constructor(
    readonly retCode: number,
    readonly retMsg: string,
    readonly endpoint: string,
  ) {
    super("E_BYBIT_API", `Bybit ${endpoint} answered retCode ${retCode}: ${retMsg}`);
  }
}

/** Bybit answered a non-200 HTTP status (401, 403, 404, 429, 5xx). */
export class HttpStatusError extends BybitMcpError {
  constructor(
    readonly httpStatus: number,
    readonly endpoint: string,
    detail = "",
  ) {
    super("E_HTTP_STATUS", `Bybit ${endpoint} answered HTTP ${httpStatus}${detail ? `: ${detail}` : ""}`);
  }
}

/**
 * The connection failed. `maybeSent` is true when the request may have
 * reached the exchange (a write's outcome is then unknown).
 */
export class NetworkError extends BybitMcpError {
  constructor(
    readonly endpoint: string,
    readonly maybeSent: boolean,
    cause?: unknown,
  ) {
    super("E_NETWORK", `connection to Bybit failed during ${endpoint}`, { cause });
  }
}

/** No full answer within the configured timeout; the request may have been sent. */
export class TimeoutError extends BybitMcpError {
  constructor(
    readonly endpoint: string,
    readonly timeoutMs: number,
  ) {
    super("E_TIMEOUT", `Bybit ${endpoint} did not answer within ${timeoutMs} ms`);
  }
}

/** The body was not a JSON v5 envelope. */
export class BadResponseError extends BybitMcpError {
  constructor(
    readonly endpoint: string,
    detail: string,
  ) {
    super("E_BAD_RESPONSE", `Bybit ${endpoint} answered something that is not a v5 envelope: ${detail}`);
  }
}

/** One problem with a mandate field: a dot path ("hard_caps.max_leverage") and why. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The rule set failed to load or lint; `problems` lists each finding. */
export class RulesError extends BybitMcpError {
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super("E_RULES", message);
  }
}

/** A state file (HALT location, trade counter) is unreadable or corrupt. */
export class StateError extends BybitMcpError {
  constructor(
    message: string,
    readonly file?: string,
    cause?: unknown,
  ) {
    super("E_STATE", message, { cause });
  }
}

/** The per-broker order lock was held by another process for longer than the bound. */
export class LockError extends BybitMcpError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super("E_LOCK", message);
  }
}

/** The audit ledger could not be appended to, or its hash chain is broken. */
export class AuditError extends BybitMcpError {
  constructor(message: string, cause?: unknown) {
    super("E_AUDIT", message, { cause });
  }
}

/** The write-ahead journal could not be read or written: no order is sent without its entry. */
export class JournalError extends BybitMcpError {
  constructor(message: string, cause?: unknown) {
    super("E_JOURNAL", message, { cause });
  }
}

/**
 * An approval request cannot take this step: unknown or malformed id, already
 * decided or used, or expired. `status` is what was found ("unknown" when
 * there is no such request), so a caller can pause or deny without parsing
 * the message.
 */
export class ApprovalError extends BybitMcpError {
  constructor(
    message: string,
    readonly approvalId: string,
    readonly status: "unknown" | "pending" | "approved" | "rejected" | "consumed" | "expired",
  ) {
    super("E_APPROVAL", message);
  }
}

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
