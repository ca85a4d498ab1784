/**
 * A paused order the user lets through once (shared/spec/interface.md,
 * "Approvals"). Pure helpers for the write path:
 *
 *  - which pauses can be approved: the quantitative caps only; structural
 *    rules, the halt and expiry are never waived;
 *  - what the user approves: the order without its orderLinkId (a retry gets
 *    a new one), hashed, so any other order does not match;
 *  - the waiver: the mandate with only the approved caps raised to the
 *    attempted values the user saw (plus the price tolerance), so the retry
 *    is decided by the same rules over the same facts. A breach that grew
 *    past that, or another cap breached, pauses again.
 */
import type { Decision, Mandate } from "../gate/types.js";
import type { ApprovalOrder, ApprovalRequest } from "../state/approvals.js";
import { decAdd, decCmp, decDiv, decMul, decToNumber, isDecimal, toDecimalString } from "../util/decimal.js";
import type { NormalizedCall } from "./normalize.js";

/** The caps an approval can raise. */
const WAIVABLE = new Set(["max_order_notional_usd", "max_total_exposure_usd", "max_leverage", "max_trades_per_day", "account_funding_usd"]);

export const DEFAULT_PRICE_TOLERANCE_PCT = "1";

/** A pause a person may approve once: a quantitative cap, decided by the gate. */
export function approvable(d: Decision): boolean {
  return d.decision === "pause_for_reauth" && d.breach !== undefined && WAIVABLE.has(d.breach.limit);
}

export function approvalOrder(call: NormalizedCall, remoteTool: string): ApprovalOrder {
  const body = { ...call.body };
  if (call.tool === "place_order") delete body.orderLinkId;
  return { tool: call.tool as ApprovalOrder["tool"], remote_tool: remoteTool, body };
}

/** One sentence the agent can show the user. */
export function askUser(a: Pick<ApprovalRequest, "id" | "expires_at" | "intent_normalized" | "reason">): string {
  return (
    `The mandate paused "${a.intent_normalized}": ${a.reason.replace(/\.$/, "")}. To let this one order through, the user runs ` +
    `"bybit-mcp approve ${a.id}" (or approves it in "bybit-mcp console"); then retry the identical call with approval_id "${a.id}" before ${a.expires_at}.`
  );
}

function raised(attempted: number | string | null, tolerancePct: string, integer: boolean): number | null {
  if (attempted === null || !isDecimal(String(attempted))) return null;
  const a = toDecimalString(attempted);
  if (integer) return decToNumber(a);
  return decToNumber(decAdd(a, decDiv(decMul(a, tolerancePct), "100", 12)));
}

/**
 * The mandate with the approved caps raised to what the user saw. Funding is
 * the leverage denominator: raising it lowers max_leverage in proportion, so
 * the leverage check binds exactly as before.
 */
export function waivedMandate(m: Mandate, approval: ApprovalRequest): Mandate {
  const out = structuredClone(m) as Mandate;
  const caps = out.hard_caps as unknown as Record<string, number>;
  const tol = approval.price_tolerance_pct || DEFAULT_PRICE_TOLERANCE_PCT;
  for (const b of approval.breaches) {
    if (!WAIVABLE.has(b.limit)) continue;
    const to = raised(b.attempted_value, tol, b.limit === "max_trades_per_day");
    const current = caps[b.limit];
    if (to === null || current === undefined || decCmp(String(to), String(current)) <= 0) continue;
    if (b.limit === "account_funding_usd") {
      caps.max_leverage = decToNumber(decDiv(decMul(String(caps.max_leverage), String(current)), String(to), 12));
    }
    caps[b.limit] = to;
  }
  return out;
}
