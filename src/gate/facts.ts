/**
 * Facts: everything the rules compare, computed here in TypeScript from what
 * the write path read (RawFacts) and the tool call (GateIntent). Pure: the
 * same inputs give the same facts, so a decision replays from the ledger.
 * Rules never compute; they only compare these values.
 *
 * Every value is plain JSON (finite numbers, strings, booleans, null, arrays,
 * objects: see plainJson), so the facts a ledger stores replay to the same
 * decision. Money is carried twice: an exact decimal string (`*_exact`, for
 * the ledger) and its nearest number (for the comparison).
 */
import { decAbs, decCmp, decMul, decSub, decToNumber, isDecimal, toDecimalString } from "../util/decimal.js";
import { grossExposure, orderNotional, type InstrumentExposure } from "./notional.js";
import { protectionOf } from "./protective.js";
import { decDivUp, downNumber, upNumber } from "./rounding.js";
import { isoUtc, parseIsoTimestamp, utcDate } from "./time.js";
import type { Category, GateIntent, Mandate, OrderRow, RawFacts } from "./types.js";

export const DEFAULT_MAX_QUOTE_AGE_MS = 10_000;

export interface BuildFactsOptions {
  /** A quote older than this is treated as missing (default 10 s). */
  maxQuoteAgeMs?: number;
}

export interface Facts {
  tool: string;
  clock: { now_ms: number; now_iso: string; utc_date: string };
  mandate: {
    valid: boolean;
    reason: string | null;
    mandate_id: string | null;
    broker: string | null;
    consent_token_sha256: string | null;
    account_ref: string | null;
    created_at: string | null;
    expires_at: string | null;
    expires_at_ms: number | null;
    expired: boolean | null;
    options_enabled: boolean;
    hard_caps: Mandate["hard_caps"] | null;
    universe: {
      asset_classes: string[];
      min_market_cap_usd: number | null;
      min_avg_daily_volume_usd: number | null;
      /** Upper-cased and trimmed, as Vibe-Trading compares them. */
      exclude_symbols: string[];
    } | null;
  };
  halt: { halted: boolean; scope: "global" | "broker" | "unreadable" | null; reason: string | null };
  intent: {
    valid: boolean;
    problem: string | null;
    tool: string;
    category: Category | null;
    symbol: string;
    side: "buy" | "sell" | null;
    order_type: "Market" | "Limit" | null;
    instrument_type: "crypto" | "option" | null;
    asset_class: "crypto" | null;
    qty: string | null;
    price: string | null;
    market_unit: "baseCoin" | "quoteCoin" | null;
    reduce_only: boolean;
    declared_notional_usd: string | null;
    leverage: number | null;
    leverage_exact: string | null;
    order_id: string | null;
  };
  quote: {
    required: boolean;
    available: boolean;
    problem: string | null;
    source: string | null;
    reference_price: number | null;
    reference_price_exact: string | null;
    mark_price_exact: string | null;
    underlying_price_exact: string | null;
    age_ms: number | null;
    max_age_ms: number;
  };
  order: {
    notional_usd: number | null;
    notional_usd_exact: string | null;
    computed_notional_usd_exact: string | null;
    price_used_exact: string | null;
    basis: string | null;
    problem: string | null;
    /** |limit - mark| / mark x 100 for a limit order; null for market orders or without a mark. */
    limit_price_deviation_pct: number | null;
    /**
     * How far a limit price is through the reference on the side that fills
     * at once (a buy above it, a sell below it), x 100 / reference; 0 for a
     * passive limit that rests; null for market orders or without a reference.
     */
    limit_price_aggressive_pct: number | null;
    /** "above" for a buy, "below" for a sell: where an aggressive limit sits. */
    band_direction: "above" | "below" | null;
    band_reference_exact: string | null;
  };
  exposure: {
    readable: boolean;
    problem: string | null;
    current_gross_usd: number | null;
    current_gross_usd_exact: string | null;
    post_trade_gross_usd: number | null;
    post_trade_gross_usd_exact: string | null;
    post_trade_leverage: number | null;
    post_trade_leverage_exact: string | null;
    by_instrument: Record<string, InstrumentExposure>;
  };
  trades: {
    readable: boolean;
    problem: string | null;
    today: number | null;
    counter_date: string | null;
    rolled_over: boolean;
    after_order: number | null;
  };
  market: {
    avg_daily_volume_usd: number | null;
    avg_daily_volume_source: string | null;
    /** Bybit publishes no market capitalisation: always null. */
    market_cap_usd: null;
  };
  /** cancel_order: the resting order it targets (intent.existingOrder), and what a halt or expiry protects. */
  cancel: {
    /** false when the target was not looked up (existingOrder undefined). */
    target_read: boolean;
    target_found: boolean | null;
    target_order_id: string | null;
    /** Reduce-only, close-on-trigger, TP/SL, stop or trigger order (see isProtectiveOrder). */
    target_protective: boolean | null;
    /** true only for a target read, found, and not protective: an entry order. */
    target_is_entry: boolean;
    /** The target for a person, e.g. "order o-1 (a protective order: reduce-only)". */
    target: string;
    /** Why cancels are restricted now ("live trading is halted (...)", "the mandate expired at ..."), or null. */
    guard: string | null;
  };
}

