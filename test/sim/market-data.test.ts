import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sim, startSim } from "../../src/sim/index.js";
import { call, get } from "./helpers.js";

let sim: Sim;
beforeAll(async () => {
  sim = await startSim({ markDrift: false });
});
afterAll(() => sim.close());

const isDecimalString = (v: unknown) => typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v);

describe("tickers", () => {
  it("lists every symbol of a category with string prices", async () => {
    const r = await get(sim, "/v5/market/tickers", "category=linear");
    expect(r.json.result.category).toBe("linear");
    expect(r.json.result.list.map((t: { symbol: string }) => t.symbol)).toEqual(["BTCUSDT", "ETHUSDT", "BTCPERP"]);
    const t = r.json.result.list[0];
    for (const f of ["lastPrice", "markPrice", "indexPrice", "bid1Price", "ask1Price", "volume24h", "turnover24h", "fundingRate", "openInterest"]) {
      expect(isDecimalString(t[f]), f).toBe(true);
    }
    expect(Number(t.bid1Price)).toBeLessThan(Number(t.ask1Price));
  });

  it("setMarkPrice pins mark, last, bid and ask", async () => {
    sim.setMarkPrice("linear", "ETHUSDT", "2500");
    const r = await get(sim, "/v5/market/tickers", "category=linear&symbol=ETHUSDT");
    expect(r.json.result.list).toHaveLength(1);
    expect(r.json.result.list[0]).toMatchObject({ markPrice: "2500.00", lastPrice: "2500.00", bid1Price: "2499.99", ask1Price: "2500.01" });
  });

  it("the option ticker carries underlyingPrice and greeks; spot has no markPrice", async () => {
    const o = await get(sim, "/v5/market/tickers", "category=option&symbol=BTC-26DEC26-100000-C");
    expect(isDecimalString(o.json.result.list[0].underlyingPrice)).toBe(true);
    expect(o.json.result.list[0].delta).toBeDefined();
    const s = await get(sim, "/v5/market/tickers", "category=spot&symbol=BTCUSDT");
    expect(s.json.result.list[0].markPrice).toBeUndefined();
    expect(isDecimalString(s.json.result.list[0].usdIndexPrice)).toBe(true);
  });

  it("the mark drifts with time unless markDrift is false", async () => {
    let now = 1_700_000_000_000;
    const drifting = await startSim({ now: () => now });
    try {
      const mark = async () => (await get(drifting, "/v5/market/tickers", "category=linear&symbol=BTCUSDT")).json.result.list[0].markPrice as string;
      const a = await mark();
      now += 150_000;
      const b = await mark();
      expect(a).not.toBe(b);
      expect(Math.abs(Number(a) / Number(b) - 1)).toBeLessThan(0.0011);
      now -= 150_000;
      expect(await mark()).toBe(a);
    } finally {
      await drifting.close();
    }
  });
});

describe("errors", () => {
  it("unknown symbol, bad category and unknown path", async () => {
    expect((await get(sim, "/v5/market/tickers", "category=linear&symbol=NOPE")).json).toMatchObject({ retCode: 10001, retMsg: "params error: symbol invalid" });
    expect((await get(sim, "/v5/market/tickers", "category=futures")).json).toMatchObject({ retCode: 10001, retMsg: "Illegal category" });
    expect((await get(sim, "/v5/market/funding/history", "category=spot&symbol=BTCUSDT")).json.retCode).toBe(10001);
    expect((await get(sim, "/v5/market/nothing")).status).toBe(404);
    expect((await call(sim, "POST", "/v5/market/time", { body: {} })).status).toBe(404);
  });
});

describe("kline", () => {
  it("validates the interval and the limit", async () => {
    expect((await get(sim, "/v5/market/kline", "category=linear&symbol=BTCUSDT&interval=2")).json.retCode).toBe(10001);
    expect((await get(sim, "/v5/market/kline", "category=linear&symbol=BTCUSDT&interval=60&limit=1001")).json.retCode).toBe(10001);
  });

  it("returns deterministic candles newest first within start/end, closing at the mark", async () => {
    const end = Date.now();
    const start = end - 5 * 3_600_000;
    const q = `category=linear&symbol=BTCUSDT&interval=60&start=${start}&end=${end}`;
    const a = await get(sim, "/v5/market/kline", q);
    const list = a.json.result.list as string[][];
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(list.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < list.length; i++) expect(Number(list[i - 1]![0]) - Number(list[i]![0])).toBe(3_600_000);
    for (const [, o, h, l, c] of list) {
      expect(Number(h)).toBeGreaterThanOrEqual(Math.max(Number(o), Number(c)));
      expect(Number(l)).toBeLessThanOrEqual(Math.min(Number(o), Number(c)));
    }
    const again = await get(sim, "/v5/market/kline", q);
    expect(again.json.result.list.slice(1)).toEqual(list.slice(1));
    const mark = (await get(sim, "/v5/market/tickers", "category=linear&symbol=BTCUSDT")).json.result.list[0].markPrice;
    expect(list[0]![4]).toBe(mark);
  });

  it("monthly and weekly candles start on month starts and Mondays", async () => {
    const m = await get(sim, "/v5/market/kline", "category=spot&symbol=BTCUSDT&interval=M&limit=3");
    for (const [t] of m.json.result.list as string[][]) expect(new Date(Number(t)).getUTCDate()).toBe(1);
    const w = await get(sim, "/v5/market/kline", "category=inverse&symbol=BTCUSD&interval=W&limit=3");
    for (const [t] of w.json.result.list as string[][]) expect(new Date(Number(t)).getUTCDay()).toBe(1);
  });
});

