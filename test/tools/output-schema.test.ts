/**
 * Every tool's real results, errors included, against the outputSchema it
 * declares: both the zod schema the server validates with and the JSON
 * Schema a client sees in tools/list (checked with Ajv, as a client would).
 * In-process server, the SDK's 2025 Client, the simulated exchange.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeps, createServer, loadConfig, startSim, type ServerDeps, type Sim } from "../../src/index.js";
import { silentLogger } from "../../src/log.js";
import { allTools } from "../../src/tools/index.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

type Result = { isError?: boolean; structuredContent?: Record<string, unknown> };
type Call = { name: string; args: Record<string, unknown>; before?: () => void; want: string };

const ORDER = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" };
const BAD_SYMBOL = { category: "linear", symbol: "NOPEUSDT" };

/** For each tool, calls that reach each of its result kinds. `want`: the status, "ok", or "error" (isError). */
const CALLS: Call[] = [
  { name: "bybit_get_tickers", args: { category: "linear", symbol: "BTCUSDT" }, want: "ok" },
  { name: "bybit_get_tickers", args: BAD_SYMBOL, want: "error" },
  { name: "bybit_get_kline", args: { category: "linear", symbol: "BTCUSDT", interval: "60", limit: 3 }, want: "ok" },
  { name: "bybit_get_kline", args: { symbol: "NOPEUSDT", interval: "60" }, want: "error" },
  { name: "bybit_get_orderbook", args: { category: "spot", symbol: "ETHUSDT", limit: 5 }, want: "ok" },
  { name: "bybit_get_orderbook", args: BAD_SYMBOL, want: "error" },
  { name: "bybit_get_funding_history", args: { category: "linear", symbol: "BTCUSDT", limit: 2 }, want: "ok" },
  { name: "bybit_get_funding_history", args: BAD_SYMBOL, want: "error" },
  { name: "bybit_get_open_interest", args: { category: "linear", symbol: "BTCUSDT", interval_time: "1h", limit: 2 }, want: "ok" },
  { name: "bybit_get_open_interest", args: { ...BAD_SYMBOL, interval_time: "1h" }, want: "error" },
  { name: "bybit_get_instruments_info", args: { category: "linear", symbol: "BTCUSDT" }, want: "ok" },
  { name: "bybit_get_instruments_info", args: { category: "spot" }, want: "ok" },
  { name: "bybit_get_recent_trades", args: { category: "spot", symbol: "BTCUSDT", limit: 2 }, want: "ok" },
  { name: "bybit_get_recent_trades", args: BAD_SYMBOL, want: "error" },
  { name: "bybit_get_wallet_balance", args: { coins: "USDT" }, want: "ok" },
  { name: "bybit_get_positions", args: { category: "linear", settle_coin: "USDT" }, want: "ok" },
  { name: "bybit_get_open_orders", args: { category: "linear", symbol: "BTCUSDT" }, want: "ok" },
  { name: "bybit_get_order_history", args: { category: "linear" }, want: "ok" },
  { name: "bybit_place_order", args: ORDER, want: "accepted" },
  { name: "bybit_place_order", args: { ...ORDER, qty: "1000" }, want: "blocked" },
  { name: "bybit_place_order", args: { ...ORDER, order_type: "Limit" }, want: "error" },
  { name: "bybit_place_order", args: ORDER, before: () => dropNextCreate(), want: "unknown" },
  { name: "bybit_amend_order", args: { category: "linear", symbol: "BTCUSDT", order_id: "nope", qty: "0.001" }, want: "blocked" },
  { name: "bybit_cancel_order", args: { category: "linear", symbol: "BTCUSDT", order_id: "nope" }, want: "rejected" },
  { name: "bybit_cancel_all_orders", args: { category: "linear", symbol: "BTCUSDT" }, want: "accepted" },
  { name: "bybit_set_leverage", args: { category: "linear", symbol: "BTCUSDT", leverage: "1" }, want: "accepted" },
  { name: "bybit_set_leverage", args: { category: "linear", symbol: "BTCUSDT", leverage: "100" }, want: "blocked" },
  { name: "bybit_set_trading_stop", args: { category: "linear", symbol: "BTCUSDT", position_idx: 0, stop_loss: "1000" }, want: "accepted" },
  { name: "bybit_check_order", args: ORDER, want: "checked" },
  { name: "bybit_check_order", args: { ...ORDER, order_type: "Limit" }, want: "error" },
  { name: "bybit_get_mandate_status", args: {}, want: "ok" },
];

let sim: Sim;
let rt: Runtime;
let deps: ServerDeps;
let client: Client;
let closeServer: () => Promise<void>;
const listedSchemas = new Map<string, Record<string, unknown>>();

function dropNextCreate(): void {
  sim.faults.set({ next: [{ fault: "drop_before_process", path: "/v5/order/create" }] });
}

beforeAll(async () => {
  sim = await startSim({ markDrift: false });
  rt = tempRuntime();
  rt.writeMandate();
  deps = buildDeps(loadConfig({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root }), silentLogger);
  const { server, close } = createServer(deps);
  closeServer = close;
  const [a, b] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: "output-schema", version: "0" });
  await Promise.all([server.connect(a), client.connect(b)]);
  for (const t of (await client.listTools()).tools) if (t.outputSchema) listedSchemas.set(t.name, t.outputSchema);
});

afterAll(async () => {
  await client?.close();
  await closeServer?.();
  await deps?.close();
  await sim?.close();
  rt?.cleanup();
});

describe("output schemas", () => {
  it("every tool declares one, and the calls below reach every tool", () => {
    expect([...listedSchemas.keys()].sort()).toEqual(allTools.map((t) => t.name).sort());
    expect(new Set(CALLS.map((c) => c.name))).toEqual(new Set(allTools.map((t) => t.name)));
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const c of CALLS) {
    it(`${c.name} → ${c.want}: structuredContent validates against the declared schema`, async () => {
      c.before?.();
      const res = (await client.callTool({ name: c.name, arguments: c.args })) as Result;
      const sc = res.structuredContent;
      expect(sc, JSON.stringify(res)).toBeDefined();
      if (c.want === "error") expect(res.isError).toBe(true);
      else if (c.want === "ok") expect(res.isError, JSON.stringify(sc)).toBeFalsy();
      else expect(sc?.status, JSON.stringify(sc)).toBe(c.want);
      const zod = allTools.find((t) => t.name === c.name)!.output.safeParse(sc);
      expect(zod.success, JSON.stringify(zod.error?.issues)).toBe(true);
      const validate = ajv.compile(listedSchemas.get(c.name)!);
      expect(validate(sc), ajv.errorsText(validate.errors)).toBe(true);
    });
  }

  it("the listed schema rejects what the tool never returns", () => {
    const write = ajv.compile(listedSchemas.get("bybit_place_order")!);
    expect(write({ status: "accepted" })).toBe(false);
    expect(write({ status: "sent", decision: "allow" })).toBe(false);
    const read = ajv.compile(listedSchemas.get("bybit_get_tickers")!);
    expect(read({ category: "linear", list: [{ symbol: "BTCUSDT" }] })).toBe(false);
    expect(read({ error: "x" })).toBe(false);
  });
});
