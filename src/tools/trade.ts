/**
 * The six write tools. Each one goes through the mandate gate and the audit
 * ledger (src/trading/service.ts); none has a default for category, symbol,
 * side, order type or qty.
 */
import { z } from "zod";
import { IntentError, ORDER_LINK_ID, normalizeAmend, normalizeCancel, normalizeCancelAll, normalizeLeverage, normalizePlace, normalizeTradingStop, type NormalizedCall } from "../trading/normalize.js";
import type { ServerDeps } from "../server/deps.js";
import type { CallToolResult } from "./result.js";
import { DecimalFormatError } from "../util/decimal.js";
import { NO_CLIENT, type ToolContext } from "../server/elicit.js";
import { orderHash } from "../state/approvals.js";
import { approvalOrder } from "../trading/approvals.js";
import type { TradingService } from "../trading/service.js";
import { category, decimal, defineTool, errorResult, side, symbol, WRITE } from "./common.js";
import { writeOut as output } from "./output.js";

const orderLinkId = z.string().regex(ORDER_LINK_ID, "order_link_id: at most 36 of A-Z a-z 0-9 - _");
const orderId = z.string().min(1).max(64);
/** An approval the user gave for exactly this order; it never approves anything by itself. */
const approvalId = z.string().regex(/^apr_[0-9a-f]{32}$/, "approval_id: apr_ and 32 hex");
const coin = z.string().regex(/^[A-Za-z0-9]{1,20}$/);

/** Arguments of bybit_place_order, shared with bybit_check_order. */
export const placeOrderInput = z.strictObject({
  category,
  symbol,
  side,
  order_type: z.string().regex(/^(market|limit)$/i, "order_type must be Market or Limit"),
  qty: decimal,
  price: decimal.optional(),
  time_in_force: z.enum(["GTC", "IOC", "FOK", "PostOnly"]).optional(),
  reduce_only: z.boolean().optional(),
  order_link_id: orderLinkId.optional(),
  take_profit: decimal.optional(),
  stop_loss: decimal.optional(),
  position_idx: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  market_unit: z.enum(["baseCoin", "quoteCoin"]).optional(),
  notional_usd: decimal.optional(),
});

/**
 * The steps every gated tool (and bybit_check_order) takes before the gate:
 * keys present, arguments normalized. Returns the call, or the one-sentence
 * tool error for arguments that make no order.
 */
export function prepareCall(deps: ServerDeps, remoteTool: string, needs: string, build: () => NormalizedCall): NormalizedCall | CallToolResult {
  if (!deps.hasCredentials) {
    return errorResult(`${remoteTool} ${needs}, so it needs an API key: set BYBIT_API_KEY and BYBIT_API_SECRET.`, { code: "E_NO_CREDENTIALS" });
  }
  try {
    return build();
  } catch (err) {
    if (err instanceof IntentError || err instanceof DecimalFormatError) {
      return errorResult(`${remoteTool}: ${err.message}. Nothing was sent.`, { code: "E_INTENT" });
    }
    throw err;
  }
}

/** Normalize, then run through the gate and, on allow, to the exchange. */
export async function gated(deps: ServerDeps, remoteTool: string, build: () => NormalizedCall, ctx: ToolContext = NO_CLIENT): Promise<CallToolResult> {
  const call = prepareCall(deps, remoteTool, "trades on your account", build);
  if ("content" in call) return call;
  const trading = await deps.trading();
  if (ctx.clientSupportsUrlElicitation() && !ctx.canAskAndWait()) return gatedAskingLater(deps, trading, call, remoteTool, ctx);
  const result = await trading.execute(call, remoteTool);
  const approval = (result.structuredContent as { approval?: { id: string; ask_user: string } } | undefined)?.approval;
  if (!approval || !ctx.canAskAndWait()) return result;
  // URL-mode elicitation: send the person to the console's page for this request. The URL
  // grants nothing (approving needs the console's own session); only the request's file,
  // approved by a person, lets the same call go on.
  const answer = await ctx.elicitUrl({ message: approval.ask_user, url: `${deps.config.consoleUrl}/approvals/${approval.id}`, elicitationId: approval.id });
  if (answer !== "accept") return result;
  if ((await trading.awaitApproval(approval.id, ELICIT_WAIT_MS)) !== "approved") return result;
  return trading.execute({ ...call, approvalId: approval.id }, remoteTool);
}

/**
 * URL-mode elicitation on a 2026-07-28 call, which re-runs from the start
 * with the user's answer instead of waiting in place. The question's id is
 * derived from the order itself, so the re-run finds the answer; then the
 * request the person decided for this very order (its newest) is used, once
 * approved. A first run that pauses asks (input_required); an answer that
 * comes back without an approval gives the envelope.
 */