describe("other market endpoints", () => {
  it("orderbook honours limit and keeps bids below asks", async () => {
    const r = await get(sim, "/v5/market/orderbook", "category=linear&symbol=BTCUSDT&limit=5");
    const { b, a, s } = r.json.result;
    expect(s).toBe("BTCUSDT");
    expect(b).toHaveLength(5);
    expect(a).toHaveLength(5);
    expect(Number(b[0][0])).toBeLessThan(Number(a[0][0]));
    expect(Number(b[1][0])).toBeLessThan(Number(b[0][0]));
    expect((await get(sim, "/v5/market/orderbook", "category=option&symbol=BTC-26DEC26-100000-C&limit=26")).json.retCode).toBe(10001);
  });

  it("instruments-info carries Bybit's filters and pages with a cursor", async () => {
    const first = await get(sim, "/v5/market/instruments-info", "category=linear&limit=1");
    expect(first.json.result.list).toHaveLength(1);
    expect(first.json.result.list[0].lotSizeFilter).toMatchObject({ minOrderQty: "0.001", qtyStep: "0.001", minNotionalValue: "5" });
    expect(first.json.result.list[0].leverageFilter.maxLeverage).toBe("100.00");
    const cursor = first.json.result.nextPageCursor as string;
    expect(cursor).not.toBe("");
    const second = await get(sim, "/v5/market/instruments-info", `category=linear&limit=1&cursor=${encodeURIComponent(cursor)}`);
    expect(second.json.result.list[0].symbol).toBe("ETHUSDT");
    const third = await get(sim, "/v5/market/instruments-info", `category=linear&limit=1&cursor=${encodeURIComponent(second.json.result.nextPageCursor as string)}`);
    expect(third.json.result.list[0].symbol).toBe("BTCPERP");
    expect(third.json.result.nextPageCursor).toBe("");
    const spot = await get(sim, "/v5/market/instruments-info", "category=spot&symbol=BTCUSDT");
    expect(Object.keys(spot.json.result.list[0].lotSizeFilter).sort()).toEqual(
      ["basePrecision", "maxOrderAmt", "maxOrderQty", "minOrderAmt", "minOrderQty", "quotePrecision"],
    );
  });

  it("open interest pages backwards in time with a cursor", async () => {
    const q = "category=linear&symbol=BTCUSDT&intervalTime=1h&limit=3";
    const p1 = await get(sim, "/v5/market/open-interest", q);
    const p2 = await get(sim, "/v5/market/open-interest", `${q}&cursor=${encodeURIComponent(p1.json.result.nextPageCursor)}`);
    const times = [...p1.json.result.list, ...p2.json.result.list].map((x: { timestamp: string }) => Number(x.timestamp));
    expect(times).toHaveLength(6);
    for (let i = 1; i < 6; i++) expect(times[i - 1]! - times[i]!).toBe(3_600_000);
    expect((await get(sim, "/v5/market/open-interest", "category=linear&symbol=BTCUSDT&intervalTime=2h")).json.retCode).toBe(10001);
  });

  it("funding history every 8 hours, recent trades with the asked limit", async () => {
    const f = await get(sim, "/v5/market/funding/history", "category=linear&symbol=BTCUSDT&limit=3");
    const ts = f.json.result.list.map((x: { fundingRateTimestamp: string }) => Number(x.fundingRateTimestamp));
    expect(ts[0] - ts[1]).toBe(8 * 3_600_000);
    expect(isDecimalString(f.json.result.list[0].fundingRate)).toBe(true);
    const t = await get(sim, "/v5/market/recent-trade", "category=spot&symbol=ETHUSDT&limit=7");
    expect(t.json.result.list).toHaveLength(7);
    expect(t.json.result.list[0]).toMatchObject({ symbol: "ETHUSDT", isBlockTrade: false });
  });
});
