/**
 * An in-process write path against a fresh simulator and runtime root per
 * test: BTCUSDT perpetual pinned at 50,000, the example mandate committed.
 */
import { afterEach, beforeEach } from "vitest";
import { clientFor, type BybitClient } from "../../src/bybit/client.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startSim, type Sim } from "../../src/sim/index.js";
import { createTradingService, storesFor } from "../../src/compose.js";
import type { TradingOptions, TradingService } from "../../src/trading/service.js";
import type { Stores } from "../../src/trading/stores.js";
import { tempRuntime, type Runtime } from "./runtime.js";

export interface TradingRig {
  sim(): Sim;
  rt(): Runtime;
  /** A TradingService on the simulator (2 s HTTP timeout); closed after the test. */
  service(env?: Record<string, string>, opts?: TradingOptions, stores?: (files: Stores) => Stores): TradingService;
}

export function tradingRig(): TradingRig {
  let sim: Sim;
  let rt: Runtime;
  const clients: BybitClient[] = [];
  beforeEach(async () => {
    sim = await startSim({ markDrift: false, rateLimits: false });
    sim.setMarkPrice("linear", "BTCUSDT", "50000");
    rt = tempRuntime();
    rt.writeMandate();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.close();
    rt.cleanup();
  });
  return {
    sim: () => sim,
    rt: () => rt,
    service(env = {}, opts = {}, stores) {
      const config = loadConfig({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_HTTP_TIMEOUT: "2", ...env });
      const client = clientFor(config);
      clients.push(client);
      const files = storesFor(config);
      return createTradingService({ config, client, logger: silentLogger, stores: stores ? stores(files) : files }, opts);
    },
  };
}
