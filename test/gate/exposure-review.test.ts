/**
 * Gross exposure cases found in review: hedge-mode legs do not net, and a
 * position is worth at least its size at the current price.
 */
import { describe, expect, it } from "vitest";
import { grossExposure } from "../../src/gate/notional.js";

describe("grossExposure", () => {
  it("keeps hedge-mode legs apart: a short on leg 2 adds to a long on leg 1", () => {
    const long = { category: "linear" as const, symbol: "BTCUSDT", side: "Buy" as const, size: "0.02", positionValue: "1000", markPrice: "50000", positionIdx: 1 };
    const hedged = grossExposure({ category: "linear", symbol: "BTCUSDT", orderSigned: "-1000", reference: "50000", positions: [long], openOrders: [], positionIdx: 2 });
    expect(hedged).toMatchObject({ ok: true, current: "1000", postTrade: "2000" });
    const reducing = grossExposure({ category: "linear", symbol: "BTCUSDT", orderSigned: "-1000", reference: "50000", positions: [long], openOrders: [], positionIdx: 1 });
    expect(reducing).toMatchObject({ ok: true, postTrade: "0" });
    const oneWay = grossExposure({ category: "linear", symbol: "BTCUSDT", orderSigned: "-1000", reference: "50000", positions: [{ ...long, positionIdx: 0 }], openOrders: [] });
    expect(oneWay).toMatchObject({ ok: true, postTrade: "0" });
  });

  it("values a position at the larger of positionValue (entry) and size x current price", () => {
    const gained = { category: "linear" as const, symbol: "BTCUSDT", side: "Buy" as const, size: "0.038", positionValue: "1900", markPrice: "100000" };
    expect(grossExposure({ category: "linear", symbol: "ETHUSDT", orderSigned: null, reference: null, positions: [gained], openOrders: [] })).toMatchObject({ current: "3800" });
    const inverse = { category: "inverse" as const, symbol: "BTCUSD", side: "Buy" as const, size: "1000", positionValue: "0.01", markPrice: "50000" };
    // positionValue x mark = 500 after a fall; the USD face (size) is 1000.
    expect(grossExposure({ category: "linear", symbol: "ETHUSDT", orderSigned: null, reference: null, positions: [inverse], openOrders: [] })).toMatchObject({ current: "1000" });
  });
});
