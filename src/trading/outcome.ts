/**
 * A gated call's fate as plain data. Every call ends in exactly one
 * Outcome; one function (results.ts toToolResult) turns it into the tool
 * result and one (record.ts ledgerInput) into its ledger record.
 *
 *  - accepted: Bybit took it (or it was already so: "not modified");
 *  - rejected: Bybit answered no, or the request provably never left;
 *  - unknown:  it may have reached Bybit and no answer or lookup proves either way;
 *  - refused:  it was never sent; `step` names what refused it — the gate
 *    (the pure Decision), or a step after it (lock, halt re-check, journal, ...).
 *    A step's refusal is its own: the Decision it follows is left as made.
 */
import { BadResponseError, BybitApiError, HttpStatusError, NetworkError, TimeoutError } from "../errors.js";
import type { GateTool } from "../gate/types.js";

/** Steps of the write path that can refuse a call the gate allowed (or, for "gate", the gate itself). */
export type RefusalStep =
  | "gate"
  | "order_lock"
  | "halt_recheck"
  | "mandate_changed"
  | "order_link_id"
  | "counter"
  | "journal"
  | "audit_ledger"
  | "protective_orders"
  | "approval"
  | "shutdown";

export type Outcome =
  | { type: "accepted"; response: unknown; note?: string }
  | { type: "rejected"; retCode: number | null; retMsg: string; response: unknown }
  | { type: "unknown"; detail: string }
  | { type: "refused"; step: RefusalStep; reason: string };

/**
 * Thrown by the last check before the wire (see service.ts): the request
 * was not sent, and `step` says why.
 */
export class NotSentError extends Error {
  constructor(
    readonly step: RefusalStep,
    message: string,
  ) {
    super(message);
    this.name = "NotSentError";
  }
}

/**
 * Exchange answers that mean "maybe done" rather than "refused": server
 * errors and timeouts behind Bybit's gateway (10000 Server Timeout, 10016,
 * spot 170007 backend timeout, 170146/170147 order create/cancel timeout).
 */
export const UNKNOWN_RET_CODES: ReadonlySet<number> = new Set([10000, 10016, 170007, 170146, 170147]);
/** "Not modified" answers: the state already is what was asked. */
const NOT_MODIFIED: Partial<Record<GateTool, number>> = { set_leverage: 110043, set_trading_stop: 34040 };

/** What an error from a forwarded write means for the call. */
export type ForwardErrorClass =
  | { kind: "not_modified"; retCode: number; retMsg: string }
  | { kind: "not_sent"; step: RefusalStep; reason: string }
  | { kind: "refused"; retCode: number | null; retMsg: string }
  | { kind: "maybe"; detail: string; expected: boolean };

/** Classify an error thrown by client.post for `tool` (table-tested in test/trading/outcome.test.ts). */
export function classifyForwardError(tool: GateTool, err: unknown): ForwardErrorClass {
  if (err instanceof NotSentError) return { kind: "not_sent", step: err.step, reason: err.message };
  if (err instanceof BybitApiError) {
    if (NOT_MODIFIED[tool] === err.retCode) return { kind: "not_modified", retCode: err.retCode, retMsg: err.retMsg };
    if (!UNKNOWN_RET_CODES.has(err.retCode)) return { kind: "refused", retCode: err.retCode, retMsg: err.retMsg };
    return { kind: "maybe", detail: `${err.message}.`, expected: true };
  }
  if (err instanceof HttpStatusError && err.httpStatus < 500) return { kind: "refused", retCode: null, retMsg: err.message };
  if (err instanceof NetworkError && !err.maybeSent) return { kind: "refused", retCode: null, retMsg: err.message };
  if (err instanceof TimeoutError || err instanceof NetworkError || err instanceof BadResponseError || err instanceof HttpStatusError) {
    return { kind: "maybe", detail: `${err.message}.`, expected: true };
  }
  return { kind: "maybe", detail: "An unexpected error happened after sending.", expected: false };
}
