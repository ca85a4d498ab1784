/**
 * The result a write tool returns (shared/spec/interface.md, "What a write
 * tool returns"), from a call's Outcome: accepted, blocked (a normal result),
 * rejected and unknown (isError). Every one points at the call's one ledger
 * record by `audit_id`.
 */
import type { CallToolResult } from "../tools/result.js";
import type { Decision } from "../gate/types.js";
import type { AuditRecord } from "../state/index.js";
import type { Outcome } from "./outcome.js";
import { gateSummary } from "./record.js";

export interface ResultContext {
  remoteTool: string;
  broker: string;
  /** mainnet | testnet | demo | custom | simulator */
  environment: string;
  orderLinkId?: string;
  /** The pure gate's decision; null when the gate never ran (the lock was not taken). */
  decision: Decision | null;
  /** The call's ledger record, or null when it could not be written. */
  record: AuditRecord | null;
  /** Why the record could not be written. */
  auditError?: string;
  /** A pause's approval request. */
  approval?: { id: string; expires_at: string; ask_user: string };
}

/**
 * The text rendering leads with the JSON, status, decision, audit_id and
 * live_action first: Vibe-Trading's SSE relay looks for `"live_action"` and
 * the audit_id in the first 200 characters of a tool result (its preview)
 * to emit the live.action event. The sentence for a person follows.
 */
function result(data: Record<string, unknown>, text: string, isError = false): CallToolResult {
  const { status, decision, audit_id, live_action, ...rest } = data;
  const ordered = { status, decision, audit_id, live_action, ...rest };
  return { content: [{ type: "text", text: `${JSON.stringify(ordered)}\n${text}` }], structuredContent: ordered, ...(isError ? { isError } : {}) };
}

/** The decision a step after the gate made: a deny of its own, leaving the gate's decision as it was. */
function stepDecision(d: Decision | null, step: string, reason: string) {
  return {
    decision: "deny" as const,
    reason,
    requires_reauthorization: false,
    breach: { limit: step, kind: "pipeline", limit_value: null, attempted_value: null, overage: null, detail: reason },
    proposed_action: d?.proposed_action,
  };
}

export function toToolResult(outcome: Outcome, ctx: ResultContext): CallToolResult {
  const auditId = ctx.record?.audit_id ?? null;
  const common = { remote_tool: ctx.remoteTool, environment: ctx.environment, audit_id: auditId, ...(ctx.auditError ? { audit_error: ctx.auditError } : {}) };
  // As Vibe-Trading's guard embeds it: its SSE relay turns a result carrying live_action into one live.action event.
  const liveAction = { live_action: ctx.record };
  const summary = ctx.decision ? gateSummary(ctx.decision) : null;
  const what = ctx.decision?.intent_normalized ?? ctx.remoteTool;
  switch (outcome.type) {
    case "accepted": {
      const data: Record<string, unknown> = { status: "accepted", decision: "allow", ...common, broker_response: outcome.response, gate_decision: summary, ...liveAction };
      if (outcome.note) data.note = outcome.note;
      return result(data, `Accepted by Bybit: ${what}.${outcome.note ? ` ${outcome.note}` : ""}`);
    }
    case "rejected": {
      const data: Record<string, unknown> = { status: "rejected", decision: "allow", ...common, ret_code: outcome.retCode, ret_msg: outcome.retMsg, ...liveAction };
      if (ctx.orderLinkId) data.order_link_id = ctx.orderLinkId;
      const code = outcome.retCode !== null ? ` (retCode ${outcome.retCode})` : "";
      return result(data, `The gate allowed it but Bybit refused it${code}: ${outcome.retMsg}. No trade was counted.`, true);
    }
    case "unknown": {
      const data: Record<string, unknown> = { status: "unknown", decision: "allow", ...common, order_link_id: ctx.orderLinkId ?? null, detail: outcome.detail, ...liveAction };
      const check = ctx.orderLinkId ? `Check bybit_get_open_orders / bybit_get_order_history for orderLinkId ${ctx.orderLinkId}.` : "Check open orders and positions.";
      return result(data, `Outcome unknown: ${outcome.detail} It was NOT sent again, and it still counts toward today's trades. ${check}`, true);
    }
    case "refused": {
      const d = outcome.step === "gate" && ctx.decision ? ctx.decision : stepDecision(ctx.decision, outcome.step, outcome.reason);
      const data: Record<string, unknown> = {
        status: "blocked",
        decision: d.decision,
        reason: d.reason,
        broker: ctx.broker,
        ...common,
        requires_reauthorization: d.requires_reauthorization,
        ...liveAction,
      };
      if (outcome.step !== "gate") data.refused_step = outcome.step;
      if (d.breach) data.breach = { ...d.breach, proposed_action: d.proposed_action };
      if (ctx.approval) data.approval = ctx.approval;
      const verb = d.decision === "pause_for_reauth" ? "Paused for re-authorization" : "Denied";
      const by = outcome.step === "gate" ? "by the mandate gate" : `before sending (${outcome.step})`;
      return result(data, `${verb} ${by}: ${d.reason} Nothing was sent to Bybit.${ctx.approval ? ` ${ctx.approval.ask_user}` : ""}`);
    }
  }
}
