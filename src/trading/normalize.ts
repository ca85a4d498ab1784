/**
 * Turn validated tool arguments into (a) the gate's GateIntent and (b) the
 * exact Bybit request body: enums canonical, symbols upper-cased, decimals
 * exact strings. Nothing here has a default for category, symbol, side,
 * order type or qty; a bad combination throws IntentError (one sentence).
 */
import { randomBytes } from "node:crypto";
import { decCmp, toDecimalString } from "../util/decimal.js";
import type { Category, GateIntent, GateTool, Side } from "../gate/types.js";

export class IntentError extends Error {
  readonly code = "E_INTENT";
}

/** Bybit's orderLinkId: at most 36 of [A-Za-z0-9-_]. */
export const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;

/** A fresh orderLinkId: "bmcp-" + 24 hex = 29 chars. */
export function newOrderLinkId(): string {
  return `bmcp-${randomBytes(12).toString("hex")}`;
}

export interface NormalizedCall {
  tool: GateTool;
  intent: GateIntent;
  /** Bybit endpoint and body to forward on allow. */
  path: string;
  body: Record<string, unknown>;
  /** Present on create (always) and on amend/cancel when the agent named one. */
  orderLinkId?: string;
  /** amend/cancel by orderId. */
  orderId?: string;
  /** place/amend: the approval the user gave for exactly this order (bybit-mcp approve). */
  approvalId?: string;
}

type Dec = string | number;

function positive(name: string, v: Dec): string {
  const d = toDecimalString(v);
  if (decCmp(d, 0) <= 0) throw new IntentError(`${name} must be greater than 0, not ${d}`);
  return d;
}

function opt(name: string, v: Dec | undefined): string | undefined {
  return v === undefined ? undefined : positive(name, v);
}

function canonSide(v: string): Side {
  return v.toLowerCase() === "buy" ? "Buy" : "Sell";
}

