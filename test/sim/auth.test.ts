import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hmacSign, verifyRequest, type SimKey } from "../../src/sim/auth.js";
import { type Sim, startSim } from "../../src/sim/index.js";
import { call, get, post, sign } from "./helpers.js";

const VECTOR_KEY: SimKey = { key: "test-key", secret: "test-secret", uid: "1" };
const keys = new Map([["test-key", VECTOR_KEY]]);
const GET_VECTOR = {
  ts: "1658384314791",
  payload: "category=option&symbol=BTC-29JUL22-25000-C",
  sign: "65548120da59aeb18c9c3c11a3d9793cefd43f6f6f84ef264d2ac76ab24c8a39",
};
const POST_VECTOR = {
  ts: "1658385579423",
  payload: '{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"10000"}',
  sign: "d4a8c8eefe0a26b788d82734e7ad05c74901c813c6f156ffa87dbeb26af25d5e",
};

function headers(ts: string, s: string, extra: Record<string, string> = {}) {
  return { "x-bapi-api-key": "test-key", "x-bapi-timestamp": ts, "x-bapi-sign": s, "x-bapi-recv-window": "5000", ...extra };
}

describe("auth.ts against the published vectors", () => {
  it("the independent test signer reproduces both vectors", () => {
    expect(sign("test-secret", GET_VECTOR.ts, "test-key", "5000", GET_VECTOR.payload)).toBe(GET_VECTOR.sign);
    expect(sign("test-secret", POST_VECTOR.ts, "test-key", "5000", POST_VECTOR.payload)).toBe(POST_VECTOR.sign);
  });

  it("hmacSign computes both vectors", () => {
    expect(hmacSign("test-secret", GET_VECTOR.ts, "test-key", "5000", GET_VECTOR.payload)).toBe(GET_VECTOR.sign);
    expect(hmacSign("test-secret", POST_VECTOR.ts, "test-key", "5000", POST_VECTOR.payload)).toBe(POST_VECTOR.sign);
  });

  it("verifyRequest accepts both vectors at their own server time", () => {
    for (const v of [GET_VECTOR, POST_VECTOR]) {
      const r = verifyRequest({ headers: headers(v.ts, v.sign), payload: v.payload, keys, serverTime: Number(v.ts) + 10 });
      expect(r).toEqual({ ok: true, key: VECTOR_KEY });
    }
  });

  it("rejects a payload changed by one byte (a re-serialised body) with 10004", () => {
    const spaced = POST_VECTOR.payload.replace('"qty":"0.001"', '"qty": "0.001"');
    const r = verifyRequest({ headers: headers(POST_VECTOR.ts, POST_VECTOR.sign), payload: spaced, keys, serverTime: Number(POST_VECTOR.ts) });
    expect(r).toMatchObject({ ok: false, retCode: 10004 });
    if (!r.ok) expect(r.retMsg.startsWith("error sign!")).toBe(true);
  });

  it("applies serverTime - recvWindow <= ts < serverTime + 1000", () => {
    const ts = Number(GET_VECTOR.ts);
    const at = (serverTime: number) =>
      verifyRequest({ headers: headers(GET_VECTOR.ts, GET_VECTOR.sign), payload: GET_VECTOR.payload, keys, serverTime });
    expect(at(ts + 5000).ok).toBe(true);
    expect(at(ts + 5001)).toMatchObject({ ok: false, retCode: 10002 });
    expect(at(ts - 999).ok).toBe(true);
    expect(at(ts - 1000)).toMatchObject({ ok: false, retCode: 10002 });
  });

  it("missing or unknown key is 10003, missing signature 10004, missing timestamp 10002", () => {
    const base = { payload: "", keys, serverTime: 1 };
    expect(verifyRequest({ ...base, headers: {} })).toMatchObject({ retCode: 10003 });
    expect(verifyRequest({ ...base, headers: { ...headers("1", "x"), "x-bapi-api-key": "nope" } })).toMatchObject({ retCode: 10003 });
    expect(verifyRequest({ ...base, headers: { "x-bapi-api-key": "test-key", "x-bapi-timestamp": "1" } })).toMatchObject({ retCode: 10004 });
    expect(verifyRequest({ ...base, headers: { "x-bapi-api-key": "test-key", "x-bapi-sign": "ab" } })).toMatchObject({ retCode: 10002 });
  });
});

describe("signed requests over HTTP", () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim({ extraKeys: [{ key: "second-key", secret: "second-secret" }] });
  });
  afterAll(() => sim.close());

  it("accepts a signed GET and a signed POST", async () => {
    const g = await get(sim, "/v5/account/wallet-balance", "accountType=UNIFIED&coin=USDT");
    expect(g.status).toBe(200);
    expect(g.json.retCode).toBe(0);
    expect(g.json.result.list[0].coin[0]).toMatchObject({ coin: "USDT", walletBalance: "100000" });
    const p = await post(sim, "/v5/order/create", { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Limit", qty: "0.001", price: "50000" });
    expect(p.json).toMatchObject({ retCode: 0, retMsg: "OK" });
    expect(typeof p.json.result.orderId).toBe("string");
  });

  it("signs the query exactly as sent (unsorted order is fine)", async () => {
    const r = await get(sim, "/v5/account/wallet-balance", "coin=USDT&accountType=UNIFIED");
    expect(r.json.retCode).toBe(0);
  });

  it("accepts extra keys", async () => {
    const r = await get(sim, "/v5/position/list", "category=linear", { key: "second-key", secret: "second-secret" });
    expect(r.json.retCode).toBe(0);
  });

  it("wrong secret is 10004 with HTTP 200 and the v5 envelope", async () => {
    const r = await get(sim, "/v5/position/list", "category=linear", { secret: "wrong" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ retCode: 10004, result: {}, retExtInfo: {} });
    expect(r.json.retMsg).toMatch(/^error sign!/);
    expect(typeof r.json.time).toBe("number");
  });

  it("unknown key is 10003", async () => {
    const r = await get(sim, "/v5/position/list", "category=linear", { key: "who", secret: "x" });
    expect(r.json.retCode).toBe(10003);
  });

  it("a timestamp outside the recv window is 10002", async () => {
    const stale = await get(sim, "/v5/position/list", "category=linear", { timestamp: Date.now() - 6000 });
    expect(stale.json.retCode).toBe(10002);
    const future = await get(sim, "/v5/position/list", "category=linear", { timestamp: Date.now() + 2000 });
    expect(future.json.retCode).toBe(10002);
    const wide = await get(sim, "/v5/position/list", "category=linear", { timestamp: Date.now() - 6000, recvWindow: "10000" });
    expect(wide.json.retCode).toBe(0);
  });

  it("no auth headers on a private route is 10003; public routes need none", async () => {
    const r = await call(sim, "GET", "/v5/order/realtime", { query: "category=linear", auth: false });
    expect(r.json.retCode).toBe(10003);
    const t = await get(sim, "/v5/market/time");
    expect(t.json.retCode).toBe(0);
  });

  it("logs each request with its key and retCode", async () => {
    sim.clearRequests();
    await get(sim, "/v5/position/list", "category=linear", { secret: "wrong" });
    const log = sim.requests();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: "GET", path: "/v5/position/list", query: { category: "linear" }, apiKey: sim.apiKey, retCode: 10004, httpStatus: 200 });
  });
});
