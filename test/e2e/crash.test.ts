/**
 * kill -9 at each step of the write path, then a restart: exactly one
 * outcome record per order, no second create on the exchange, and the
 * counter equal to accepted plus unknown. The built server over stdio,
 * real HTTP to the simulator; BYBIT_MCP_CRASH_AT kills it from inside at a
 * named point, and "after the request left" is a kill from outside once the
 * simulator has the request.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
const open: McpHandle[] = [];

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  rt.writeMandate();
});
afterEach(async () => {
  for (const h of open.splice(0)) await h.close().catch(() => undefined);
  rt.cleanup();
  await sim.close();
});

/** Request timeout 1 s + receive window 1 s + 1 s: journal entries are reconciled 3 s after they were written. */
async function server(extra: Record<string, string> = {}) {
  const h = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_HTTP_TIMEOUT: "1", BYBIT_RECV_WINDOW: "1000", ...extra });
  open.push(h);
  return h;
}

const creates = (id: string) => sim.requests().filter((r) => r.path === "/v5/order/create" && (r.body as Record<string, unknown>)?.orderLinkId === id);
const counter = () => (existsSync(join(rt.broker, "trade_counter.json")) ? JSON.parse(readFileSync(join(rt.broker, "trade_counter.json"), "utf8")).count : 0);
const records = (id: string) =>
  existsSync(join(rt.live, "audit.jsonl"))
    ? readFileSync(join(rt.live, "audit.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.order_link_id === id)
    : [];
const journal = () => readFileSync(join(rt.broker, "inflight.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !what() && Date.now() < end; ) await sleep(100);
}

const order = (id: string) => ({ name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01", order_link_id: id } });

/** After the restart: one record for the order, the journal entry closed, no second create. */
async function afterRestart(id: string, want: { outcome: string; creates: number; counter: number }, env: Record<string, string> = {}) {
  expect(records(id)).toHaveLength(0);
  await server(env);
  await until(() => records(id).length > 0, 10_000);
  await sleep(300);
  const recs = records(id);
  expect(recs).toHaveLength(1);
  expect(recs[0]).toMatchObject({ outcome: want.outcome, reconciled: true });
  expect(creates(id)).toHaveLength(want.creates);
  expect(counter()).toBe(want.counter);
  const lines = journal().filter((l) => l.order_link_id === id || l.decision_id === recs[0]!.decision_id);
  expect(lines.map((l) => l.op)).toEqual(["open", "close"]);
}

describe("kill -9 on the write path, then a restart", { timeout: 30_000 }, () => {
  it("after the journal entry, before the send: nothing was sent; reconciled as not executed, the count given back", async () => {
    const { client } = await server({ BYBIT_MCP_CRASH_AT: "journal" });
    await expect(client.callTool(order("crash-journal"))).rejects.toThrow();
    expect(creates("crash-journal")).toHaveLength(0);
    expect(counter()).toBe(1);
    await afterRestart("crash-journal", { outcome: "error", creates: 0, counter: 0 });
  });

  it("after the request left: the order filled; reconciled as accepted and counted once", async () => {
    // Every answer 500 ms late: reads fit in a 3 s timeout, and the create is in the simulator's hands when the server dies.
    const { client, pid } = await server({ BYBIT_HTTP_TIMEOUT: "3" });
    sim.faults.set({ latencyMs: 500 });
    const call = client.callTool(order("crash-sent")).catch(() => null);
    await until(() => creates("crash-sent").length > 0, 5000);
    process.kill(pid as number, "SIGKILL");
    await call;
    await sleep(700); // the simulator finishes the order it had
    sim.faults.set({ latencyMs: 0 });
    expect(sim.state().orders.filter((o) => o.orderLinkId === "crash-sent")).toHaveLength(1);
    await afterRestart("crash-sent", { outcome: "accepted", creates: 1, counter: 1 }, { BYBIT_HTTP_TIMEOUT: "3" });
  });

  it("after the answer: reconciled as accepted, counted once, never sent again", async () => {
    const { client } = await server({ BYBIT_MCP_CRASH_AT: "answer" });
    await expect(client.callTool(order("crash-answer"))).rejects.toThrow();
    await afterRestart("crash-answer", { outcome: "accepted", creates: 1, counter: 1 });
  });

  it("before the outcome record: reconciled as accepted, counted once, never sent again", async () => {
    const { client } = await server({ BYBIT_MCP_CRASH_AT: "record" });
    await expect(client.callTool(order("crash-record"))).rejects.toThrow();
    await afterRestart("crash-record", { outcome: "accepted", creates: 1, counter: 1 });
  });
});
