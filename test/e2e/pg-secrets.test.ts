/**
 * The shared state's password is a secret (issue 10, and the standard that
 * secrets never appear): with the database unreachable, the refusal names
 * the database without its password, and neither the tool results nor the
 * server's logs carry it, as written or decoded.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

const CANARY = "Pg%2FCanary-7f3a";
const DECODED = "Pg/Canary-7f3a";

describe("a postgres:// password", () => {
  let sim: Sim;
  let rt: Runtime;
  let mcp: McpHandle;
  beforeEach(async () => {
    sim = await startSim({ markDrift: false, rateLimits: false });
    sim.setMarkPrice("linear", "BTCUSDT", "50000");
    rt = tempRuntime();
    mcp = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_MCP_STATE: `postgres://bybit:${CANARY}@127.0.0.1:1/state`, BYBIT_MCP_LOG_LEVEL: "debug" });
  });
  afterEach(async () => {
    await mcp.close();
    rt.cleanup();
    await sim.close();
  });

  it("never appears in a refusal, a status or a log line", async () => {
    const order = await mcp.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" });
    expect(order.structuredContent).toMatchObject({ status: "blocked" });
    expect(String(order.structuredContent?.reason)).toMatch(/shared state database postgres:\/\/(bybit:\*\*\*|\[redacted\])@127\.0\.0\.1:1\/state cannot be reached/);
    const status = await mcp.call("bybit_get_mandate_status", {});
    const seen = JSON.stringify([order, status]) + mcp.stderr();
    expect(seen).not.toContain(CANARY);
    expect(seen).not.toContain(DECODED);
    expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(0);
  });
});
