/** fast-check generators for gate inputs: mandates, quotes, positions, open orders and an order. */
import fc from "fast-check";
import type { Category, GateIntent, Mandate, OrderRow, PositionRow, RawFacts } from "../../src/gate/types.js";

export interface Case {
  nowMs: number;
  mandate: Mandate;
  halted: boolean;
  quote: { mark: string; bid: string; ask: string; turnover: string };
  quoteAgeMs: number;
  order: { category: Category; symbol: string; side: "Buy" | "Sell"; orderType: "Market" | "Limit"; qty: string; price?: string; notionalUsd?: string };
  positions: { category: "linear"; symbol: string; side: "Buy" | "Sell"; size: string; positionValue: string }[];
  openOrders: { category: "linear"; orderId: string; symbol: string; side: "Buy" | "Sell"; orderType: "Limit"; price: string; qty: string; leavesQty: string; reduceOnly: boolean; orderStatus: "New" }[];
  tradesToday: number;
}

const NOW = Date.UTC(2025, 5, 1, 12);
const SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "LUNAUSDT"];

/** Mostly `nice`, sometimes `nasty`: each knob breaks the mandate only some of the time, so both outcomes are common. */
const mostly = <T>(nice: fc.Arbitrary<T>, nasty: fc.Arbitrary<T>, nastyOneIn = 12) => fc.oneof({ weight: nastyOneIn - 1, arbitrary: nice }, { weight: 1, arbitrary: nasty });
/** Fractions in units of 1/1000. */
const frac = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });

