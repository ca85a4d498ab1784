/**
 * URL-mode elicitation for a paused order, end to end: a 2025-11-25 SDK
 * Client that declares `elicitation: {url: {}}` is sent to the console's
 * page for the approval; the person approves in the console (its own
 * session and CSRF token, not the URL), and the same call goes through.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { consoleRig, type ConsoleRig } from "../helpers/console.js";
import { connect as connectMcp } from "../helpers/mcp.js";

let sim: Sim;
let rig: ConsoleRig;
let client: Client | undefined;

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rig = await consoleRig();
});
afterEach(async () => {
  await client?.close();
  await rig.close();
  await sim.close();
});

async function connect(answer: (url: string) => Promise<"accept" | "decline">): Promise<{ asked: string[] }> {
  const asked: string[] = [];
  const h = await connectMcp(
    { BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rig.rt.root, BYBIT_HTTP_TIMEOUT: "2", BYBIT_MCP_CONSOLE_URL: rig.console.origin },
    [],
    {
      capabilities: { elicitation: { url: {} } },
      onElicit: async ({ url }) => {
        asked.push(String(url));
        return answer(String(url));
      },
    },
  );
  client = h.client;
  return { asked };
}

const BUY_1500 = { name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.03" } };
const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create");

describe("URL-mode elicitation of a paused order", { timeout: 30_000 }, () => {
  it("the user is sent to the console's approval page, approves there, and the same call goes through", async () => {
    const { asked } = await connect(async (url) => {
      // The URL alone grants nothing: without the console's session it is refused.
      const path = new URL(url).pathname;
      const bare = await rig.raw("GET", path);
      expect(bare.status).not.toBe(200);
      // The person logs in and approves, a moment after accepting to open the page.
      setTimeout(() => {
        void (async () => {
          const s = await rig.login();
          await rig.post(`${path}/approve`, { csrf: s.csrf }, s.cookie);
        })();
      }, 300);
      return "accept";
    });
    const res = (await client!.callTool(BUY_1500)) as { structuredContent?: Record<string, any> };
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(new RegExp(`^${rig.console.origin}/approvals/apr_[0-9a-f]{32}$`));
    expect(res.structuredContent?.status).toBe("accepted");
    expect(creates()).toHaveLength(1);
    const id = asked[0]!.split("/").at(-1);
    expect(rig.approvals.get(id!)?.status).toBe("consumed");
  });

  it("a declined elicitation answers with the approval envelope, nothing sent", async () => {
    await connect(async () => "decline");
    const res = (await client!.callTool(BUY_1500)) as { structuredContent?: Record<string, any> };
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(res.structuredContent?.approval.id).toMatch(/^apr_/);
    expect(creates()).toHaveLength(0);
  });
});
