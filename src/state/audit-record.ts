/**
 * One ledger record as this server writes it: Vibe-Trading's keys in its
 * order (agent/src/live/audit.py), then ours; redacted before anything is
 * written.
 *
 * Outcomes. Vibe-Trading's enum is accepted | filled | rejected | error |
 * blocked. Its writer does not check it, but its readers and UI only know
 * those five, so our two extra states are mapped onto it: an input outcome
 * "pending" (written BEFORE the order is sent, carrying the orderLinkId) or
 * "unknown" (the call may have reached Bybit, no answer) is recorded as
 * outcome "error" with our extra key `status: "pending" | "unknown"` and, when
 * the caller gave none, an `error` sentence saying so. A Vibe-Trading reader
 * therefore never mistakes such a record for a success.
 */
import { randomUUID } from "node:crypto";
import { AuditError } from "../errors.js";
import { CHAIN_KEYS } from "./chain.js";
import { redact } from "./redact.js";

export type AuditKind =
  | "order_placed"
  | "order_cancelled"
  | "order_rejected"
  | "mandate_committed"
  | "breach"
  | "halt_tripped"
  | "halt_cleared";
export type AuditOutcome = "accepted" | "filled" | "rejected" | "error" | "blocked";

export const AUDIT_KINDS: readonly AuditKind[] = [
  "order_placed",
  "order_cancelled",
  "order_rejected",
  "mandate_committed",
  "breach",
  "halt_tripped",
  "halt_cleared",
];
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ["accepted", "filled", "rejected", "error", "blocked"];

/** Vibe-Trading's record keys, in its order. */
export const BASE_KEYS = [
  "audit_id",
  "ts",
  "session_id",
  "kind",
  "intent_normalized",
  "mandate_snapshot_ref",
  "consent_record_ref",
  "broker_request",
  "broker_response",
  "outcome",
  "gate_decision",
  "server",
  "remote_tool",
  "error",
] as const;

export interface AuditInput {
  kind: AuditKind;
  session_id: string;
  /** e.g. "buy $100.00 BTCUSDT (linear)"; null when no intent was parsed. */
  intent_normalized: string | null;
  /** The mandate's consent_token_sha256. */
  mandate_snapshot_ref: string | null;
  /** The mandate's consent.account_ref. */
  consent_record_ref: string | null;
  broker_request: unknown;
  broker_response: unknown;
  outcome: AuditOutcome | "pending" | "unknown";
  gate_decision: unknown;
  server: string;
  remote_tool: string;
  error: string | null;
  /** Our own keys (decision id, rules revision, facts, orderLinkId...), written after Vibe-Trading's. */
  extra?: Record<string, unknown>;
}

/** One ledger record as written to audit.jsonl (redacted). */
export interface AuditRecord {
  audit_id: string;
  ts: string;
  session_id: string;
  kind: AuditKind;
  intent_normalized: string | null;
  mandate_snapshot_ref: string | null;
  consent_record_ref: string | null;
  broker_request: unknown;
  broker_response: unknown;
  outcome: AuditOutcome;
  gate_decision: unknown;
  server: string;
  remote_tool: string;
  error: string | null;
  /** Present when the input outcome was "pending" or "unknown" (outcome is then "error"). */
  status?: "pending" | "unknown";
  /** Where redaction replaced something (dot paths); always present on our records. */
  redacted_paths?: string[];
  [extra: string]: unknown;
}

const STATUS_ERROR = {
  pending: "outcome pending: recorded before the order was sent; a later record gives the result",
  unknown: "outcome unknown: the request may have reached Bybit but no answer arrived",
} as const;

const RESERVED = new Set<string>([...BASE_KEYS, ...CHAIN_KEYS, "status", "redacted_paths"]);

/** Build the redacted record for `input` (exported for tests and the schema check). */
export function buildRecord(input: AuditInput, nowMs: number, extraSecrets: string[] = []): AuditRecord {
  if (!AUDIT_KINDS.includes(input.kind)) throw new AuditError(`unknown audit kind ${JSON.stringify(input.kind)}`);
  const pendingOrUnknown = input.outcome === "pending" || input.outcome === "unknown";
  if (!pendingOrUnknown && !AUDIT_OUTCOMES.includes(input.outcome as AuditOutcome)) {
    throw new AuditError(`unknown audit outcome ${JSON.stringify(input.outcome)}`);
  }
  const raw: Record<string, unknown> = {
    audit_id: `la_${randomUUID().replace(/-/g, "")}`,
    ts: new Date(nowMs).toISOString().replace("Z", "+00:00"),
    session_id: input.session_id,
    kind: input.kind,
    intent_normalized: input.intent_normalized,
    mandate_snapshot_ref: input.mandate_snapshot_ref,
    consent_record_ref: input.consent_record_ref,
    broker_request: input.broker_request ?? null,
    broker_response: input.broker_response ?? null,
    outcome: pendingOrUnknown ? "error" : input.outcome,
    gate_decision: input.gate_decision ?? null,
    server: input.server,
    remote_tool: input.remote_tool,
    error: input.error ?? (pendingOrUnknown ? STATUS_ERROR[input.outcome as "pending" | "unknown"] : null),
  };
  if (pendingOrUnknown) raw.status = input.outcome;
  for (const [k, v] of Object.entries(input.extra ?? {})) {
    if (RESERVED.has(k)) throw new AuditError(`extra key ${JSON.stringify(k)} would overwrite a ledger key`);
    raw[k] = v;
  }
  const { value, redactedPaths } = redact(raw, extraSecrets);
  return { ...(value as AuditRecord), redacted_paths: redactedPaths };
}
