import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sim, startSim } from "../../src/sim/index.js";
import { get, order, post } from "./helpers.js";

let sim: Sim;
beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "100000");
});
afterEach(() => sim.close());

const create = (over: Record<string, unknown>) => post(sim, "/v5/order/create", order(over));

describe("market orders", () => {
  it("fill at the mark and open a position with the right side, size and values", async () => {
    const r = await create({ side: "Sell", qty: "0.02", orderLinkId: "mkt-1" });
    expect(r.json.retCode).toBe(0);
    expect(r.json.result).toMatchObject({ orderLinkId: "mkt-1" });
    const pos = await get(sim, "/v5/position/list", "category=linear&symbol=BTCUSDT");
    expect(pos.json.result.list[0]).toMatchObject({
      symbol: "BTCUSDT",
      side: "Sell",
      size: "0.02",
      avgPrice: "100000.00",
      positionValue: "2000",
      markPrice: "100000.00",
      leverage: "10",
      unrealisedPnl: "0",
      positionIdx: 0,
    });
    sim.setMarkPrice("linear", "BTCUSDT", "99000");
    const later = await get(sim, "/v5/position/list", "category=linear&symbol=BTCUSDT");
    expect(later.json.result.list[0].unrealisedPnl).toBe("20");
  });

  it("closing books realised PnL into the USDT wallet and flattens the position", async () => {
    await create({ qty: "0.1" });
    sim.setMarkPrice("linear", "BTCUSDT", "101000");
    await create({ side: "Sell", qty: "0.1" });
    expect(sim.state().wallet.USDT).toBe("100100");
    const pos = await get(sim, "/v5/position/list", "category=linear&symbol=BTCUSDT");
    expect(pos.json.result.list[0]).toMatchObject({ side: "", size: "0" });
    const bySettle = await get(sim, "/v5/position/list", "category=linear&settleCoin=USDT");
    expect(bySettle.json.result.list).toEqual([]);
  });

  it("inverse: qty is USD contracts and positionValue is in BTC", async () => {
    sim.setMarkPrice("inverse", "BTCUSD", "50000");
    sim.setWalletBalance("BTC", "1"); // inverse contracts are margined in the coin
    const r = await post(sim, "/v5/order/create", order({ category: "inverse", symbol: "BTCUSD", qty: "1000" }));
    expect(r.json.retCode).toBe(0);
    const pos = await get(sim, "/v5/position/list", "category=inverse&symbol=BTCUSD");
    expect(pos.json.result.list[0]).toMatchObject({ side: "Buy", size: "1000", avgPrice: "50000.00", positionValue: "0.02" });
    const frac = await post(sim, "/v5/order/create", order({ category: "inverse", symbol: "BTCUSD", qty: "10.5" }));
    expect(frac.json.retCode).toBe(10001);
  });

  it("spot Market Buy spends quote coin by default, baseCoin with marketUnit", async () => {
    sim.setMarkPrice("spot", "BTCUSDT", "50000");
    const before = sim.state().wallet;
    const r = await post(sim, "/v5/order/create", order({ category: "spot", qty: "1000" }));
    expect(r.json.retCode).toBe(0);
    const o = sim.state().orders.at(-1)!;
    // Filled at the ask, one tick above the mark.
    expect(o).toMatchObject({ orderStatus: "Filled", marketUnit: "quoteCoin", avgPrice: "50000.01", cumExecQty: "0.019999" });
    expect(Number(sim.state().wallet.BTC) - Number(before.BTC)).toBeCloseTo(0.019999, 9);
    const base = await post(sim, "/v5/order/create", order({ category: "spot", qty: "0.01", marketUnit: "baseCoin" }));
    expect(base.json.retCode).toBe(0);
    expect(sim.state().orders.at(-1)).toMatchObject({ cumExecQty: "0.01", marketUnit: "baseCoin" });
  });

  it("options: a limit rests and a market order opens a position in contracts", async () => {
    const opt = (over: Record<string, unknown>) => post(sim, "/v5/order/create", order({ category: "option", symbol: "BTC-26DEC26-100000-C", ...over }));
    expect((await opt({ orderType: "Limit", price: "14000", qty: "0.1" })).json.retCode).toBe(0);
    expect((await opt({ orderType: "Limit", price: "14001", qty: "0.1" })).json.retCode).toBe(10001); // tick 5
    expect((await opt({ qty: "0.2" })).json.retCode).toBe(0);
    const pos = await get(sim, "/v5/position/list", "category=option");
    expect(pos.json.result.list).toHaveLength(1);
    expect(pos.json.result.list[0]).toMatchObject({ symbol: "BTC-26DEC26-100000-C", side: "Buy", size: "0.2" });
  });

  it("reduceOnly that would not reduce is 110017", async () => {
    expect((await create({ reduceOnly: true })).json.retCode).toBe(110017);
    await create({ qty: "0.01" });
    expect((await create({ reduceOnly: true })).json.retCode).toBe(110017);
    const ok = await create({ side: "Sell", reduceOnly: true, qty: "0.01" });
    expect(ok.json.retCode).toBe(0);
  });
});

