import { describe, expect, it } from "vitest";
import { buildFacts, grossExposure } from "../../src/gate/index.js";
import { downNumber, upNumber } from "../../src/gate/rounding.js";
import { sampleIntent, sampleRaw, SAMPLE_NOW_MS } from "../../src/gate/sample.js";
import type { GateIntent, RawFacts } from "../../src/gate/types.js";

const facts = (intent: Partial<GateIntent>, raw: Partial<RawFacts> = {}) =>
  buildFacts({ ...sampleIntent(), ...intent } as GateIntent, { ...sampleRaw(), ...raw });

describe("facts", () => {
  it("normalizes the intent: symbol upper-cased, category to instrument type and asset class", () => {
    const f = facts({ symbol: " btcusdt " });
    expect(f.intent).toMatchObject({ symbol: "BTCUSDT", side: "buy", instrument_type: "crypto", asset_class: "crypto", valid: true });
    expect(facts({ category: "option" }).intent.instrument_type).toBe("option");
    expect(facts({ category: "futures" as never }).intent).toMatchObject({ valid: false, instrument_type: null });
  });

  it("rounds amounts compared against caps up and floors down, never across the cap", () => {
    const exact = "1000.00000000000000001";
    expect(upNumber(exact)).toBeGreaterThan(1000);
    expect(downNumber("999.99999999999999999")).toBeLessThan(1000);
    expect(upNumber("1000")).toBe(1000);
    const f = facts({ orderType: "Market", qty: "0.01666666666666666667" }, { quote: { ...sampleRaw().quote!, markPrice: "60000" } });
    expect(f.order.notional_usd_exact).toBe("1000.0000000000000002");
    expect(f.order.notional_usd!).toBeGreaterThan(1000);
  });

  it("takes the larger of declared notional_usd and the gate's pricing", () => {
    expect(facts({ orderType: "Market", qty: "0.001", notionalUsd: "100" }).order.notional_usd).toBe(100);
    expect(facts({ orderType: "Market", qty: "0.01", notionalUsd: "100" }).order.notional_usd).toBe(600);
  });

  it("spot: market buy in quote coin, market sell in base coin unless marketUnit says otherwise", () => {
    const spot = { ...sampleRaw().quote!, category: "spot" as const };
    const raw = { quote: spot };
    expect(facts({ category: "spot", orderType: "Market", qty: "250" }, raw).order.notional_usd).toBe(250);
    expect(facts({ category: "spot", side: "Sell", orderType: "Market", qty: "0.01" }, raw).order.notional_usd).toBe(599.995);
    expect(facts({ category: "spot", side: "Sell", orderType: "Market", qty: "250", marketUnit: "quoteCoin" }, raw).order.notional_usd).toBe(250);
  });

  it("treats a stale, future, mismatched or priceless quote as missing", () => {
    const q = sampleRaw().quote!;
    expect(facts({}, { quote: { ...q, fetchedAtMs: SAMPLE_NOW_MS - 10_001 } }).quote.problem).toMatch(/10001 ms old/);
    expect(facts({}, { quote: { ...q, fetchedAtMs: SAMPLE_NOW_MS + 60_000 } }).quote.problem).toMatch(/future/);
    expect(facts({}, { quote: { ...q, category: "spot" } }).quote.problem).toMatch(/category spot/);
    expect(facts({}, { quote: { ...q, markPrice: "0" } }).quote.problem).toMatch(/no positive markPrice/);
    expect(facts({}, { quote: { ...q, fetchedAtMs: SAMPLE_NOW_MS - 10_000 } }).quote.available).toBe(true);
    expect(facts({}, { quote: { ...q, fetchedAtMs: SAMPLE_NOW_MS - 3_000 } }).quote.available).toBe(true);
  });

  it("amend: side and type from the resting order, which leaves the open-order book", () => {
    const f = buildFacts(sampleIntent("amend_order"), sampleRaw());
    expect(f.intent).toMatchObject({ side: "buy", order_type: "Limit", qty: "0.002", price: "59000", order_id: "o-1" });
    expect(f.order.notional_usd).toBe(120); // 0.002 x max(59,000, 60,000)
    expect(f.exposure.by_instrument["linear:BTCUSDT"]).toMatchObject({ open_buy_usd: "0", order_usd: "120" });
  });

  it("counts today's trades by UTC date", () => {
    expect(facts({}, { tradesToday: 7, counterDate: "2025-05-31" }).trades).toMatchObject({ today: 0, rolled_over: true, after_order: 1 });
    expect(facts({}, { tradesToday: 7, counterDate: "2025-06-01" }).trades).toMatchObject({ today: 7, after_order: 8 });
    expect(facts({}, { tradesToday: -1 }).trades.readable).toBe(false);
  });

  it("halts on a global, broker or unreadable kill switch", () => {
    expect(facts({}, { halt: { global: true, broker: true } }).halt.scope).toBe("global");
    expect(facts({}, { halt: { global: false, broker: false, error: "EIO" } }).halt).toMatchObject({ halted: true, scope: "unreadable", reason: "EIO" });
  });
});