function pruned(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export interface PlaceArgs {
  category: Category;
  symbol: string;
  side: string;
  order_type: string;
  qty: Dec;
  price?: Dec;
  time_in_force?: "GTC" | "IOC" | "FOK" | "PostOnly";
  reduce_only?: boolean;
  order_link_id?: string;
  take_profit?: Dec;
  stop_loss?: Dec;
  position_idx?: 0 | 1 | 2;
  market_unit?: "baseCoin" | "quoteCoin";
  notional_usd?: Dec;
}

export function normalizePlace(a: PlaceArgs): NormalizedCall {
  const symbol = a.symbol.toUpperCase();
  const side = canonSide(a.side);
  const orderType = a.order_type.toLowerCase() === "limit" ? "Limit" : "Market";
  const qty = positive("qty", a.qty);
  const price = opt("price", a.price);
  if (orderType === "Limit" && price === undefined) throw new IntentError("price is required for a Limit order");
  if (orderType === "Market" && price !== undefined) throw new IntentError("price applies only to Limit orders; drop it or use order_type Limit");
  if (a.market_unit !== undefined && a.category !== "spot") throw new IntentError("market_unit applies only to spot orders");
  if (a.market_unit !== undefined && orderType !== "Market") throw new IntentError("market_unit applies only to Market orders");
  const orderLinkId = a.order_link_id ?? newOrderLinkId();
  const takeProfit = opt("take_profit", a.take_profit);
  const stopLoss = opt("stop_loss", a.stop_loss);
  const notionalUsd = opt("notional_usd", a.notional_usd);
  return {
    tool: "place_order",
    orderLinkId,
    path: "/v5/order/create",
    body: pruned({
      category: a.category,
      symbol,
      side,
      orderType,
      qty,
      price,
      timeInForce: a.time_in_force,
      reduceOnly: a.reduce_only,
      orderLinkId,
      takeProfit,
      stopLoss,
      positionIdx: a.position_idx,
      marketUnit: a.market_unit,
    }),
    intent: {
      tool: "place_order",
      category: a.category,
      symbol,
      side,
      orderType,
      qty,
      price,
      marketUnit: a.market_unit,
      reduceOnly: a.reduce_only,
      notionalUsd,
      positionIdx: a.position_idx,
    },
  };
}

export interface AmendArgs {
  category: Category;
  symbol: string;
  order_id?: string;
  order_link_id?: string;
  qty?: Dec;
  price?: Dec;
  take_profit?: Dec;
  stop_loss?: Dec;
  notional_usd?: Dec;
}

function orderRef(a: { order_id?: string; order_link_id?: string }): { orderId?: string; orderLinkId?: string } {
  if (!a.order_id && !a.order_link_id) throw new IntentError("name the order: order_id or order_link_id");
  if (a.order_id && a.order_link_id) throw new IntentError("name the order by order_id or order_link_id, not both");
  return pruned({ orderId: a.order_id, orderLinkId: a.order_link_id }) as { orderId?: string; orderLinkId?: string };
}

export function normalizeAmend(a: AmendArgs): NormalizedCall {
  const symbol = a.symbol.toUpperCase();
  const ref = orderRef(a);
  const qty = opt("qty", a.qty);
  const price = opt("price", a.price);
  const takeProfit = opt("take_profit", a.take_profit);
  const stopLoss = opt("stop_loss", a.stop_loss);
  if (qty === undefined && price === undefined && takeProfit === undefined && stopLoss === undefined) {
    throw new IntentError("nothing to amend: give qty, price, take_profit or stop_loss");
  }
  return {
    tool: "amend_order",
    ...ref,
    path: "/v5/order/amend",
    body: pruned({ category: a.category, symbol, ...ref, qty, price, takeProfit, stopLoss }),
    intent: {
      tool: "amend_order",
      category: a.category,
      symbol,
      qty,
      price,
      notionalUsd: opt("notional_usd", a.notional_usd),
    },
  };
}

export function normalizeCancel(a: { category: Category; symbol: string; order_id?: string; order_link_id?: string }): NormalizedCall {
  const symbol = a.symbol.toUpperCase();
  const ref = orderRef(a);
  return {
    tool: "cancel_order",
    ...ref,
    path: "/v5/order/cancel",
    body: pruned({ category: a.category, symbol, ...ref }),
    intent: { tool: "cancel_order", category: a.category, symbol },
  };
}

export function normalizeCancelAll(a: { category: Category; symbol?: string; base_coin?: string; settle_coin?: string }): NormalizedCall {
  const symbol = a.symbol?.toUpperCase();
  if ((a.category === "linear" || a.category === "inverse") && !symbol && !a.base_coin && !a.settle_coin) {
    throw new IntentError(`cancel_all_orders for ${a.category} needs symbol, base_coin or settle_coin`);
  }
  return {
    tool: "cancel_all_orders",
    path: "/v5/order/cancel-all",
    body: pruned({ category: a.category, symbol, baseCoin: a.base_coin?.toUpperCase(), settleCoin: a.settle_coin?.toUpperCase() }),
    intent: { tool: "cancel_all_orders", category: a.category, symbol: symbol ?? "*" },
  };
}

export function normalizeLeverage(a: { category: Category; symbol: string; leverage: Dec }): NormalizedCall {
  if (a.category !== "linear" && a.category !== "inverse") throw new IntentError("leverage is set on linear or inverse contracts only");
  const symbol = a.symbol.toUpperCase();
  const leverage = positive("leverage", a.leverage);
  return {
    tool: "set_leverage",
    path: "/v5/position/set-leverage",
    body: { category: a.category, symbol, buyLeverage: leverage, sellLeverage: leverage },
    intent: { tool: "set_leverage", category: a.category, symbol, leverage },
  };
}

export interface TradingStopArgs {
  category: Category;
  symbol: string;
  position_idx: 0 | 1 | 2;
  take_profit?: Dec;
  stop_loss?: Dec;
  trailing_stop?: Dec;
  tpsl_mode?: "Full" | "Partial";
}

export function normalizeTradingStop(a: TradingStopArgs): NormalizedCall {
  if (a.category !== "linear" && a.category !== "inverse") throw new IntentError("trading stops apply to linear or inverse positions only");
  const symbol = a.symbol.toUpperCase();
  // "0" is meaningful to Bybit here (cancel the TP/SL), so allow zero but not negatives.
  const nonNeg = (name: string, v: Dec | undefined) => {
    if (v === undefined) return undefined;
    const d = toDecimalString(v);
    if (decCmp(d, 0) < 0) throw new IntentError(`${name} must not be negative`);
    return d;
  };
  const takeProfit = nonNeg("take_profit", a.take_profit);
  const stopLoss = nonNeg("stop_loss", a.stop_loss);
  const trailingStop = nonNeg("trailing_stop", a.trailing_stop);
  if (takeProfit === undefined && stopLoss === undefined && trailingStop === undefined) {
    throw new IntentError("give take_profit, stop_loss or trailing_stop");
  }
  return {
    tool: "set_trading_stop",
    path: "/v5/position/trading-stop",
    body: pruned({
      category: a.category,
      symbol,
      tpslMode: a.tpsl_mode ?? "Full",
      positionIdx: a.position_idx,
      takeProfit,
      stopLoss,
      trailingStop,
    }),
    intent: { tool: "set_trading_stop", category: a.category, symbol },
  };
}