describe("filters and validation", () => {
  it("qty step, min qty, max qty and min notional answer Bybit's codes", async () => {
    const step = await create({ qty: "0.0015" });
    expect(step.json).toMatchObject({ retCode: 10001 });
    expect(step.json.retMsg).toMatch(/qtyStep/);
    const small = await create({ qty: "0.0001" });
    expect(small.json.retCode).toBe(10001);
    expect(small.json.retMsg).toMatch(/minimum/);
    expect((await create({ qty: "120" })).json.retCode).toBe(10001); // above maxMktOrderQty
    sim.setMarkPrice("linear", "BTCUSDT", "4000");
    const notional = await create({ qty: "0.001" });
    expect(notional.json).toMatchObject({ retCode: 110094 });
  });

  it("spot filters: decimals 170137, value below minOrderAmt 170140, qty below min 170136", async () => {
    const spot = (over: Record<string, unknown>) => post(sim, "/v5/order/create", order({ category: "spot", ...over }));
    expect((await spot({ side: "Sell", qty: "0.0000001" })).json.retCode).toBe(170137);
    expect((await spot({ qty: "1" })).json.retCode).toBe(170140);
    expect((await spot({ side: "Sell", qty: "0.00001" })).json.retCode).toBe(170136);
    expect((await spot({ symbol: "DOGEUSDT" })).json.retCode).toBe(170121);
  });

  it("rejects bad params with 10001", async () => {
    expect((await create({ side: "buy" })).json.retCode).toBe(10001);
    expect((await create({ orderType: "Stop" })).json.retCode).toBe(10001);
    expect((await create({ qty: 0.01 })).json.retCode).toBe(10001);
    expect((await create({ qty: "1e-2" })).json.retCode).toBe(10001);
    expect((await create({ orderType: "Limit" })).json.retCode).toBe(10001);
    expect((await create({ orderLinkId: "x".repeat(37) })).json.retCode).toBe(10001);
    expect((await create({ orderLinkId: "bad id!" })).json.retCode).toBe(10001);
    expect((await create({ symbol: "NOPEUSDT" })).json).toMatchObject({ retCode: 10001, retMsg: "params error: symbol invalid" });
    expect((await create({ category: "futures" })).json).toMatchObject({ retCode: 10001, retMsg: "Illegal category" });
    expect((await create({ orderType: "Limit", price: "100000.05" })).json.retCode).toBe(10001);
    expect(sim.state().orders).toEqual([]);
  });

  it("a duplicate orderLinkId is 110072, even after the first order filled", async () => {
    expect((await create({ orderLinkId: "dup-1" })).json.retCode).toBe(0);
    const again = await create({ orderLinkId: "dup-1" });
    expect(again.json.retCode).toBe(110072);
    expect(sim.state().orders).toHaveLength(1);
  });

  it("110007 when the cost at leverage exceeds available USDT", async () => {
    sim.setWalletBalance("USDT", "50");
    // 0.01 BTC at 100000 with 10x leverage needs 100 USDT of margin.
    expect((await create({ qty: "0.01" })).json).toMatchObject({ retCode: 110007 });
    expect((await create({ qty: "0.004" })).json.retCode).toBe(0);
    sim.setWalletBalance("USDT", "0");
    expect((await create({ orderType: "Limit", price: "90000", qty: "0.001" })).json.retCode).toBe(110007);
  });
});