const CATEGORIES: readonly Category[] = ["spot", "linear", "inverse", "option"];
const ORDER_TOOLS = new Set(["place_order", "amend_order"]);

function posDec(v: unknown): v is string {
  return (typeof v === "string" || typeof v === "number") && isDecimal(v) && decCmp(v, "0") > 0;
}
const num = (v: string | null): number | null => (v === null ? null : upNumber(v));

/** Compute the facts for one tool call. Pure and total: bad input becomes a fact that fails a rule. */
export function buildFacts(intent: GateIntent, raw: RawFacts, opts: BuildFactsOptions = {}): Facts {
  const maxAge = opts.maxQuoteAgeMs ?? DEFAULT_MAX_QUOTE_AGE_MS;
  const clock = { now_ms: raw.nowMs, now_iso: isoUtc(raw.nowMs), utc_date: utcDate(raw.nowMs) };
  const mandate = mandateFact(raw);
  const i = intentFact(intent);
  const quote = quoteFact(intent, i, raw, maxAge);
  const order = orderFact(i, quote);
  const exposure = exposureFact(intent, i, raw, order, quote, mandate);
  const halt = haltFact(raw);
  return plainJson({
    tool: intent.tool,
    clock,
    mandate,
    halt,
    intent: i,
    quote,
    order,
    exposure,
    trades: tradesFact(raw, clock.utc_date),
    market: marketFact(intent, raw),
    cancel: cancelFact(intent, halt, mandate),
  });
}

/**
 * A deep copy that survives a JSON round trip unchanged: non-finite numbers
 * and undefined become null, bigints decimal strings. Rules compare the copy,
 * so a decision and its replay from the ledger see the same values (the
 * strict operators treat NaN/Infinity and null alike: never a number).
 */
export function plainJson<T>(value: T): T {
  return plain(value, 0) as T;
}

function plain(v: unknown, depth: number): unknown {
  if (depth > 32) throw new Error("facts nest deeper than 32 levels");
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? v : null;
    case "string":
    case "boolean":
      return v;
    case "bigint":
      return v.toString();
    case "object":
      if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
      {
        // A plain loop: this runs on every gated call, and entries()/fromEntries() allocate per key.
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) out[k] = plain((v as Record<string, unknown>)[k], depth + 1);
        return out;
      }
    default:
      return null;
  }
}