describe("grossExposure", () => {
  const base = { category: "linear" as const, symbol: "BTCUSDT", reference: "60000", openOrders: [] };

  it("signs positions by side and nets the order per instrument", () => {
    const g = grossExposure({ ...base, orderSigned: "-600", positions: [{ symbol: "BTCUSDT", side: "Buy", size: "0.01", positionValue: "600" }, { symbol: "ETHUSDT", side: "Sell", size: "1", positionValue: "3000" }] });
    expect(g).toMatchObject({ ok: true, current: "3600", postTrade: "3000" });
  });

  it("converts inverse positionValue (base coin) at the mark, falling back to the USD size", () => {
    const g = grossExposure({ ...base, orderSigned: null, positions: [
      { category: "inverse", symbol: "BTCUSD", side: "Buy", size: "1000", positionValue: "0.02", markPrice: "60000" },
      { category: "inverse", symbol: "ETHUSD", side: "Sell", size: "500" },
    ] });
    expect(g).toMatchObject({ ok: true, current: "1700" });
  });

  it("fails closed on rows it cannot value", () => {
    expect(grossExposure({ ...base, orderSigned: "1", positions: [{ symbol: "X", side: "", size: "2" }] })).toMatchObject({ ok: false });
    expect(grossExposure({ ...base, orderSigned: "1", positions: [{ symbol: "X", side: "Buy", size: "abc" }] })).toMatchObject({ ok: false });
    expect(grossExposure({ ...base, orderSigned: "1", positions: [], openOrders: [{ orderId: "m", symbol: "ETHUSDT", side: "Buy", qty: "1", orderType: "Market" }] })).toMatchObject({ ok: false });
  });

  it("counts resting orders at their worst case and ignores filled or reduce-only ones", () => {
    const g = grossExposure({ ...base, orderSigned: "100", positions: [], openOrders: [
      { orderId: "b", symbol: "ETHUSDT", side: "Buy", price: "3000", qty: "1", leavesQty: "0.5" },
      { orderId: "s", symbol: "ETHUSDT", side: "Sell", price: "3000", qty: "1" },
      { orderId: "f", symbol: "ETHUSDT", side: "Buy", price: "3000", qty: "9", orderStatus: "Filled" },
      { orderId: "r", symbol: "ETHUSDT", side: "Buy", price: "3000", qty: "9", reduceOnly: true },
      { orderId: "lo", symbol: "BTCUSDT", side: "Buy", price: "50000", qty: "0.01" },
    ] });
    // ETH: max(|0 + 1500|, |0 - 3000|) = 3000; BTC: 100 + 0.01 x max(50,000, 60,000) = 700
    expect(g).toMatchObject({ ok: true, postTrade: "3700" });
  });
});