describe("limit orders", () => {
  it("rest as New; amend changes them; cancel and cancel-all close them", async () => {
    const a = await create({ orderType: "Limit", price: "90000", qty: "0.01", orderLinkId: "lim-a" });
    const b = await create({ orderType: "Limit", price: "91000", qty: "0.01", orderLinkId: "lim-b" });
    const c = await create({ orderType: "Limit", price: "92000", qty: "0.01", orderLinkId: "lim-c" });
    expect([a, b, c].map((r) => r.json.retCode)).toEqual([0, 0, 0]);
    const open = await get(sim, "/v5/order/realtime", "category=linear&symbol=BTCUSDT");
    expect(open.json.result.list.map((o: { orderLinkId: string }) => o.orderLinkId)).toEqual(["lim-c", "lim-b", "lim-a"]);
    expect(open.json.result.list[2]).toMatchObject({ orderStatus: "New", price: "90000", qty: "0.01", leavesQty: "0.01", leavesValue: "900" });

    const amend = await post(sim, "/v5/order/amend", { category: "linear", symbol: "BTCUSDT", orderLinkId: "lim-a", price: "89500", qty: "0.02" });
    expect(amend.json).toMatchObject({ retCode: 0, result: { orderId: a.json.result.orderId, orderLinkId: "lim-a" } });
    expect(sim.state().orders[0]).toMatchObject({ price: "89500", qty: "0.02", leavesQty: "0.02" });
    const same = await post(sim, "/v5/order/amend", { category: "linear", symbol: "BTCUSDT", orderLinkId: "lim-a", price: "89500" });
    expect(same.json.retCode).toBe(10001);

    const cancel = await post(sim, "/v5/order/cancel", { category: "linear", symbol: "BTCUSDT", orderId: b.json.result.orderId });
    expect(cancel.json).toMatchObject({ retCode: 0, result: { orderLinkId: "lim-b" } });
    const twice = await post(sim, "/v5/order/cancel", { category: "linear", symbol: "BTCUSDT", orderId: b.json.result.orderId });
    expect(twice.json.retCode).toBe(110001);
    const amendGone = await post(sim, "/v5/order/amend", { category: "linear", symbol: "BTCUSDT", orderLinkId: "lim-b", qty: "0.03" });
    expect(amendGone.json.retCode).toBe(110001);

    const all = await post(sim, "/v5/order/cancel-all", { category: "linear", symbol: "BTCUSDT" });
    expect(all.json.retCode).toBe(0);
    expect(all.json.result.list.map((o: { orderLinkId: string }) => o.orderLinkId).sort()).toEqual(["lim-a", "lim-c"]);
    expect(sim.state().orders.map((o) => o.orderStatus)).toEqual(["Cancelled", "Cancelled", "Cancelled"]);
    const none = await get(sim, "/v5/order/realtime", "category=linear&symbol=BTCUSDT");
    expect(none.json.result.list).toEqual([]);
  });

  it("realtime by orderLinkId also finds filled and cancelled orders; history filters by it", async () => {
    await create({ orderLinkId: "filled-1" });
    const r = await get(sim, "/v5/order/realtime", "category=linear&orderLinkId=filled-1");
    expect(r.json.result.list).toHaveLength(1);
    expect(r.json.result.list[0]).toMatchObject({ orderLinkId: "filled-1", orderStatus: "Filled", cumExecQty: "0.01", avgPrice: "100000.00" });
    expect(r.json.result.list[0].category).toBeUndefined();
    const missing = await get(sim, "/v5/order/realtime", "category=linear&orderLinkId=never-sent");
    expect(missing.json).toMatchObject({ retCode: 0, result: { list: [] } });
    const h = await get(sim, "/v5/order/history", "category=linear&orderLinkId=filled-1");
    expect(h.json.result.list).toHaveLength(1);
  });

  it("history pages with limit and cursor", async () => {
    for (let i = 0; i < 5; i++) await create({ orderType: "Limit", price: "90000", orderLinkId: `page-${i}` });
    const seen: string[] = [];
    let cursor = "";
    for (let n = 0; n < 5; n++) {
      const r = await get(sim, "/v5/order/history", `category=linear&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      seen.push(...r.json.result.list.map((o: { orderLinkId: string }) => o.orderLinkId));
      cursor = r.json.result.nextPageCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(["page-4", "page-3", "page-2", "page-1", "page-0"]);
    expect(cursor).toBe("");
  });
});
