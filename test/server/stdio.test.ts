/**
 * The stdio transport of the built server: closing stdin ends the process
 * with exit code 0, and not before a tool call still running has finished
 * (an order sent to the exchange gets its ledger record), and a burst of
 * answers to a client that reads slowly waits for stdout without Node's
 * listener-leak warning. Timing is in `npm run bench`, not here.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { CLI, assertBuilt } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
beforeAll(async () => {
  sim = await startSim({ markDrift: false });
  rt = tempRuntime();
  rt.writeMandate();
});
afterAll(async () => {
  await sim?.close();
  rt?.cleanup();
});

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const INIT = line({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } } });

function start() {
  assertBuilt();
  const child = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? "", VIBE_RUNTIME_ROOT: rt.root, BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const answered = (id: number) =>
    new Promise<void>((resolve) => {
      const check = () => (out.includes(`"id":${id}`) ? resolve() : setTimeout(check, 5));
      check();
    });
  return { child, exited, answered, stderr: () => err };
}

/** Initialize, then send one gated place_order as request 2 (its answer is not awaited). */
async function placeAfterInit(s: { child: { stdin: { write(t: string): unknown } }; answered(id: number): Promise<unknown> }): Promise<void> {
  s.child.stdin.write(INIT);
  await s.answered(1);
  s.child.stdin.write(line({ jsonrpc: "2.0", method: "notifications/initialized" }));
  s.child.stdin.write(
    line({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" } } }),
  );
}

describe("stdio transport", () => {
  it("exits with code 0 when stdin closes", async () => {
    const s = start();
    s.child.stdin.write(INIT);
    await s.answered(1);
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
  });

  it("a gated order still deciding when stdin closes is not sent, and is audited as not sent before the process exits", async () => {
    sim.faults.set({ latencyMs: 300 });
    const s = start();
    await placeAfterInit(s);
    // Close while the call is on its way to the (slow) exchange.
    await new Promise((r) => setTimeout(r, 100));
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
    sim.faults.clear();
    // Nobody is left to read its result: it is not sent, and the ledger says so.
    expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(0);
    const ledger = join(rt.live, "audit.jsonl");
    expect(existsSync(ledger)).toBe(true);
    const records = readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { outcome?: string; refused_step?: string });
    expect(records.map((r) => [r.outcome, r.refused_step])).toEqual([["blocked", "shutdown"]]);
  });

  it("an order answered just before stdin closes leaves the chain tip file naming its record, and no temp file", async () => {
    const s = start();
    await placeAfterInit(s);
    await s.answered(2);
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
    const chain = readFileSync(join(rt.live, "audit_chain.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { seq: number; record_hash: string; outcome?: string });
    const last = chain[chain.length - 1]!;
    expect(last.outcome).toBe("accepted");
    expect(JSON.parse(readFileSync(join(rt.live, ".audit_chain_tip.json"), "utf8"))).toEqual({ seq: last.seq, record_hash: last.record_hash });
    expect(readdirSync(rt.live).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("answers every request of a burst that meets a full stdout, without a MaxListenersExceededWarning", async () => {
    const s = start();
    s.child.stdin.write(INIT);
    await s.answered(1);
    s.child.stdin.write(line({ jsonrpc: "2.0", method: "notifications/initialized" }));
    // Stop reading: each tools/list answer (~24 KB) is larger than stdout's buffer, so every
    // one of them waits for 'drain' while the pipe stays full.
    s.child.stdout.pause();
    const ids = Array.from({ length: 30 }, (_, i) => 100 + i);
    for (const id of ids) s.child.stdin.write(line({ jsonrpc: "2.0", id, method: "tools/list" }));
    await new Promise((r) => setTimeout(r, 500));
    s.child.stdout.resume();
    await Promise.all(ids.map((id) => s.answered(id)));
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
    expect(s.stderr()).not.toContain("MaxListenersExceededWarning");
  });
});
