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
/** Mostly well-formed values, with malformed ones mixed in. */
const mostly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 15 }, { arbitrary: junk, weight: 1 });
const decimalish = mostly(
  fc.oneof(
    fc.constantFrom("0.001", "0.002", "0.01", "0.5", "1", "100", "50000", "49900.5", "0", "-1", "1e-7", "1,000", "", " 1", "NaN"),
    fc.double({ min: -1, max: 100_000, noNaN: true }),
    fc.integer({ min: -10, max: 100_000 }),
  ),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const common = {
  category: mostly(fc.constantFrom("spot", "linear", "linear", "inverse", "option", "futures", "LINEAR")),
  symbol: mostly(fc.constantFrom("BTCUSDT", "BTCUSDT", "btcusdt", "ETHUSDT", "BTCUSD", "DOGEUSDT", "NOPE", "", "BTC/USDT")),
};
const orderRef = { order_id: maybe(mostly(fc.constantFrom("nope", "1"))), order_link_id: maybe(mostly(fc.constantFrom("fz-1", "fz-2", "x".repeat(37), "bad id!"))) };
const place = fc.record(
  {
    ...common,
    side: mostly(fc.constantFrom("Buy", "sell", "SELL", "hold")),
    order_type: mostly(fc.constantFrom("Market", "Market", "limit", "Stop")),
    qty: decimalish,
    price: maybe(decimalish),
    notional_usd: maybe(decimalish),
    order_link_id: orderRef.order_link_id,
    reduce_only: maybe(mostly(fc.boolean())),
    market_unit: maybe(mostly(fc.constantFrom("baseCoin", "quoteCoin", "coin"))),
    time_in_force: maybe(mostly(fc.constantFrom("GTC", "IOC", "FOK", "PostOnly", "GTD"))),
    position_idx: maybe(mostly(fc.constantFrom(0, 1, 2, 3))),
  },
  { requiredKeys: ["category", "symbol", "side", "order_type", "qty"] },
);
const amend = fc.record({ ...common, ...orderRef, qty: maybe(decimalish), price: maybe(decimalish), notional_usd: maybe(decimalish) }, { requiredKeys: ["category", "symbol"] });
const cancel = fc.record({ ...common, ...orderRef }, { requiredKeys: ["category", "symbol"] });
const cancelAll = fc.record({ ...common, settle_coin: maybe(mostly(fc.constantFrom("USDT", "usdc"))) }, { requiredKeys: ["category"] });
const leverage = fc.record({ ...common, leverage: decimalish }, { requiredKeys: ["category", "symbol", "leverage"] });
const stop = fc.record({ ...common, position_idx: mostly(fc.constantFrom(0, 1, 2)), stop_loss: maybe(decimalish), take_profit: maybe(decimalish) }, { requiredKeys: ["category", "symbol", "position_idx"] });
/** Sometimes an argument no tool has, or a required one dropped: both must be refused with a sentence. */
const mangle = <T extends Record<string, unknown>>(arb: fc.Arbitrary<T>) =>
  fc.tuple(arb, fc.nat(19), junk).map(([a, roll, j]) => {
    const out: Record<string, unknown> = { ...a };
    if (roll === 0) out.extra_field = j;
    if (roll === 1) delete out.category;
    return out;
  });
const call = fc.oneof(
  { arbitrary: fc.tuple(fc.constant("bybit_place_order"), mangle(place)), weight: 5 },
  { arbitrary: fc.tuple(fc.constant("bybit_check_order"), mangle(place)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant("bybit_amend_order"), mangle(amend)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant("bybit_cancel_order"), mangle(cancel)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant("bybit_cancel_all_orders"), mangle(cancelAll)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant("bybit_set_leverage"), mangle(leverage)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant("bybit_set_trading_stop"), mangle(stop)), weight: 1 },
);

describe("fuzzing the MCP boundary", () => {
  it("10,000 random calls: no forward without an allow, no crash, clear rejections", async () => {
    const samples = fc.sample(call, { numRuns: 10_000, seed: 20261123 });
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
    expect(statuses.get("blocked") ?? 0).toBeGreaterThan(100);
    expect(statuses.get("accepted") ?? 0).toBeGreaterThan(100);
    expect(statuses.get("rejected") ?? 0).toBeGreaterThan(100);
    // Still alive and answering.
    const ping = await mcp.call("bybit_get_tickers", { category: "linear", symbol: "BTCUSDT" });
    expect(ping.isError).toBeFalsy();
  }, 300_000);
});