function mandateFact(raw: RawFacts): Facts["mandate"] {
  const load = raw.mandate;
  if (!load || load.ok !== true) {
    return {
      valid: false,
      reason: load && load.ok === false ? load.reason : "no mandate was loaded",
      mandate_id: null, broker: null, consent_token_sha256: null, account_ref: null,
      created_at: null, expires_at: null, expires_at_ms: null, expired: null,
      options_enabled: false, hard_caps: null, universe: null,
    };
  }
  const m = load.mandate;
  const expiresMs = parseIsoTimestamp(m.consent.expires_at);
  return {
    valid: true,
    reason: null,
    mandate_id: typeof m.mandate_id === "string" ? m.mandate_id : null,
    broker: m.consent.broker,
    consent_token_sha256: m.consent.consent_token_sha256,
    account_ref: m.consent.account_ref,
    created_at: m.consent.created_at,
    expires_at: m.consent.expires_at,
    expires_at_ms: expiresMs,
    // Expired from the instant expires_at is reached; unparseable = expired (fail closed).
    expired: expiresMs === null ? true : raw.nowMs >= expiresMs,
    options_enabled: m.option_limits !== undefined && m.option_limits !== null,
    hard_caps: {
      account_funding_usd: m.hard_caps.account_funding_usd,
      max_order_notional_usd: m.hard_caps.max_order_notional_usd,
      max_total_exposure_usd: m.hard_caps.max_total_exposure_usd,
      max_leverage: m.hard_caps.max_leverage,
      allowed_instruments: [...m.hard_caps.allowed_instruments],
      max_trades_per_day: m.hard_caps.max_trades_per_day,
    },
    universe: {
      asset_classes: [...m.universe.asset_classes],
      min_market_cap_usd: m.universe.min_market_cap_usd,
      min_avg_daily_volume_usd: m.universe.min_avg_daily_volume_usd,
      exclude_symbols: m.universe.exclude_symbols.map((s) => s.trim().toUpperCase()),
    },
  };
}

function haltFact(raw: RawFacts): Facts["halt"] {
  const h = raw.halt;
  if (!h || typeof h !== "object") return { halted: true, scope: "unreadable", reason: "the kill-switch state was not read" };
  const reason = h.detail?.reason ?? null;
  if (h.global) return { halted: true, scope: "global", reason };
  if (h.broker) return { halted: true, scope: "broker", reason };
  if (h.error !== undefined) return { halted: true, scope: "unreadable", reason: h.error };
  return { halted: false, scope: null, reason: null };
}

function intentFact(intent: GateIntent): Facts["intent"] {
  const category = CATEGORIES.includes(intent.category) ? intent.category : null;
  const symbol = typeof intent.symbol === "string" ? intent.symbol.trim().toUpperCase() : "";
  const existing: OrderRow | null | undefined = intent.tool === "amend_order" ? intent.existingOrder : undefined;
  const sideRaw = intent.tool === "amend_order" ? existing?.side : intent.side;
  const side = sideRaw === "Buy" ? "buy" : sideRaw === "Sell" ? "sell" : null;
  const qtyRaw = intent.qty ?? (existing ? existing.leavesQty || existing.qty : undefined);
  const priceRaw = intent.price ?? (existing ? existing.price : undefined);
  const typeRaw = intent.tool === "amend_order" ? (existing?.orderType ?? intent.orderType) : intent.orderType;
  const orderType = typeRaw === "Market" || typeRaw === "Limit" ? typeRaw : null;
  const f: Facts["intent"] = {
    valid: true,
    problem: null,
    tool: intent.tool,
    category,
    symbol,
    side,
    order_type: orderType,
    instrument_type: category === null ? null : category === "option" ? "option" : "crypto",
    asset_class: category === null ? null : "crypto",
    qty: posDec(qtyRaw) ? toDecimalString(qtyRaw) : null,
    price: posDec(priceRaw) ? toDecimalString(priceRaw) : null,
    market_unit: intent.marketUnit === "baseCoin" || intent.marketUnit === "quoteCoin" ? intent.marketUnit : null,
    reduce_only: intent.reduceOnly === true || existing?.reduceOnly === true,
    declared_notional_usd: posDec(intent.notionalUsd) ? toDecimalString(intent.notionalUsd) : null,
    leverage: null,
    leverage_exact: null,
    order_id: existing ? existing.orderId : null,
  };
  const problem = intentProblem(intent, f, existing, qtyRaw, priceRaw);
  if (problem) {
    f.valid = false;
    f.problem = problem;
  }
  if (intent.tool === "set_leverage" && posDec(intent.leverage)) {
    f.leverage_exact = toDecimalString(intent.leverage);
    f.leverage = upNumber(f.leverage_exact);
  }
  return f;
}