export function genCase(): fc.Arbitrary<Case> {
  return fc
    .record({
      funding: fc.integer({ min: 500, max: 20_000 }),
      maxOrder: fc.integer({ min: 100, max: 5_000 }),
      exposureMult: fc.integer({ min: 1, max: 6 }),
      maxLevHalves: fc.integer({ min: 1, max: 8 }),
      maxTrades: mostly(fc.integer({ min: 3, max: 20 }), fc.constant(0)),
      instruments: mostly<string[]>(fc.constant(["crypto"]), fc.constantFrom(["crypto", "option"], [], ["equity"])),
      assetClasses: mostly<string[]>(fc.constantFrom(["crypto"], ["crypto", "forex"]), fc.constant(["us_equity"])),
      minAdv: fc.option(fc.integer({ min: 1_000, max: 5_000_000 }), { nil: null, freq: 2 }),
      minCap: mostly(fc.constant(null), fc.constant(1_000_000_000), 20),
      expiresInMs: mostly(fc.integer({ min: 1, max: 86_400_000 }), fc.integer({ min: -5_000, max: 0 })),
      halted: mostly(fc.constant(false), fc.constant(true)),
      category: mostly(fc.constantFrom<Category>("linear", "linear", "spot", "inverse"), fc.constant<Category>("option")),
      symbol: mostly(fc.constantFrom("BTCUSDT", "ETHUSDT", "SOLUSDT"), fc.constant("LUNAUSDT")),
      side: fc.constantFrom<"Buy" | "Sell">("Buy", "Sell"),
      orderType: fc.constantFrom<"Market" | "Limit">("Market", "Limit"),
      markInt: fc.integer({ min: 10, max: 70_000 }),
      bandBp: mostly(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -900, max: 900 }), 6),
      sizeMilli: frac(1, 1_300),
      notionalMilli: fc.option(frac(1, 1_500), { nil: undefined, freq: 4 }),
      quoteAgeMs: mostly(fc.constantFrom(0, 500, 9_999, 10_000), fc.constantFrom(10_001, 30_000)),
      turnover: fc.integer({ min: 0, max: 10_000_000 }),
      positions: fc.array(fc.record({ symbol: fc.constantFrom(...SYMBOLS), side: fc.constantFrom<"Buy" | "Sell">("Buy", "Sell"), milli: frac(0, 1_000) }), { maxLength: 3 }),
      orders: fc.array(fc.record({ symbol: fc.constantFrom(...SYMBOLS), side: fc.constantFrom<"Buy" | "Sell">("Buy", "Sell"), price: fc.integer({ min: 1, max: 70_000 }), milli: frac(1, 500), reduceOnly: fc.boolean() }), { maxLength: 2 }),
      tradesToday: mostly(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 3, max: 22 }), 4),
    })
    .map((g): Case => {
      const mark = g.markInt;
      const spread = Math.max(1, Math.round(mark / 10_000));
      const maxExposure = g.maxOrder * g.exposureMult;
      const symbol = g.category === "inverse" ? g.symbol.replace(/USDT$/, "USD") : g.symbol;
      const usd = (milli: number) => (g.maxOrder * milli) / 1_000;
      const baseQty = (usdValue: number, price: number) => fix4(Math.max(0.0001, usdValue / price));
      const quoteUnits = g.category === "inverse" || (g.category === "spot" && g.orderType === "Market" && g.side === "Buy");
      const order: Case["order"] = {
        category: g.category,
        symbol,
        side: g.side,
        orderType: g.orderType,
        qty: quoteUnits ? String(Math.max(1, Math.round(usd(g.sizeMilli)))) : baseQty(usd(g.sizeMilli), mark),
      };
      if (g.orderType === "Limit") order.price = String(Math.max(1, Math.round((mark * (10_000 + g.bandBp)) / 10_000)));
      if (g.notionalMilli !== undefined) order.notionalUsd = fix4(usd(g.notionalMilli));
      const perPosition = maxExposure / 4;
      return {
        nowMs: NOW,
        mandate: {
          schema_version: 1,
          hard_caps: {
            account_funding_usd: g.funding,
            max_order_notional_usd: g.maxOrder,
            max_total_exposure_usd: maxExposure,
            max_leverage: g.maxLevHalves / 2,
            allowed_instruments: g.instruments,
            max_trades_per_day: g.maxTrades,
          },
          universe: { asset_classes: g.assetClasses, min_market_cap_usd: g.minCap, min_avg_daily_volume_usd: g.minAdv, exclude_symbols: ["lunausdt"] },
          consent: {
            created_at: "2025-05-01T00:00:00Z",
            consent_token_sha256: "b".repeat(64),
            broker: "bybit",
            account_ref: "",
            expires_at: new Date(NOW + g.expiresInMs).toISOString(),
          },
        },
        halted: g.halted,
        quote: { mark: String(mark), bid: String(mark - spread), ask: String(mark + spread), turnover: String(g.turnover) },
        quoteAgeMs: g.quoteAgeMs,
        order,
        positions: g.positions.map((p) => ({ category: "linear", symbol: p.symbol, side: p.side, size: "1", positionValue: fix4((perPosition * p.milli) / 1_000) })),
        openOrders: g.orders.map((o, i) => {
          const qty = baseQty((perPosition * o.milli) / 1_000, o.price);
          return { category: "linear", orderId: `o${i}`, symbol: o.symbol, side: o.side, orderType: "Limit", price: String(o.price), qty, leavesQty: qty, reduceOnly: o.reduceOnly, orderStatus: "New" };
        }),
        tradesToday: g.tradesToday,
      };
    });
}

/** At most 4 fraction digits, no exponent, no trailing zeros. */
function fix4(x: number): string {
  return x.toFixed(4).replace(/\.?0+$/, "");
}

/** The (GateIntent, RawFacts) the write path would hand decide() for a generated case. */
export function toInputs(c: Case): { intent: GateIntent; raw: RawFacts } {
  const o = c.order;
  const intent: GateIntent = { tool: "place_order", category: o.category, symbol: o.symbol, side: o.side, orderType: o.orderType, qty: o.qty };
  if (o.price !== undefined) intent.price = o.price;
  if (o.notionalUsd !== undefined) intent.notionalUsd = o.notionalUsd;
  const q = c.quote;
  const raw: RawFacts = {
    nowMs: c.nowMs,
    mandate: { ok: true, mandate: c.mandate },
    halt: { global: c.halted, broker: false },
    quote: { category: o.category, symbol: o.symbol, markPrice: q.mark, bid1Price: q.bid, ask1Price: q.ask, turnover24h: q.turnover, volume24h: q.turnover, fetchedAtMs: c.nowMs - c.quoteAgeMs },
    positions: c.positions as PositionRow[],
    openOrders: c.openOrders as OrderRow[],
    tradesToday: c.tradesToday,
  };
  return { intent, raw };
}
