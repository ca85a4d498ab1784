/**
 * Order notional and post-trade gross exposure, in exact decimals.
 *
 * Units (Bybit v5): linear qty is base coin (notional = qty x price); inverse
 * qty and position size are USD contracts; a spot market buy's qty is quote
 * coin unless marketUnit=baseCoin; option qty is contracts of the underlying
 * (notional = qty x underlying price). A limit order is priced at the larger
 * of its limit price and the live reference, so a low limit cannot understate
 * the order. Quote coins (USDT, USDC) count as USD.
 */
import { decAbs, decAdd, decCmp, decMax, decMul, decSub, isDecimal } from "../util/decimal.js";
import type { Category, OrderRow, PositionRow } from "./types.js";

/** What notional pricing needs to know about the order, already normalized. */
export interface PricedOrder {
  category: Category;
  symbol: string;
  side: "buy" | "sell";
  orderType: "Market" | "Limit";
  qty: string;
  price: string | null;
  marketUnit: "baseCoin" | "quoteCoin" | null;
  declaredNotional: string | null;
}

export interface NotionalResult {
  notional: string | null;
  computed: string | null;
  priceUsed: string | null;
  basis: string;
  problem: string | null;
}

const USD_QUOTED = /(USDT|USDC|USD)$/;

/** The order's USD notional: the larger of the declared notional and the gate's own pricing. */
export function orderNotional(o: PricedOrder, reference: string | null, underlying: string | null): NotionalResult {
  const priced = computeNotional(o, reference, underlying);
  if (priced.computed === null) return { ...priced, notional: null };
  if (o.declaredNotional !== null && decCmp(o.declaredNotional, priced.computed) > 0) {
    return { ...priced, notional: o.declaredNotional, basis: `declared notional_usd ${o.declaredNotional} (larger than ${priced.basis})` };
  }
  return { ...priced, notional: priced.computed };
}

function computeNotional(o: PricedOrder, ref: string | null, underlying: string | null): Omit<NotionalResult, "notional"> {
  const none = (problem: string) => ({ computed: null, priceUsed: null, basis: "unpriced", problem });
  switch (o.category) {
    case "inverse":
      return { computed: o.qty, priceUsed: null, basis: `qty ${o.qty} USD contracts`, problem: null };
    case "option":
      if (underlying === null) return none("the quote has no underlying price for this option");
      return { computed: decMul(o.qty, underlying), priceUsed: underlying, basis: `qty ${o.qty} x underlying ${underlying}`, problem: null };
    case "spot": {
      if (!USD_QUOTED.test(o.symbol)) return none(`${o.symbol} is not quoted in USD, USDT or USDC`);
      if (o.orderType === "Market") {
        const unit = o.marketUnit ?? (o.side === "buy" ? "quoteCoin" : "baseCoin");
        if (unit === "quoteCoin") return { computed: o.qty, priceUsed: null, basis: `qty ${o.qty} in quote coin`, problem: null };
      }
      return linearLike(o, ref, none);
    }
    case "linear":
      return linearLike(o, ref, none);
  }
}

function linearLike(
  o: PricedOrder,
  ref: string | null,
  none: (p: string) => Omit<NotionalResult, "notional">,
): Omit<NotionalResult, "notional"> {
  if (ref === null) return none("no usable live price to value the order");
  if (o.orderType === "Limit" && o.price !== null) {
    const price = decMax(o.price, ref);
    return { computed: decMul(o.qty, price), priceUsed: price, basis: `qty ${o.qty} x ${price} (larger of limit ${o.price} and reference ${ref})`, problem: null };
  }
  return { computed: decMul(o.qty, ref), priceUsed: ref, basis: `qty ${o.qty} x reference ${ref}`, problem: null };
}

export interface ExposureInput {
  category: Category;
  symbol: string;
  /** Signed USD notional of the new order (+ buy, - sell), or null for tools without one. */
  orderSigned: string | null;
  reference: string | null;
  positions: PositionRow[];
  openOrders: OrderRow[];
  /** amend: the resting order being replaced, left out of the open orders. */
  excludeOrderId?: string;
  /** Hedge mode: 1 = the long leg, 2 = the short leg; 0 or absent = one-way. */
  positionIdx?: number;
}

export interface InstrumentExposure {
  position_usd: string;
  open_buy_usd: string;
  open_sell_usd: string;
  order_usd: string;
  post_trade_gross_usd: string;
}

export type ExposureResult =
  | { ok: true; current: string; postTrade: string; byInstrument: Record<string, InstrumentExposure> }
  | { ok: false; problem: string };

/**
 * Post-trade GROSS exposure: positions grouped per instrument with signed
 * values, the order added (+buy, -sell), and resting orders that could add
 * exposure counted at their worst case: per instrument
 * max(|V + open buys|, |V - open sells|). Reduce-only orders never add.
 */