function intentProblem(
  intent: GateIntent,
  f: Facts["intent"],
  existing: OrderRow | null | undefined,
  qtyRaw: unknown,
  priceRaw: unknown,
): string | null {
  if (f.category === null) return `category ${JSON.stringify(intent.category)} is not spot, linear, inverse or option`;
  if (intent.tool === "cancel_all_orders" || intent.tool === "cancel_order") return null;
  if (f.symbol === "") return "the symbol is missing";
  if (intent.tool === "set_leverage") return posDec(intent.leverage) ? null : `leverage ${JSON.stringify(intent.leverage)} is not a positive number`;
  if (intent.tool === "set_trading_stop") return null;
  if (intent.tool === "amend_order") {
    if (!existing) return "order not found among open orders";
    if (existing.symbol.trim().toUpperCase() !== f.symbol) return `order ${existing.orderId} is for ${existing.symbol}, not ${f.symbol}`;
  }
  if (f.side === null) return `side ${JSON.stringify(intent.side)} is not Buy or Sell`;
  if (f.order_type === null) return `orderType ${JSON.stringify(intent.orderType)} is not Market or Limit`;
  if (f.qty === null) return `qty ${JSON.stringify(qtyRaw)} is not a positive decimal`;
  if (f.order_type === "Limit" && f.price === null) return `a limit order needs a positive price (got ${JSON.stringify(priceRaw)})`;
  if (intent.notionalUsd !== undefined && f.declared_notional_usd === null) return `notional_usd ${JSON.stringify(intent.notionalUsd)} is not a positive decimal`;
  if (intent.marketUnit !== undefined && f.market_unit === null) return `marketUnit ${JSON.stringify(intent.marketUnit)} is not baseCoin or quoteCoin`;
  return null;
}

function quoteFact(intent: GateIntent, i: Facts["intent"], raw: RawFacts, maxAge: number): Facts["quote"] {
  const q = raw.quote;
  const f: Facts["quote"] = {
    required: ORDER_TOOLS.has(intent.tool),
    available: false,
    problem: null,
    source: null,
    reference_price: null,
    reference_price_exact: null,
    mark_price_exact: null,
    underlying_price_exact: null,
    age_ms: null,
    max_age_ms: maxAge,
  };
  if (!q) {
    f.problem = raw.quoteError ? `no quote: ${raw.quoteError}` : "no quote was fetched";
    return f;
  }
  f.age_ms = raw.nowMs - q.fetchedAtMs;
  f.mark_price_exact = posDec(q.markPrice) ? toDecimalString(q.markPrice) : null;
  const under = posDec(q.underlyingPrice) ? q.underlyingPrice : posDec(q.indexPrice) ? q.indexPrice : null;
  f.underlying_price_exact = under === null ? null : toDecimalString(under);
  let source: "markPrice" | "ask1Price" | "bid1Price" = "markPrice";
  if (i.category === "spot") source = i.side === "sell" ? "bid1Price" : "ask1Price";
  f.source = source;
  const ref = q[source];
  if (typeof q.symbol !== "string" || q.symbol.trim().toUpperCase() !== i.symbol) f.problem = `the quote is for ${String(q.symbol)}, not ${i.symbol}`;
  else if (q.category !== i.category) f.problem = `the quote is for category ${String(q.category)}, not ${String(i.category)}`;
  else if (!Number.isFinite(f.age_ms) || f.age_ms > maxAge) f.problem = `the quote is ${f.age_ms} ms old (older than ${maxAge} ms)`;
  else if (f.age_ms < -maxAge) f.problem = "the quote is timestamped in the future";
  else if (!posDec(ref)) f.problem = `the quote has no positive ${source}`;
  if (f.problem === null && posDec(ref)) {
    f.available = true;
    f.reference_price_exact = toDecimalString(ref);
    f.reference_price = decToNumber(f.reference_price_exact);
  }
  return f;
}

