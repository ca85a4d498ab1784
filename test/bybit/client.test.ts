/**
 * The client against the simulated exchange over real HTTP: the simulator
 * verifies signatures with its own code, so a signing bug cannot cancel out.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BybitClient } from "../../src/bybit/client.js";
import { BadResponseError, BybitApiError, HttpStatusError, NetworkError, NoCredentialsError, TimeoutError } from "../../src/errors.js";
import { startSim, type Sim } from "../../src/sim/index.js";

let sim: Sim;
const clients: BybitClient[] = [];

function client(over: Partial<ConstructorParameters<typeof BybitClient>[0]> = {}): BybitClient {
  const c = new BybitClient({ baseUrl: sim.url, apiKey: sim.apiKey, apiSecret: sim.apiSecret, recvWindow: 5000, timeoutMs: 2000, retryBaseMs: 20, ...over });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sim = await startSim({ rateLimits: false });
});
afterEach(() => {
  sim.faults.clear();
  sim.clearRequests();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
});

describe("signing against the simulator", () => {
  it("signed GET and POST are accepted", async () => {
    const c = client();
    const wallet = await c.get<{ list: unknown[] }>("/v5/account/wallet-balance", { accountType: "UNIFIED" }, true);
    expect(wallet.result.list.length).toBe(1);
    const ack = await c.post<{ orderId: string; orderLinkId: string }>("/v5/order/create", {
      category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Limit", qty: "0.001", price: "10000", orderLinkId: "sign-test-1",
    });
    expect(ack.result.orderLinkId).toBe("sign-test-1");
    expect(ack.result.orderId).toBeTruthy();
  });

  it("a query with characters that need encoding is signed as sent", async () => {
    const c = client();
    const err = await c.get("/v5/order/realtime", { category: "linear", symbol: "BTCUSDT", cursor: "a b&c/é=%" }, true).then(
      () => null,
      (e: unknown) => e,
    );
    // Whatever the simulator makes of that cursor, the signature over the encoded query held.
    if (err !== null) expect((err as BybitApiError).retCode).not.toBe(10004);
    const logged = sim.requests().find((r) => r.path === "/v5/order/realtime");
    expect(logged?.query.cursor).toBe("a b&c/é=%");
  });

  it("a wrong secret gets 10004", async () => {
    const c = client({ apiSecret: "not-the-secret" });
    await expect(c.get("/v5/account/wallet-balance", { accountType: "UNIFIED" }, true)).rejects.toMatchObject({ retCode: 10004 });
  });

  it("an unknown key gets 10003 and no error text carries the secret", async () => {
    const c = client({ apiKey: "nobody", apiSecret: "super-secret-canary" });
    const err = await c.get("/v5/account/wallet-balance", { accountType: "UNIFIED" }, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BybitApiError);
    expect((err as BybitApiError).retCode).toBe(10003);
    expect(JSON.stringify(err) + String(err) + (err as Error).stack).not.toContain("super-secret-canary");
  });

  it("a 30 s clock skew gets 10002, re-syncs and succeeds", async () => {
    const c = client();
    await c.syncClock();
    sim.faults.set({ clockSkewMs: 30_000 });
    const res = await c.get<{ list: unknown[] }>("/v5/account/wallet-balance", { accountType: "UNIFIED" }, true);
    expect(res.result.list.length).toBe(1);
    const codes = sim.requests().filter((r) => r.path === "/v5/account/wallet-balance").map((r) => r.retCode);
    expect(codes).toEqual([10002, 0]);
    expect(Math.abs(c.clockOffsetMs - 30_000)).toBeLessThan(1000);
  });

  it("private calls without keys fail before any request", async () => {
    const c = client({ apiKey: "", apiSecret: "" });
    await expect(c.get("/v5/account/wallet-balance", {}, true)).rejects.toBeInstanceOf(NoCredentialsError);
    expect(sim.requests()).toHaveLength(0);
  });
});

describe("fault matrix on reads", () => {
  const recovered = ["http5xx", "ret10016", "ret10006", "drop_before_process", "malformed_json"] as const;
  it.each(recovered)("%s once → retried → correct result", async (fault) => {
    const c = client();
    sim.faults.set({ next: [{ fault, path: "/v5/market/tickers", count: 1 }] });
    const res = await c.get<{ list: { symbol: string }[] }>("/v5/market/tickers", { category: "linear", symbol: "BTCUSDT" });
    expect(res.result.list[0]?.symbol).toBe("BTCUSDT");
    expect(sim.requests().filter((r) => r.path === "/v5/market/tickers").length).toBe(2);
  });

  it("a persistent 5xx ends in a clear error after 3 tries", async () => {
    const c = client();
    sim.faults.set({ next: [{ fault: "http5xx", path: "/v5/market/tickers", count: 10 }] });
    const err = await c.get("/v5/market/tickers", { category: "linear" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(sim.requests().filter((r) => r.path === "/v5/market/tickers").length).toBe(3);
  });

  it("persistent malformed JSON ends in BadResponseError", async () => {
    const c = client();
    sim.faults.set({ next: [{ fault: "malformed_json", path: "/v5/market/tickers", count: 10 }] });
    await expect(c.get("/v5/market/tickers", { category: "linear" })).rejects.toBeInstanceOf(BadResponseError);
  });

  it("a hung exchange ends in TimeoutError within the configured timeout", async () => {
    const c = client({ timeoutMs: 400 });
    sim.faults.set({ next: [{ fault: "hang", path: "/v5/market/tickers", count: 10 }] });
    const t0 = Date.now();
    await expect(c.get("/v5/market/tickers", { category: "linear" })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - t0).toBeLessThan(400 + 300);
  });

  it("added latency beyond the timeout is a timeout; within it, a result", async () => {
    sim.faults.set({ latencyMs: 150 });
    const ok = await client({ timeoutMs: 1000 }).get<{ list: unknown[] }>("/v5/market/tickers", { category: "linear", symbol: "BTCUSDT" });
    expect(ok.result.list).toHaveLength(1);
    await expect(client({ timeoutMs: 100 }).get("/v5/market/tickers", { category: "linear" })).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe("writes are never retried once they may have been sent", () => {
  it("a dropped connection after the order was processed → NetworkError(maybeSent), one create only", async () => {
    const c = client();
    sim.faults.set({ next: [{ fault: "drop_after_process", path: "/v5/order/create" }] });
    const err = await c
      .post("/v5/order/create", { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.001", orderLinkId: "drop-1" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).maybeSent).toBe(true);
    expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(1);
    expect(sim.state().orders.some((o: { orderLinkId?: string }) => o.orderLinkId === "drop-1")).toBe(true);
  });

  it("10006 and 10016 on create are reported, not retried", async () => {
    const c = client();
    for (const fault of ["ret10006", "ret10016"] as const) {
      sim.clearRequests();
      sim.faults.set({ next: [{ fault, path: "/v5/order/create" }] });
      const err = await c
        .post("/v5/order/create", { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.001", orderLinkId: `rl-${fault}` })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BybitApiError);
      expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(1);
    }
  });

  it("a connection refused before sending is marked not sent", async () => {
    const c = client({ baseUrl: "http://127.0.0.1:1" });
    const err = await c.post("/v5/order/create", { category: "linear" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).maybeSent).toBe(false);
  });
});
