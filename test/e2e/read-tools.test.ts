/**
 * End to end for the 11 read tools: the SDK Client spawns the built server
 * over stdio; the server calls the simulated exchange over real HTTP with a
 * unique secret, which must never show up in anything we can capture.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

const CANARY_KEY = `ck${randomBytes(6).toString("hex")}`;
const CANARY_SECRET = `cs${randomBytes(16).toString("hex")}`;

let sim: Sim;
let rt: Runtime;
let mcp: McpHandle;
const seen: string[] = [];

beforeAll(async () => {
  sim = await startSim({ apiKey: CANARY_KEY, apiSecret: CANARY_SECRET });
  rt = tempRuntime();
  mcp = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: CANARY_KEY, BYBIT_API_SECRET: CANARY_SECRET, VIBE_RUNTIME_ROOT: rt.root, BYBIT_MCP_LOG_LEVEL: "debug" });
});

afterAll(async () => {
  await mcp?.close();
  await sim?.close();
  const everything = [...seen, mcp?.stderr() ?? ""].join("\n");
  rt?.cleanup();
  // The secret canary: nothing the server returned or logged carries the secret.
  expect(everything).not.toContain(CANARY_SECRET);
});

async function call(name: string, args: Record<string, unknown>) {
  const res = await mcp.call(name, args);
  seen.push(JSON.stringify(res));
  return res;
}

function list(res: { structuredContent?: Record<string, unknown> }): Record<string, unknown>[] {
  return (res.structuredContent?.list ?? []) as Record<string, unknown>[];
}

const DECIMAL = /^\d+(\.\d+)?$/;

describe("read tools over stdio against the simulator", () => {
  it("lists 19 tools with truthful annotations, under 25 KB", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools).toHaveLength(19);
    expect(JSON.stringify(tools).length).toBeLessThan(25_000);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("bybit_get_tickers")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("bybit_place_order")?.annotations?.destructiveHint).toBe(true);
    expect(byName.get("bybit_place_order")?.inputSchema.required).toEqual(expect.arrayContaining(["category", "symbol", "side", "order_type", "qty"]));
  });

  it("bybit_get_tickers returns BTCUSDT with mark and bid/ask as decimal strings", async () => {
    const res = await call("bybit_get_tickers", { category: "linear", symbol: "btcusdt" });
    expect(res.isError).toBeFalsy();
    const [row] = list(res);
    expect(row?.symbol).toBe("BTCUSDT");
    expect(String(row?.markPrice)).toMatch(DECIMAL);
    expect(Number(row?.ask1Price)).toBeGreaterThanOrEqual(Number(row?.bid1Price));
    expect(res.content[0]).toMatchObject({ type: "text" });
  });

  it("bybit_get_kline returns the requested number of candles, newest first", async () => {
    const res = await call("bybit_get_kline", { category: "linear", symbol: "BTCUSDT", interval: "60", limit: 5 });
    const rows = list(res) as unknown as string[][];
    expect(rows).toHaveLength(5);
    expect(Number(rows[0]![0])).toBeGreaterThan(Number(rows[1]![0]));
    expect(rows[0]).toHaveLength(7);
  });

  it("bybit_get_orderbook returns sorted bids and asks", async () => {
    const res = await call("bybit_get_orderbook", { category: "spot", symbol: "ETHUSDT", limit: 5 });
    const sc = res.structuredContent as { b: string[][]; a: string[][]; s: string };
    expect(sc.s).toBe("ETHUSDT");
    expect(sc.b.length).toBeGreaterThan(0);
    expect(Number(sc.b[0]![0])).toBeLessThan(Number(sc.a[0]![0]));
  });

  it("bybit_get_funding_history returns funding rates", async () => {
    const res = await call("bybit_get_funding_history", { category: "linear", symbol: "BTCUSDT", limit: 3 });
    const rows = list(res);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toHaveProperty("fundingRate");
    expect(rows[0]?.symbol).toBe("BTCUSDT");
  });

  it("bybit_get_open_interest pages with a cursor", async () => {
    const first = await call("bybit_get_open_interest", { category: "linear", symbol: "BTCUSDT", interval_time: "1h", limit: 2 });
    expect(list(first)).toHaveLength(2);
    const cursor = first.structuredContent?.nextPageCursor as string;
    expect(cursor).toBeTruthy();
    const second = await call("bybit_get_open_interest", { category: "linear", symbol: "BTCUSDT", interval_time: "1h", limit: 2, cursor });
    expect(list(second)[0]?.timestamp).not.toBe(list(first)[0]?.timestamp);
  });

  it("bybit_get_instruments_info returns real filters", async () => {
    const res = await call("bybit_get_instruments_info", { category: "linear", symbol: "BTCUSDT" });
    const [row] = list(res) as { lotSizeFilter: Record<string, string> }[];
    expect(row?.lotSizeFilter.qtyStep).toMatch(DECIMAL);
    expect(row?.lotSizeFilter.minOrderQty).toMatch(DECIMAL);
  });

  it("bybit_get_recent_trades returns trades", async () => {
    const res = await call("bybit_get_recent_trades", { category: "spot", symbol: "BTCUSDT", limit: 3 });
    const rows = list(res);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]?.symbol).toBe("BTCUSDT");
    expect(["Buy", "Sell"]).toContain(rows[0]?.side);
  });

  it("bybit_get_wallet_balance signs and reads the unified wallet", async () => {
    const res = await call("bybit_get_wallet_balance", { coins: "USDT" });
    expect(res.isError).toBeFalsy();
    const [acct] = list(res) as { accountType: string; coin: { coin: string; walletBalance: string }[] }[];
    expect(acct?.accountType).toBe("UNIFIED");
    expect(acct?.coin[0]?.coin).toBe("USDT");
    expect(Number(acct?.coin[0]?.walletBalance)).toBeGreaterThan(0);
  });

  it("bybit_get_positions, bybit_get_open_orders and bybit_get_order_history answer signed lists", async () => {
    for (const [name, args] of [
      ["bybit_get_positions", { category: "linear", settle_coin: "USDT" }],
      ["bybit_get_open_orders", { category: "linear", symbol: "BTCUSDT" }],
      ["bybit_get_order_history", { category: "linear" }],
    ] as const) {
      const res = await call(name, args);
      expect(res.isError, name).toBeFalsy();
      expect(Array.isArray(res.structuredContent?.list), name).toBe(true);
    }
    const signed = sim.requests().filter((r) => r.path.startsWith("/v5/position") || r.path.startsWith("/v5/order"));
    expect(signed.length).toBeGreaterThanOrEqual(3);
    expect(signed.every((r) => r.retCode === 0)).toBe(true);
  });

  it("rejects unknown arguments and bad enums without calling the exchange", async () => {
    sim.clearRequests();
    const unknown = await call("bybit_get_tickers", { category: "linear", foo: 1 });
    expect(unknown.isError).toBe(true);
    const badEnum = await call("bybit_get_tickers", { category: "futures" });
    expect(badEnum.isError).toBe(true);
    expect(sim.requests()).toHaveLength(0);
  });

  it("an exchange error comes back as one clear isError sentence", async () => {
    const res = await call("bybit_get_tickers", { category: "linear", symbol: "NOPEUSDT" });
    expect(res.isError).toBe(true);
    expect(res.structuredContent?.ret_code).toBe(10001);
    expect((res.content[0] as { text: string }).text).toMatch(/retCode 10001/);
  });
});

describe("private tools without keys", () => {
  it("answer isError naming BYBIT_API_KEY", async () => {
    const rt2 = tempRuntime();
    const bare = await connect({ BYBIT_BASE_URL: sim.url, VIBE_RUNTIME_ROOT: rt2.root });
    try {
      const res = await bare.call("bybit_get_wallet_balance", {});
      expect(res.isError).toBe(true);
      expect((res.content[0] as { text: string }).text).toContain("BYBIT_API_KEY");
      const pub = await bare.call("bybit_get_tickers", { category: "spot", symbol: "BTCUSDT" });
      expect(pub.isError).toBeFalsy();
    } finally {
      await bare.close();
      rt2.cleanup();
    }
  });
});

describe("a wrong secret", () => {
  it("gets 10004, and neither the key nor the secret appears in any result, refusal or log", async () => {
    const rt2 = tempRuntime();
    rt2.writeMandate();
    const wrongSecret = `wrong${randomBytes(12).toString("hex")}`;
    const h = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: CANARY_KEY, BYBIT_API_SECRET: wrongSecret, VIBE_RUNTIME_ROOT: rt2.root, BYBIT_MCP_LOG_LEVEL: "debug" });
    try {
      const read = await h.call("bybit_get_wallet_balance", {});
      expect(read.isError).toBe(true);
      expect(read.structuredContent?.ret_code).toBe(10004);
      const order = await h.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" });
      expect(order.structuredContent?.status).toBe("blocked");
      const status = await h.call("bybit_get_mandate_status", {});
      const everything = JSON.stringify([read, order, status]) + h.stderr();
      expect(everything).not.toContain(CANARY_KEY);
      expect(everything).not.toContain(wrongSecret);
    } finally {
      await h.close();
      rt2.cleanup();
    }
  });
});
