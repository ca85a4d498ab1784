import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sim, startSim } from "../../src/sim/index.js";
import { call, get, order, post } from "./helpers.js";

let sim: Sim;
beforeEach(async () => {
  sim = await startSim({ markDrift: false });
});
afterEach(() => sim.close());

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(sim.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe("one-shot faults", () => {
  it("drop_after_process creates the order but closes the socket with no answer", async () => {
    sim.faults.set({ next: [{ fault: "drop_after_process", path: "/v5/order/create" }] });
    await expect(post(sim, "/v5/order/create", order({ orderLinkId: "lost-answer" }))).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(sim.state().orders).toHaveLength(1);
    expect(sim.state().orders[0]).toMatchObject({ orderLinkId: "lost-answer", orderStatus: "Filled" });
    // The client's recovery path: look the order up by its orderLinkId.
    const found = await get(sim, "/v5/order/realtime", "category=linear&orderLinkId=lost-answer");
    expect(found.json.result.list[0].orderLinkId).toBe("lost-answer");
    const log = sim.requests().filter((r) => r.path === "/v5/order/create");
    expect(log).toEqual([expect.objectContaining({ fault: "drop_after_process", httpStatus: 0 })]);
  });

  it("drop_before_process changes nothing", async () => {
    sim.faults.set({ next: [{ fault: "drop_before_process" }] });
    await expect(post(sim, "/v5/order/create", order())).rejects.toThrow();
    expect(sim.state().orders).toEqual([]);
  });

  it("http5xx answers 503 without processing", async () => {
    sim.faults.set({ next: [{ fault: "http5xx", path: "/v5/order" }] });
    const r = await post(sim, "/v5/order/create", order());
    expect(r.status).toBe(503);
    expect(sim.state().orders).toEqual([]);
  });

  it("ret10016 and ret10006 answer HTTP 200 envelopes; 10006 carries the limit headers", async () => {
    sim.faults.set({ next: [{ fault: "ret10016" }, { fault: "ret10006", path: "/v5/order/create" }] });
    const a = await get(sim, "/v5/market/time");
    expect(a).toMatchObject({ status: 200, json: { retCode: 10016 } });
    const b = await post(sim, "/v5/order/create", order());
    expect(b).toMatchObject({ status: 200, json: { retCode: 10006, retMsg: "Too many visits!" } });
    expect(b.headers["x-bapi-limit"]).toBe("10");
    expect(b.headers["x-bapi-limit-status"]).toBe("0");
    expect(Number(b.headers["x-bapi-limit-reset-timestamp"])).toBeGreaterThan(Date.now() - 1000);
    expect(sim.state().orders).toEqual([]);
  });

  it("malformed_json answers 200 with a truncated body", async () => {
    sim.faults.set({ next: [{ fault: "malformed_json", path: "/v5/market/tickers" }] });
    const r = await get(sim, "/v5/market/tickers", "category=linear");
    expect(r.status).toBe(200);
    expect(r.text.startsWith('{"retCode":0')).toBe(true);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it("hang never answers until the simulator closes", async () => {
    sim.faults.set({ next: [{ fault: "hang" }] });
    await expect(call(sim, "GET", "/v5/market/time", { timeoutMs: 200 })).rejects.toThrow(/client timeout/);
  });

  it("close() ends a hung request instead of waiting for it", async () => {
    const own = await startSim();
    own.faults.set({ next: [{ fault: "hang", path: "/v5/order/create" }] });
    const pending = post(own, "/v5/order/create", order());
    await new Promise((r) => setTimeout(r, 50));
    await own.close();
    await expect(pending).rejects.toThrow();
    expect(own.state().orders).toEqual([]);
  });

  it("count and path prefix decide which requests a fault hits", async () => {
    sim.faults.set({ next: [{ fault: "ret10016", path: "/v5/market/tickers", count: 2 }] });
    expect((await get(sim, "/v5/market/time")).json.retCode).toBe(0);
    expect((await get(sim, "/v5/market/tickers", "category=spot")).json.retCode).toBe(10016);
    expect((await get(sim, "/v5/market/tickers", "category=spot")).json.retCode).toBe(10016);
    expect((await get(sim, "/v5/market/tickers", "category=spot")).json.retCode).toBe(0);
  });
});

describe("latency and clock skew", () => {
  it("latencyMs delays each answer measurably", async () => {
    sim.faults.set({ latencyMs: 150 });
    const r = await get(sim, "/v5/market/time");
    expect(r.ms).toBeGreaterThanOrEqual(140);
    sim.faults.clear();
    expect((await get(sim, "/v5/market/time")).ms).toBeLessThan(140);
  });

  it("clockSkewMs moves /v5/market/time and the recv-window check", async () => {
    sim.faults.set({ clockSkewMs: 60_000 });
    const t = await get(sim, "/v5/market/time");
    expect(Number(t.json.result.timeSecond) * 1000 - Date.now()).toBeGreaterThan(55_000);
    expect(t.json.time - Date.now()).toBeGreaterThan(55_000);
    const r = await get(sim, "/v5/position/list", "category=linear");
    expect(r.json.retCode).toBe(10002);
    const synced = await get(sim, "/v5/position/list", "category=linear", { timestamp: t.json.time });
    expect(synced.json.retCode).toBe(0);
  });
});

describe("rate limits", () => {
  it("the 11th linear create in one second is 10006, with X-Bapi-Limit headers; the next second resets", async () => {
    let now = Math.floor(Date.now() / 1000) * 1000 + 200;
    const clocked = await startSim({ now: () => now });
    const create = () =>
      call(clocked, "POST", "/v5/order/create", { body: order({ orderType: "Limit", price: "50000", qty: "0.001" }), auth: { timestamp: now } });
    try {
      const replies = [];
      for (let i = 0; i < 11; i++) replies.push(await create());
      expect(replies.slice(0, 10).map((r) => r.json.retCode)).toEqual(Array(10).fill(0));
      expect(replies[0]!.headers["x-bapi-limit"]).toBe("10");
      expect(replies[0]!.headers["x-bapi-limit-status"]).toBe("9");
      expect(replies[0]!.headers["x-bapi-limit-reset-timestamp"]).toBe(String(now - 200 + 1000));
      expect(replies[10]!.json).toMatchObject({ retCode: 10006, retMsg: "Too many visits!" });
      expect(replies[10]!.headers["x-bapi-limit-status"]).toBe("0");
      expect(clocked.state().orders).toHaveLength(10);
      // Reads have their own, larger budget in the same second.
      const read = await call(clocked, "GET", "/v5/order/realtime", { query: "category=linear", auth: { timestamp: now } });
      expect(read.json.retCode).toBe(0);
      expect(read.headers["x-bapi-limit"]).toBe("50");
      now += 1000;
      expect((await create()).json.retCode).toBe(0);
    } finally {
      await clocked.close();
    }
  });

  it("rateLimits: false never answers 10006", async () => {
    const free = await startSim({ rateLimits: false });
    try {
      for (let i = 0; i < 15; i++) {
        const r = await post(free, "/v5/order/create", order({ orderType: "Limit", price: "50000", qty: "0.001" }));
        expect(r.json.retCode).toBe(0);
      }
    } finally {
      await free.close();
    }
  });
});

describe("admin routes", () => {
  it("POST /__sim/faults sets faults; GET /__sim/state and /__sim/requests read; none are logged", async () => {
    const set = await admin("POST", "/__sim/faults", { next: [{ fault: "ret10016", path: "/v5/market/time" }] });
    expect(set.status).toBe(200);
    expect((await get(sim, "/v5/market/time")).json.retCode).toBe(10016);
    const bad = await admin("POST", "/__sim/faults", { next: [{ fault: "explode" }] });
    expect(bad.status).toBe(400);
    const state = await admin("GET", "/__sim/state");
    expect(state.json.wallet).toMatchObject({ USDT: "100000", BTC: "0" });
    const requests = await admin("GET", "/__sim/requests");
    expect((requests.json as unknown as unknown[]).length).toBe(1);
    expect(sim.requests().map((r) => r.path)).toEqual(["/v5/market/time"]);
  });
});