function orderFact(i: Facts["intent"], quote: Facts["quote"]): Facts["order"] {
  const empty: Facts["order"] = {
    notional_usd: null, notional_usd_exact: null, computed_notional_usd_exact: null, price_used_exact: null,
    basis: null, problem: null, limit_price_deviation_pct: null, limit_price_aggressive_pct: null,
    band_direction: null, band_reference_exact: null,
  };
  if (!ORDER_TOOLS.has(i.tool)) return empty;
  if (!i.valid || i.category === null || i.side === null || i.order_type === null || i.qty === null) {
    return { ...empty, problem: i.problem ?? "the order could not be parsed" };
  }
  const ref = quote.available ? quote.reference_price_exact : null;
  const n = orderNotional(
    {
      category: i.category, symbol: i.symbol, side: i.side, orderType: i.order_type, qty: i.qty, price: i.price,
      marketUnit: i.market_unit, declaredNotional: i.declared_notional_usd,
    },
    ref,
    quote.available ? quote.underlying_price_exact : null,
  );
  // Price band: distance of a limit price from the mark (spot has no mark: its side's touch price).
  const bandRef = i.category === "spot" ? ref : quote.available ? quote.mark_price_exact : null;
  let deviation: number | null = null;
  let aggressive: number | null = null;
  if (i.order_type === "Limit" && i.price !== null && bandRef !== null) {
    deviation = upNumber(decDivUp(decMul(decAbs(decSub(i.price, bandRef)), "100"), bandRef, 6));
    // Only the side that crosses the book can fill through the market: a bid
    // under the reference or an offer over it just rests, however far away.
    const through = i.side === "buy" ? decSub(i.price, bandRef) : decSub(bandRef, i.price);
    aggressive = decCmp(through, "0") > 0 ? upNumber(decDivUp(decMul(through, "100"), bandRef, 6)) : 0;
  }
  return {
    notional_usd: num(n.notional),
    notional_usd_exact: n.notional,
    computed_notional_usd_exact: n.computed,
    price_used_exact: n.priceUsed,
    basis: n.basis,
    problem: n.problem,
    limit_price_deviation_pct: deviation,
    limit_price_aggressive_pct: aggressive,
    band_direction: i.side === "buy" ? "above" : "below",
    band_reference_exact: bandRef,
  };
}

