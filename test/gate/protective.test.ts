/**
 * isProtectiveOrder decides which resting orders cancel_all keeps during a
 * halt, so every way Bybit marks a stop, TP/SL or reduce-only order counts,
 * and a plain entry order does not.
 */
import { describe, expect, it } from "vitest";
import { isProtectiveOrder, protectionOf } from "../../src/gate/protective.js";
import type { OrderRow } from "../../src/gate/types.js";

/** A plain resting limit buy, as /v5/order/realtime returns it. */
const entry: OrderRow = {
  category: "linear",
  orderId: "o-1",
  symbol: "BTCUSDT",
  side: "Buy",
  orderType: "Limit",
  price: "55000",
  qty: "0.01",
  leavesQty: "0.01",
  orderStatus: "New",
  reduceOnly: false,
  closeOnTrigger: false,
  stopOrderType: "",
  triggerPrice: "",
};

describe("isProtectiveOrder", () => {
  it.each<[string, Partial<OrderRow>]>([
    ["a plain limit order", {}],
    ["stopOrderType UNKNOWN (Bybit's other marker for a plain order)", { stopOrderType: "UNKNOWN" }],
    ["triggerPrice 0", { triggerPrice: "0" }],
    ["triggerPrice 0.00", { triggerPrice: "0.00" }],
    ["no stop fields at all (an older row)", { stopOrderType: undefined, triggerPrice: undefined, closeOnTrigger: undefined, reduceOnly: undefined }],
  ])("an entry order: %s", (_name, patch) => {
    const row = { ...entry, ...patch };
    expect(isProtectiveOrder(row)).toBe(false);
    expect(protectionOf(row)).toEqual([]);
  });

  it.each<[string, Partial<OrderRow>, string]>([
    ["reduce-only", { reduceOnly: true }, "reduce-only"],
    ["close-on-trigger", { closeOnTrigger: true }, "close-on-trigger"],
    ["a StopLoss", { stopOrderType: "StopLoss" }, "StopLoss order"],
    ["a TakeProfit", { stopOrderType: "TakeProfit" }, "TakeProfit order"],
    ["a partial TP/SL", { stopOrderType: "PartialStopLoss" }, "PartialStopLoss order"],
    ["a spot tpslOrder", { stopOrderType: "tpslOrder" }, "tpslOrder order"],
    ["a trailing stop", { stopOrderType: "TrailingStop" }, "TrailingStop order"],
    ["a conditional order by its trigger price", { triggerPrice: "61000" }, "trigger price 61000"],
    ["an untriggered order", { orderStatus: "Untriggered" }, "untriggered"],
    ["an unreadable trigger price (fail closed)", { triggerPrice: "n/a" }, "trigger price n/a"],
    ["a stopOrderType that is not a string (fail closed)", { stopOrderType: 1 as unknown as string }, "1 order"],
  ])("protective: %s", (_name, patch, why) => {
    const row = { ...entry, ...patch };
    expect(isProtectiveOrder(row)).toBe(true);
    expect(protectionOf(row)).toContain(why);
  });

  it("names every way a row protects", () => {
    const sl = { ...entry, side: "Sell" as const, reduceOnly: true, closeOnTrigger: true, stopOrderType: "StopLoss", triggerPrice: "50000", orderStatus: "Untriggered" };
    expect(protectionOf(sl)).toEqual(["reduce-only", "close-on-trigger", "StopLoss order", "untriggered", "trigger price 50000"]);
  });
});
