/**
 * 10,000 random and malformed argument sets through the MCP boundary of the
 * built server: no write reaches the exchange without an allow, nothing
 * crashes, and every rejection is a clear sentence (no stack traces).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
let mcp: McpHandle;

beforeAll(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  rt.writeMandate({ hard_caps: { max_trades_per_day: 100_000 } });
  mcp = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_MCP_LOG_LEVEL: "error" });
});
afterAll(async () => {
  await mcp.close();
  await sim.close();
  rt.cleanup();
});

const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({}));
const decimalish = fc.oneof(
  fc.constantFrom("0.001", "0.01", "0.5", "1", "100", "0", "-1", "1e-7", "0.0000001", "1,000", "", " 1", "NaN", "Infinity", "50000", "45000.5"),
  fc.double({ noNaN: false }),
  fc.integer({ min: -10, max: 100_000 }),
  junk,
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const args = fc.record(
  {
    category: fc.oneof(fc.constantFrom("spot", "linear", "inverse", "option", "futures", "LINEAR", ""), junk),
    symbol: fc.oneof(fc.constantFrom("BTCUSDT", "btcusdt", "ETHUSDT", "BTCUSD", "NOPE", "", "BTC/USDT", "../x"), junk),
    side: maybe(fc.oneof(fc.constantFrom("Buy", "sell", "SELL", "hold", ""), junk)),
    order_type: maybe(fc.oneof(fc.constantFrom("Market", "limit", "Stop"), junk)),
    qty: maybe(decimalish),
    price: maybe(decimalish),
    notional_usd: maybe(decimalish),
    leverage: maybe(decimalish),
    order_link_id: maybe(fc.oneof(fc.constantFrom("fz-1", "x".repeat(37), "bad id!"), junk)),
    order_id: maybe(fc.oneof(fc.constantFrom("nope"), junk)),
    reduce_only: maybe(fc.oneof(fc.boolean(), junk)),
    market_unit: maybe(fc.oneof(fc.constantFrom("baseCoin", "quoteCoin", "coin"), junk)),
    position_idx: maybe(fc.oneof(fc.constantFrom(0, 1, 2, 3), junk)),
    stop_loss: maybe(decimalish),
    extra_field: maybe(junk),
  },
  { requiredKeys: [] },
);
const tool = fc.constantFrom(
  "bybit_place_order", "bybit_place_order", "bybit_place_order", "bybit_amend_order", "bybit_cancel_order",
  "bybit_cancel_all_orders", "bybit_set_leverage", "bybit_set_trading_stop", "bybit_check_order",
);

describe("fuzzing the MCP boundary", () => {
  it("10,000 random calls: no forward without an allow, no crash, clear rejections", async () => {
    const samples = fc.sample(fc.tuple(tool, args), { numRuns: 10_000, seed: 20261123 });
    let allowed = 0;
    const statuses = new Map<string, number>();
    for (let i = 0; i < samples.length; i += 100) {
      const batch = samples.slice(i, i + 100);
      const results = await Promise.all(batch.map(([name, a]) => mcp.client.callTool({ name, arguments: JSON.parse(JSON.stringify(a)) as Record<string, unknown> })));
      for (const [k, res] of results.entries()) {
        const sc = res.structuredContent as Record<string, unknown> | undefined;
        const status = String(sc?.status ?? (res.isError ? "error" : "other"));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const text = (res.content as { text?: string }[])[0]?.text ?? "";
        expect(text.length, JSON.stringify(batch[k])).toBeGreaterThan(0);
        expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
        if (batch[k]![0] !== "bybit_check_order" && sc?.decision === "allow") allowed++;
      }
    }
    const writes = sim.requests().filter((r) => r.method === "POST").length;
    expect(writes).toBe(allowed);
    expect(statuses.get("blocked") ?? 0).toBeGreaterThan(0);
    expect(statuses.get("accepted") ?? 0).toBeGreaterThan(0);
    // Still alive and answering.
    const ping = await mcp.call("bybit_get_tickers", { category: "linear", symbol: "BTCUSDT" });
    expect(ping.isError).toBeFalsy();
  }, 300_000);
});