export function grossExposure(x: ExposureInput): ExposureResult {
  const book = new Map<string, { pos: string; buy: string; sell: string }>();
  const slot = (key: string) => {
    let s = book.get(key);
    if (!s) book.set(key, (s = { pos: "0", buy: "0", sell: "0" }));
    return s;
  };
  const own = key(x.category, x.symbol, x.positionIdx);
  for (const row of x.positions) {
    if (typeof row?.symbol !== "string" || row.symbol.trim() === "") return { ok: false, problem: "a position row has no symbol" };
    const category = row.category ?? x.category;
    const k = key(category, row.symbol, row.positionIdx);
    const v = positionSigned(row, category, k === own ? x.reference : null);
    if (typeof v !== "string") return { ok: false, problem: v.problem };
    const s = slot(k);
    s.pos = decAdd(s.pos, v);
  }
  for (const row of x.openOrders) {
    if (x.excludeOrderId !== undefined && row.orderId === x.excludeOrderId) continue;
    if (typeof row?.symbol !== "string" || row.symbol.trim() === "") return { ok: false, problem: "an open order row has no symbol" };
    if (row.reduceOnly === true || !isResting(row.orderStatus)) continue;
    const k = key(row.category ?? x.category, row.symbol, row.positionIdx);
    const v = openOrderValue(row, row.category ?? x.category, k === own ? x.reference : null);
    if (typeof v !== "string") return { ok: false, problem: v.problem };
    const s = slot(k);
    if (row.side === "Buy") s.buy = decAdd(s.buy, v);
    else s.sell = decAdd(s.sell, v);
  }
  if (x.orderSigned !== null) slot(own);
  let current = "0";
  let postTrade = "0";
  const byInstrument: Record<string, InstrumentExposure> = {};
  for (const [k, s] of [...book.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const order = k === own && x.orderSigned !== null ? x.orderSigned : "0";
    const before = worstCase(s.pos, s.buy, s.sell);
    const after = worstCase(decAdd(s.pos, order), s.buy, s.sell);
    current = decAdd(current, before);
    postTrade = decAdd(postTrade, after);
    byInstrument[k] = { position_usd: s.pos, open_buy_usd: s.buy, open_sell_usd: s.sell, order_usd: order, post_trade_gross_usd: after };
  }
  return { ok: true, current, postTrade, byInstrument };
}

function worstCase(v: string, buys: string, sells: string): string {
  return decMax(decAbs(decAdd(v, buys)), decAbs(decSub(v, sells)));
}

/**
 * Rows are grouped per instrument, and in hedge mode per leg: a long on
 * positionIdx 1 and a short on positionIdx 2 are two exposures, not a net of
 * zero (they would net in one-way mode, where one position holds both).
 */
function key(category: Category, symbol: string, positionIdx?: number | string): string {
  const leg = Number(positionIdx);
  return `${category}:${symbol.trim().toUpperCase()}${leg === 1 || leg === 2 ? `#${leg}` : ""}`;
}

const RESTING = new Set(["New", "PartiallyFilled", "Untriggered", "Created", "Active"]);
function isResting(status: string | undefined): boolean {
  return status === undefined || status === "" || RESTING.has(status);
}

function positive(v: unknown): v is string {
  return typeof v === "string" && isDecimal(v) && decCmp(v, "0") > 0;
}

/** A position's signed USD value (+ long, - short), or why it cannot be read. */
function positionSigned(row: PositionRow, category: Category, reference: string | null): string | { problem: string } {
  const bad = (why: string) => ({ problem: `position ${row.symbol || "(no symbol)"}: ${why}` });
  if (typeof row.size !== "string" || !isDecimal(row.size) || decCmp(row.size, "0") < 0) return bad(`size ${JSON.stringify(row.size)} is not a decimal`);
  if (decCmp(row.size, "0") === 0) return "0";
  if (row.side !== "Buy" && row.side !== "Sell") return bad(`size ${row.size} has no side`);
  // The larger of what Bybit reports and the position at the current price: positionValue is
  // size x entry price, which understates a position that has gained value since.
  const mark = positive(row.markPrice) ? row.markPrice : reference;
  let value: string;
  if (category === "inverse") {
    // USD contracts: size is the USD face; positionValue is in the base coin.
    value = positive(row.positionValue) && mark !== null ? decMax(row.size, decMul(row.positionValue, mark)) : row.size;
  } else {
    const candidates: string[] = [];
    if (typeof row.positionValue === "string" && isDecimal(row.positionValue)) candidates.push(decAbs(row.positionValue));
    if (mark !== null) candidates.push(decMul(row.size, mark));
    if (candidates.length === 0) return bad("has neither positionValue nor markPrice");
    value = candidates.reduce((a, b) => decMax(a, b));
  }
  return row.side === "Buy" ? value : decSub("0", value);
}

/** A resting order's unsigned USD value at its worst case, or why it cannot be priced. */
function openOrderValue(row: OrderRow, category: Category, reference: string | null): string | { problem: string } {
  const bad = (why: string) => ({ problem: `open order ${row.orderId} on ${row.symbol}: ${why}` });
  const leaves = row.leavesQty !== undefined && row.leavesQty !== "" ? row.leavesQty : row.qty;
  if (typeof leaves !== "string" || !isDecimal(leaves) || decCmp(leaves, "0") < 0) return bad(`quantity ${JSON.stringify(leaves)} is not a decimal`);
  if (row.side !== "Buy" && row.side !== "Sell") return bad("has no side");
  if (category === "inverse") return leaves;
  if (category === "option") {
    if (positive(row.leavesValue)) return row.leavesValue;
    return bad("an option order cannot be valued without its underlying price");
  }
  if (category === "spot" && row.orderType === "Market") {
    const unit = row.marketUnit ?? (row.side === "Buy" ? "quoteCoin" : "baseCoin");
    if (unit === "quoteCoin") return leaves;
  }
  let price: string | null = positive(row.price) ? row.price : null;
  if (reference !== null) price = price === null ? reference : decMax(price, reference);
  if (price === null) {
    if (positive(row.leavesValue)) return row.leavesValue;
    return bad("has no price and no live quote for its symbol");
  }
  return decMul(leaves, price);
}