async function gatedAskingLater(deps: ServerDeps, trading: TradingService, call: NormalizedCall, remoteTool: string, ctx: ToolContext): Promise<CallToolResult> {
  const elicitationId = `bybit-mcp-approval-${orderHash(approvalOrder(call, remoteTool))}`;
  const answer = ctx.answerFor(elicitationId);
  if (answer === "accept") {
    const request = await trading.latestApprovalFor(call, remoteTool);
    if (request && (request.status === "approved" || (await trading.awaitApproval(request.id, ELICIT_WAIT_MS)) === "approved")) {
      return trading.execute({ ...call, approvalId: request.id }, remoteTool);
    }
  }
  const result = await trading.execute(call, remoteTool);
  const approval = (result.structuredContent as { approval?: { id: string; ask_user: string } } | undefined)?.approval;
  if (!approval || answer !== undefined) return result;
  // Throws the SDK's input_required signal: the client asks the user and calls again with the answer.
  await ctx.elicitUrl({ message: approval.ask_user, url: `${deps.config.consoleUrl}/approvals/${approval.id}`, elicitationId });
  return result;
}

/** How long a call waits for the person after they accepted to open the approval page. */
const ELICIT_WAIT_MS = 120_000;

/** Place an order: forwarded only when the gate allows, with an orderLinkId for idempotency. */
export const placeOrder = defineTool({
  name: "bybit_place_order",
  title: "Place order",
  description:
    "Place an order, checked first against the user's mandate. Returns accepted, blocked (with reason), rejected or unknown. " +
    "qty: base coin (linear/option), USD contracts (inverse), quote coin for spot Market Buy unless market_unit=baseCoin. notional_usd: your own USD estimate; the larger of it and the gate's is checked.",
  // approval_id: only the order itself goes through on an approval (bybit_check_order takes none).
  input: placeOrderInput.extend({ approval_id: approvalId.optional() }),
  output,
  annotations: WRITE,
  handler: (a, deps, ctx) => gated(deps, "bybit_place_order", () => ({ ...normalizePlace(a), approvalId: a.approval_id }), ctx),
});

/** Amend a resting order; the larger of notional_usd and new qty x live price is checked. */
export const amendOrder = defineTool({
  name: "bybit_amend_order",
  title: "Amend order",
  description: "Change qty, price or TP/SL of a resting order, checked against the mandate.",
  input: z.strictObject({
    category,
    symbol,
    order_id: orderId.optional(),
    order_link_id: orderLinkId.optional(),
    qty: decimal.optional(),
    price: decimal.optional(),
    take_profit: decimal.optional(),
    stop_loss: decimal.optional(),
    notional_usd: decimal.optional(),
    approval_id: approvalId.optional(),
  }),
  output,
  annotations: WRITE,
  handler: (a, deps, ctx) => gated(deps, "bybit_amend_order", () => ({ ...normalizeAmend(a), approvalId: a.approval_id }), ctx),
});

/** Cancel one order. Reduces risk: passes a halt and an expired mandate; audited. */
export const cancelOrder = defineTool({
  name: "bybit_cancel_order",
  title: "Cancel order",
  description: "Cancel a resting order by order_id or order_link_id. Allowed during a halt; audited.",
  input: z.strictObject({ category, symbol, order_id: orderId.optional(), order_link_id: orderLinkId.optional() }),
  output,
  annotations: WRITE,
  handler: (a, deps) => gated(deps, "bybit_cancel_order", () => normalizeCancel(a)),
});

/** Cancel all resting orders in a scope. */
export const cancelAllOrders = defineTool({
  name: "bybit_cancel_all_orders",
  title: "Cancel all orders",
  description: "Cancel all resting orders of a category; linear/inverse need symbol, base_coin or settle_coin. During a halt: entry orders only.",
  input: z.strictObject({ category, symbol: symbol.optional(), base_coin: coin.optional(), settle_coin: coin.optional() }),
  output,
  annotations: WRITE,
  handler: (a, deps) => gated(deps, "bybit_cancel_all_orders", () => normalizeCancelAll(a)),
});

/** Set leverage; above the mandate's max_leverage is denied. */
export const setLeverage = defineTool({
  name: "bybit_set_leverage",
  title: "Set leverage",
  description: "Set leverage of a linear/inverse symbol; above the mandate max_leverage is denied.",
  input: z.strictObject({ category, symbol, leverage: decimal }),
  output,
  annotations: WRITE,
  handler: (a, deps) => gated(deps, "bybit_set_leverage", () => normalizeLeverage(a)),
});

/** Set TP/SL/trailing stop on a position. */
export const setTradingStop = defineTool({
  name: "bybit_set_trading_stop",
  title: "Set trading stop",
  description: "Set take-profit, stop-loss or trailing stop on a linear/inverse position (0 clears one). tpsl_mode defaults to Full. Needs a mandate, no halt.",
  input: z.strictObject({
    category,
    symbol,
    position_idx: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    take_profit: decimal.optional(),
    stop_loss: decimal.optional(),
    trailing_stop: decimal.optional(),
    tpsl_mode: z.enum(["Full", "Partial"]).optional(),
  }),
  output,
  annotations: WRITE,
  handler: (a, deps) => gated(deps, "bybit_set_trading_stop", () => normalizeTradingStop(a)),
});

export const tradeTools = [placeOrder, amendOrder, cancelOrder, cancelAllOrders, setLeverage, setTradingStop];
