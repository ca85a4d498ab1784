/**
 * One ledger record per gated call, as Vibe-Trading's readers take it (the
 * audit record table in shared/reference/vibe-trading-compat.md):
 *
 * | situation                                   | kind            | outcome  | gate_decision                          |
 * | no/invalid mandate, expired, halted, intent, | order_rejected  | blocked  | {allowed:false, decision, checked_limits} |
 * |   lock or any step after the gate refused    |                 |          |                                         |
 * | a check_mandate breach (universe, caps, ...) | breach          | blocked  | {allowed:false, decision, limit, kind, limit_value, attempted_value} |
 * | allowed, accepted                            | order_placed / order_cancelled | accepted | {allowed:true, decision:"allow", checked_limits} |
 * | allowed, Bybit refused                       | order_rejected  | error    | as above, error = retCode and message  |
 * | allowed, outcome unknown after the lookup    | order_rejected  | error    | as above, error says it may have executed |
 *
 * `server` is the broker key. Our keys follow Vibe-Trading's 14: the pure
 * gate's decision as made (`explanation`, replayable from `facts`), and for a
 * step's refusal `refused_step`, so the record never rewrites the Decision.
 */
import { CONTRACT_LIMITS } from "../gate/decide.js";
import type { Decision } from "../gate/types.js";
import type { AuditInput, AuditKind } from "../state/index.js";
import type { NormalizedCall } from "./normalize.js";
import type { Outcome } from "./outcome.js";

/**
 * The breaches of Vibe-Trading's check_mandate (steps 2-10 of its checked
 * limits, from exclude_symbols on) and our own quantitative or universe
 * checks: kind "breach". The steps before them (mandate, expiry, halt, intent) are "order_rejected".
 */
const BREACH_LIMITS: ReadonlySet<string> = new Set([...CONTRACT_LIMITS.slice(CONTRACT_LIMITS.indexOf("exclude_symbols")), "option_limits", "price_band"]);

export interface RecordContext {
  sessionId: string;
  broker: string;
}

export interface MandateRefs {
  snapshot: string | null;
  consent: string | null;
}

/** What a gated call's record is built from. */
export interface CallRecordInput {
  call: NormalizedCall;
  remoteTool: string;
  decisionId: string;
  /** The pure gate's decision, as made; null when the gate never ran (the lock could not be taken). */
  decision: Decision | null;
  refs: MandateRefs;
  outcome: Outcome;
  /** Extra keys of ours (approval_id, reconciled, ...). */
  extra?: Record<string, unknown>;
}

/** The failing limit of a refusing decision: the last of its checked_limits. */
function failingLimit(d: Decision): string | undefined {
  return d.checked_limits[d.checked_limits.length - 1];
}

/** gate_decision as Vibe-Trading's LiveActionEvent holds it: always an object. */
export function gateDecisionObject(d: Decision | null, outcome: Outcome): Record<string, unknown> {
  if (outcome.type === "refused" && outcome.step !== "gate") {
    return { allowed: false, decision: "deny", checked_limits: [...(d?.checked_limits ?? []), outcome.step] };
  }
  if (!d) return { allowed: false, decision: "deny", checked_limits: [] };
  if (d.allowed) return { allowed: true, decision: "allow", checked_limits: d.checked_limits };
  const limit = failingLimit(d);
  if (limit !== undefined && BREACH_LIMITS.has(limit) && d.breach) {
    return {
      allowed: false,
      decision: d.decision,
      limit: d.breach.limit,
      kind: d.breach.kind,
      limit_value: d.breach.limit_value,
      attempted_value: d.breach.attempted_value,
    };
  }
  return { allowed: false, decision: d.decision, checked_limits: d.checked_limits };
}

function kindOf(call: NormalizedCall, d: Decision | null, outcome: Outcome): AuditKind {
  switch (outcome.type) {
    case "accepted":
      return call.tool === "cancel_order" || call.tool === "cancel_all_orders" ? "order_cancelled" : "order_placed";
    case "rejected":
    case "unknown":
      return "order_rejected";
    case "refused": {
      if (outcome.step !== "gate" || !d) return "order_rejected";
      const limit = failingLimit(d);
      return limit !== undefined && BREACH_LIMITS.has(limit) ? "breach" : "order_rejected";
    }
  }
}

/** The pure gate's decision, for the ledger and results (replayable from `facts`). */
export function gateSummary(d: Decision) {
  return {
    decision: d.decision,
    reason: d.reason,
    decided_by: d.decided_by,
    checked_limits: d.checked_limits,
    rules_revision: d.rules_revision,
  };
}

/** The one ledger record of a gated call. */
export function ledgerInput(ctx: RecordContext, r: CallRecordInput): AuditInput {
  const { call, decision: d, outcome } = r;
  const base = {
    kind: kindOf(call, d, outcome),
    session_id: ctx.sessionId,
    intent_normalized: d?.intent_normalized ?? `${call.tool} ${call.intent.symbol}`,
    mandate_snapshot_ref: r.refs.snapshot,
    consent_record_ref: r.refs.consent,
    broker_request: { path: call.path, body: call.body },
    gate_decision: gateDecisionObject(d, outcome),
    server: ctx.broker,
    remote_tool: r.remoteTool,
  };
  const extra: Record<string, unknown> = {
    decision_id: r.decisionId,
    rules_revision: d?.rules_revision ?? null,
    order_link_id: call.orderLinkId ?? null,
    explanation: d ? gateSummary(d) : null,
    breach: d?.breach ?? null,
    ...(outcome.type === "refused" && outcome.step !== "gate" ? { refused_step: outcome.step } : {}),
    ...r.extra,
    facts: d?.facts ?? null,
  };
  switch (outcome.type) {
    case "accepted":
      return { ...base, outcome: "accepted", broker_response: outcome.response, error: null, extra: outcome.note ? { ...extra, note: outcome.note } : extra };
    case "rejected":
      return {
        ...base,
        outcome: "error",
        broker_response: outcome.response,
        error: outcome.retCode !== null ? `retCode ${outcome.retCode}: ${outcome.retMsg}` : outcome.retMsg,
        extra,
      };
    case "unknown":
      return {
        ...base,
        outcome: "unknown",
        broker_response: null,
        error: `outcome unknown, the order may have executed: ${outcome.detail}`,
        extra,
      };
    case "refused":
      return { ...base, outcome: "blocked", broker_response: null, error: outcome.reason, extra };
  }
}
