/**
 * URL-mode elicitation of a paused order for a 2026-07-28 client, whose call
 * is re-run with the user's answer (input_required) rather than waiting in
 * place: the SDK's v2 Client, pinned to 2026-07-28, served through the SDK's
 * stdio entry (the one `bybit-mcp serve` uses) in-process, the real tools and
 * write path against the simulator over HTTP, the approval given in the console.
 */
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildDeps, createServer, loadConfig } from "../../src/index.js";
import { silentLogger } from "../../src/log.js";
import { startSim, type Sim } from "../../src/sim/index.js";
import { consoleRig, type ConsoleRig } from "../helpers/console.js";

let sim: Sim;
let rig: ConsoleRig;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rig = await consoleRig();
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await rig.close();
  await sim.close();
});

async function client2026(answer: (url: string) => Promise<"accept" | "decline">): Promise<{ client: Client; asked: string[] }> {
  const config = loadConfig({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rig.rt.root, BYBIT_HTTP_TIMEOUT: "2", BYBIT_MCP_CONSOLE_URL: rig.console.origin });
  const deps = buildDeps(config, silentLogger);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const handle = serveStdio(() => createServer(deps).server, { transport: a });
  const client = new Client({ name: "c2026", version: "0" }, { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } });
  const asked: string[] = [];
  client.setRequestHandler("elicitation/create", async (req) => {
    const url = String((req.params as { url?: string }).url);
    asked.push(url);
    return { action: await answer(url) };
  });
  await client.connect(b);
  closers.push(async () => {
    await client.close();
    await handle.close();
    await deps.close();
  });
  expect(client.getProtocolEra()).toBe("modern");
  return { client, asked };
}

const BUY_1500 = { name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.03" } };
const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create");

describe("URL-mode elicitation for a 2026-07-28 client", { timeout: 30_000 }, () => {
  it("asks through input_required, the person approves in the console, and the re-run call goes through once", async () => {
    const { client, asked } = await client2026(async (url) => {
      const s = await rig.login();
      await rig.post(`${new URL(url).pathname}/approve`, { csrf: s.csrf }, s.cookie);
      return "accept";
    });
    const res = (await client.callTool(BUY_1500)) as { structuredContent?: Record<string, any> };
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(new RegExp(`^${rig.console.origin}/approvals/apr_[0-9a-f]{32}$`));
    expect(res.structuredContent?.status).toBe("accepted");
    expect(creates()).toHaveLength(1);
    expect(rig.approvals.get(asked[0]!.split("/").at(-1)!)?.status).toBe("consumed");
  });

  it("declined: the approval envelope, nothing sent", async () => {
    const { client } = await client2026(async () => "decline");
    const res = (await client.callTool(BUY_1500)) as { structuredContent?: Record<string, any> };
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(creates()).toHaveLength(0);
  });
});
