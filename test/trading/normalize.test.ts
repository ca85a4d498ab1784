import { describe, expect, it } from "vitest";
import { IntentError, newOrderLinkId, normalizeAmend, normalizeCancelAll, normalizeLeverage, normalizePlace, normalizeTradingStop } from "../../src/trading/normalize.js";

describe("normalizePlace", () => {
  it("forwards exact decimal strings, canonical enums and upper-cased symbols", () => {
    const n = normalizePlace({ category: "linear", symbol: "btcusdt", side: "buy", order_type: "limit", qty: 1e-7, price: "0.30" });
    expect(n.body).toMatchObject({ category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Limit", qty: "0.0000001", price: "0.3" });
    expect(n.intent).toMatchObject({ tool: "place_order", symbol: "BTCUSDT", side: "Buy", qty: "0.0000001", price: "0.3" });
  });

  it("always carries an orderLinkId of at most 36 characters, the agent's when given", () => {
    const gen = normalizePlace({ category: "spot", symbol: "BTCUSDT", side: "Sell", order_type: "Market", qty: "0.01" });
    expect(gen.orderLinkId).toMatch(/^[A-Za-z0-9_-]{1,36}$/);
    expect(gen.body.orderLinkId).toBe(gen.orderLinkId);
    expect(newOrderLinkId()).not.toBe(newOrderLinkId());
    const own = normalizePlace({ category: "spot", symbol: "BTCUSDT", side: "Sell", order_type: "Market", qty: "0.01", order_link_id: "mine-1" });
    expect(own.body.orderLinkId).toBe("mine-1");
  });

  it("adds nothing the agent did not say", () => {
    const n = normalizePlace({ category: "linear", symbol: "ETHUSDT", side: "Sell", order_type: "Market", qty: "1" });
    expect(Object.keys(n.body).sort()).toEqual(["category", "orderLinkId", "orderType", "qty", "side", "symbol"]);
  });

  it.each([
    [{ order_type: "Limit" }, /price is required/],
    [{ price: "100" }, /only to Limit/],
    [{ qty: "0" }, /greater than 0/],
    [{ qty: "-1" }, /greater than 0/],
    [{ market_unit: "baseCoin" as const }, /only to spot/],
  ])("rejects %j", (over, msg) => {
    expect(() => normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "1", ...over })).toThrow(msg);
  });
});

describe("other writes", () => {
  it("amend needs exactly one order reference and something to change", () => {
    expect(() => normalizeAmend({ category: "linear", symbol: "BTCUSDT", price: "1" })).toThrow(IntentError);
    expect(() => normalizeAmend({ category: "linear", symbol: "BTCUSDT", order_id: "a", order_link_id: "b", price: "1" })).toThrow(/not both/);
    expect(() => normalizeAmend({ category: "linear", symbol: "BTCUSDT", order_id: "a" })).toThrow(/nothing to amend/);
    expect(normalizeAmend({ category: "linear", symbol: "btcusdt", order_id: "a", qty: 2 }).body).toEqual({ category: "linear", symbol: "BTCUSDT", orderId: "a", qty: "2" });
  });

  it("cancel-all on derivatives needs a scope", () => {
    expect(() => normalizeCancelAll({ category: "linear" })).toThrow(/symbol, base_coin or settle_coin/);
    expect(normalizeCancelAll({ category: "spot" }).body).toEqual({ category: "spot" });
  });

  it("leverage is sent as equal buy and sell strings; trading stop allows 0 to clear", () => {
    expect(normalizeLeverage({ category: "linear", symbol: "BTCUSDT", leverage: 2.5 }).body).toMatchObject({ buyLeverage: "2.5", sellLeverage: "2.5" });
    expect(() => normalizeLeverage({ category: "spot", symbol: "BTCUSDT", leverage: 2 })).toThrow(IntentError);
    expect(normalizeTradingStop({ category: "linear", symbol: "BTCUSDT", position_idx: 0, stop_loss: 0 }).body).toMatchObject({ stopLoss: "0", tpslMode: "Full" });
    expect(() => normalizeTradingStop({ category: "linear", symbol: "BTCUSDT", position_idx: 0 })).toThrow(IntentError);
  });
});
