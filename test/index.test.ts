/**
 * The library surface: embed the server in-process with the SDK's in-memory
 * transport, against the simulated exchange.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, it } from "vitest";
import { buildDeps, createServer, loadConfig, startSim } from "../src/index.js";
import { silentLogger } from "../src/log.js";
import { tempRuntime } from "./helpers/runtime.js";

describe("bybit-mcp as a library", () => {
  it("createServer + buildDeps serve the 19 tools in-process", async () => {
    const sim = await startSim({ markDrift: false });
    const rt = tempRuntime();
    const deps = buildDeps(loadConfig({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root }), silentLogger);
    const { server, close } = createServer(deps);
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: "lib", version: "0" });
    try {
      await Promise.all([server.connect(a), client.connect(b)]);
      expect((await client.listTools()).tools).toHaveLength(19);
      const res = await client.callTool({ name: "bybit_get_tickers", arguments: { category: "spot", symbol: "ETHUSDT" } });
      expect((res.structuredContent as { list: { symbol: string }[] }).list[0]?.symbol).toBe("ETHUSDT");
    } finally {
      await client.close();
      await close();
      await deps.close();
      await sim.close();
      rt.cleanup();
    }
  });
});
