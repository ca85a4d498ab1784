/**
 * The result shapes a write tool returns (the shared contract: shared/spec/interface.md, "What a write tool
 * returns"): accepted, blocked (a normal result), rejected and unknown
 * (isError), each pointing at its audit record.
 */
import type { CallToolResult } from "../tools/result.js";
import type { Decision } from "../gate/types.js";
import type { AuditRecord } from "../state/index.js";

/** What the ledger and results say about the gate's decision. */
export function gateSummary(d: Decision) {
  return {
    decision: d.decision,
    reason: d.reason,
    decided_by: d.decided_by,
    checked_limits: d.checked_limits,
    rules_revision: d.rules_revision,
  };
}

function result(data: Record<string, unknown>, text: string, isError = false): CallToolResult {
  return { content: [{ type: "text", text: `${text}\n${JSON.stringify(data)}` }], structuredContent: data, ...(isError ? { isError } : {}) };
}

export function acceptedResult(opts: {
  remoteTool: string;
  brokerResponse: unknown;
  auditId: string | null;
  decision: Decision;
  note?: string;
  warnings?: string[];
}): CallToolResult {
  const data: Record<string, unknown> = {
    status: "accepted",
    decision: "allow",
    remote_tool: opts.remoteTool,
    broker_response: opts.brokerResponse,
    audit_id: opts.auditId,
    gate_decision: gateSummary(opts.decision),
  };
  if (opts.note) data.note = opts.note;
  if (opts.warnings?.length) data.warnings = opts.warnings;
  return result(data, `Accepted by Bybit: ${opts.decision.intent_normalized}.${opts.note ? ` ${opts.note}` : ""}`);
}

export function blockedResult(opts: { decision: Decision; broker: string; remoteTool: string; record: AuditRecord | null; auditError?: string }): CallToolResult {
  const d = opts.decision;
  const data: Record<string, unknown> = {
    status: "blocked",
    decision: d.decision,
    reason: d.reason,
    broker: opts.broker,
    remote_tool: opts.remoteTool,
    requires_reauthorization: d.requires_reauthorization,
    live_action: opts.record,
  };
  if (d.breach) data.breach = { ...d.breach, proposed_action: d.proposed_action };
  if (opts.auditError) data.audit_error = opts.auditError;
  const what = d.decision === "pause_for_reauth" ? "Paused for re-authorization" : "Denied";
  return result(data, `${what} by the mandate gate: ${d.reason} Nothing was sent to Bybit.`);
}

export function rejectedResult(opts: { retCode: number | null; retMsg: string; auditId: string | null; remoteTool: string; orderLinkId?: string }): CallToolResult {
  const data: Record<string, unknown> = {
    status: "rejected",
    decision: "allow",
    remote_tool: opts.remoteTool,
    ret_code: opts.retCode,
    ret_msg: opts.retMsg,
    audit_id: opts.auditId,
  };
  if (opts.orderLinkId) data.order_link_id = opts.orderLinkId;
  return result(data, `The gate allowed it but Bybit refused it${opts.retCode !== null ? ` (retCode ${opts.retCode})` : ""}: ${opts.retMsg}. No trade was counted.`, true);
}

export function unknownResult(opts: { orderLinkId: string | undefined; auditId: string | null; remoteTool: string; detail: string }): CallToolResult {
  const data: Record<string, unknown> = {
    status: "unknown",
    decision: "allow",
    remote_tool: opts.remoteTool,
    order_link_id: opts.orderLinkId ?? null,
    audit_id: opts.auditId,
    detail: opts.detail,
  };
  return result(
    data,
    `Outcome unknown: ${opts.detail} It was NOT sent again. ${opts.orderLinkId ? `Check bybit_get_open_orders / bybit_get_order_history for orderLinkId ${opts.orderLinkId}.` : "Check open orders and positions."}`,
    true,
  );
}
