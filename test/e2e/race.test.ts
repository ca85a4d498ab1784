/**
 * Two server processes racing 50 concurrent orders each against one
 * mandate: the per-broker flock must let exactly the allowed number through,
 * counted exactly, for the daily trade cap and for the exposure cap.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
let servers: McpHandle[] = [];

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  await sim.close();
  rt.cleanup();
});

async function race(perServer: number, args: Record<string, unknown>) {
  const env = { BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_MCP_LOG_LEVEL: "warn" };
  servers = await Promise.all([connect(env), connect(env)]);
  const results = await Promise.all(servers.flatMap((s) => Array.from({ length: perServer }, () => s.call("bybit_place_order", args))));
  return results.map((r) => r.structuredContent as { status: string; decision: string; breach?: { limit: string } });
}

const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create").length;
const counted = () => {
  const f = join(rt.broker, "trade_counter.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { count: number }).count : 0;
};

describe("two processes x 50 concurrent orders", () => {
  it("max_trades_per_day 10 → exactly 10 forwarded and counted", async () => {
    rt.writeMandate({ hard_caps: { max_trades_per_day: 10 } });
    const out = await race(50, { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" });
    expect(out.filter((r) => r.status === "accepted")).toHaveLength(10);
    expect(out.filter((r) => r.status === "blocked" && r.breach?.limit === "max_trades_per_day")).toHaveLength(90);
    expect(creates()).toBe(10);
    expect(counted()).toBe(10);
  }, 60_000);

  it("max_total_exposure_usd 5,000 with $400 orders → exactly 12 fit", async () => {
    rt.writeMandate({ hard_caps: { max_total_exposure_usd: 5000, max_trades_per_day: 1000 } });
    const out = await race(50, { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.008" });
    expect(out.filter((r) => r.status === "accepted")).toHaveLength(12);
    expect(out.filter((r) => r.status === "blocked" && r.breach?.limit === "max_total_exposure_usd")).toHaveLength(88);
    expect(creates()).toBe(12);
    expect(counted()).toBe(12);
    const position = sim.state().positions.find((p) => p.symbol === "BTCUSDT");
    expect(position?.size).toBe("0.096");
  }, 60_000);
});