function exposureFact(
  intent: GateIntent,
  i: Facts["intent"],
  raw: RawFacts,
  order: Facts["order"],
  quote: Facts["quote"],
  mandate: Facts["mandate"],
): Facts["exposure"] {
  const f: Facts["exposure"] = {
    readable: false, problem: null, current_gross_usd: null, current_gross_usd_exact: null,
    post_trade_gross_usd: null, post_trade_gross_usd_exact: null, post_trade_leverage: null,
    post_trade_leverage_exact: null, by_instrument: {},
  };
  if (!ORDER_TOOLS.has(intent.tool)) return f;
  if (!Array.isArray(raw.positions)) {
    f.problem = `current positions could not be read${raw.positionsError ? `: ${raw.positionsError}` : ""}`;
    return f;
  }
  if (!Array.isArray(raw.openOrders)) {
    f.problem = `open orders could not be read${raw.openOrdersError ? `: ${raw.openOrdersError}` : ""}`;
    return f;
  }
  if (i.category === null) {
    f.problem = "the order's category is unknown";
    return f;
  }
  const signed = order.notional_usd_exact === null ? null : i.side === "sell" ? decSub("0", order.notional_usd_exact) : order.notional_usd_exact;
  const x = grossExposure({
    category: i.category,
    symbol: i.symbol,
    orderSigned: signed,
    reference: quote.available ? quote.reference_price_exact : null,
    positions: raw.positions,
    openOrders: raw.openOrders,
    ...(i.order_id !== null ? { excludeOrderId: i.order_id } : {}),
    ...(intent.positionIdx !== undefined ? { positionIdx: intent.positionIdx } : {}),
  });
  if (!x.ok) {
    f.problem = x.problem;
    return f;
  }
  f.readable = true;
  f.current_gross_usd_exact = x.current;
  f.current_gross_usd = upNumber(x.current);
  f.by_instrument = x.byInstrument;
  if (signed === null) {
    f.problem = "the order has no notional, so post-trade exposure is unknown";
    return f;
  }
  f.post_trade_gross_usd_exact = x.postTrade;
  f.post_trade_gross_usd = upNumber(x.postTrade);
  const funding = mandate.hard_caps?.account_funding_usd;
  if (funding !== undefined && funding > 0) {
    f.post_trade_leverage_exact = decDivUp(x.postTrade, toDecimalString(funding), 10);
    f.post_trade_leverage = upNumber(f.post_trade_leverage_exact);
  }
  return f;
}

function tradesFact(raw: RawFacts, today: string): Facts["trades"] {
  const n = raw.tradesToday;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    return {
      readable: false,
      problem: `the daily trade counter could not be read${raw.counterError ? `: ${raw.counterError}` : ""}`,
      today: null, counter_date: raw.counterDate ?? null, rolled_over: false, after_order: null,
    };
  }
  const rolled = raw.counterDate !== undefined && raw.counterDate !== today;
  const count = rolled ? 0 : n;
  return { readable: true, problem: null, today: count, counter_date: raw.counterDate ?? null, rolled_over: rolled, after_order: count + 1 };
}

function marketFact(intent: GateIntent, raw: RawFacts): Facts["market"] {
  const q = raw.quote;
  // Inverse turnover24h is in the base coin; its volume24h counts USD contracts.
  const field = intent.category === "inverse" ? "volume24h" : "turnover24h";
  const v = q ? q[field] : undefined;
  const ok = typeof v === "string" && isDecimal(v) && decCmp(v, "0") >= 0;
  return { avg_daily_volume_usd: ok ? downNumber(v) : null, avg_daily_volume_source: ok ? `ticker ${field}` : null, market_cap_usd: null };
}

function cancelFact(intent: GateIntent, halt: Facts["halt"], mandate: Facts["mandate"]): Facts["cancel"] {
  const guard = halt.halted
    ? `live trading is halted (${halt.scope ?? "unknown"} kill switch${halt.reason ? `: ${halt.reason}` : ""})`
    : mandate.expired === true
      ? `the mandate expired at ${mandate.expires_at ?? "an unreadable time"}`
      : null;
  const none = { target_read: false, target_found: null, target_order_id: null, target_protective: null, target_is_entry: false, guard };
  if (intent.tool !== "cancel_order") return { ...none, target: "no single order" };
  const row = intent.existingOrder;
  if (row === undefined) return { ...none, target: "an order that was not looked up (it may be a stop-loss or take-profit)" };
  if (row === null || typeof row !== "object") return { ...none, target_read: true, target_found: false, target: "an order not found among open orders" };
  const id = typeof row.orderId === "string" ? row.orderId : null;
  const why = protectionOf(row);
  const protective = why.length > 0;
  return {
    target_read: true,
    target_found: true,
    target_order_id: id,
    target_protective: protective,
    target_is_entry: !protective,
    target: `order ${id ?? "(no id)"} (${protective ? `a protective order: ${why.join(", ")}` : "an entry order"})`,
    guard,
  };
}
