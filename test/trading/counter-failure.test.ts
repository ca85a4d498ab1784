/**
 * A counter that can be read but not written (disk full, say) stops the
 * orders it would count, before they are sent; the rest of the batch goes on.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BybitClient } from "../../src/bybit/client.js";
import { loadConfig } from "../../src/config.js";
import { StateError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { startSim, type Sim } from "../../src/sim/index.js";
import { normalizeCancelAll, normalizePlace } from "../../src/trading/normalize.js";
import { TradingService } from "../../src/trading/service.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

vi.mock("../../src/state/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/state/index.js")>();
  return { ...original, incrementTradesTodayAsync: vi.fn(async () => Promise.reject(new StateError("could not write the trade counter: ENOSPC"))) };
});

let sim: Sim;
let rt: Runtime;
let client: BybitClient;

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  rt.writeMandate();
});
afterEach(async () => {
  await client.close();
  await sim.close();
  rt.cleanup();
});

describe("an unwritable trade counter", () => {
  it("refuses the order before sending it; a cancel is unaffected", async () => {
    const config = loadConfig({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root });
    client = new BybitClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, apiSecret: config.apiSecret, recvWindow: 5000, timeoutMs: 2000 });
    const svc = new TradingService({ config, client, logger: silentLogger });
    const res = await svc.execute(normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" }), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    expect(String(res.structuredContent?.reason)).toMatch(/trade counter could not be written/);
    expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(0);
    const cancel = await svc.execute(normalizeCancelAll({ category: "linear", symbol: "BTCUSDT" }), "bybit_cancel_all_orders");
    expect(cancel.structuredContent?.status).toBe("accepted");
  });
});
