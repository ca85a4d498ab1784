/**
 * Many hosts, one mandate (issue 10), end to end: built servers over stdio,
 * each with its own runtime root (standing for its own host), sharing one
 * PostgreSQL database and one simulated exchange; the person's CLI against
 * the same database.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { CLI, connect, type McpHandle } from "../helpers/mcp.js";
import { describePg, dropDatabase, freshDatabase, pgTestUrl } from "../helpers/pg.js";

const BUY = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" };
const sc = (r: { structuredContent?: Record<string, unknown> }) => r.structuredContent as Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePg("three hosts sharing one database", () => {
  let sim: Sim;
  let db: string;
  let roots: string[];
  let hosts: McpHandle[];

  const env = (root: string, extra: Record<string, string> = {}) => ({
    BYBIT_BASE_URL: sim.url,
    BYBIT_API_KEY: sim.apiKey,
    BYBIT_API_SECRET: sim.apiSecret,
    VIBE_RUNTIME_ROOT: root,
    BYBIT_MCP_STATE: db,
    BYBIT_HTTP_TIMEOUT: "2",
    BYBIT_RECV_WINDOW: "1000",
    ...extra,
  });
  const cli = (args: string[], root = roots[0]!) => spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env(root) }, encoding: "utf8" });
  const cliAsync = (args: string[], root: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env(root) }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  const query = async (sql: string, params: unknown[] = []) => {
    const c = new pg.Client(db);
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as Record<string, any>[];
    } finally {
      await c.end();
    }
  };
  const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create");
  const commit = (tradesPerDay: number) => {
    const r = cli(["mandate", "init", "--yes", "--replace", "--funding", "10000", "--max-order", "1000", "--max-exposure", "5000", "--trades-per-day", String(tradesPerDay)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bybit_mcp_mandates/);
  };

  beforeEach(async () => {
    // A fresh exchange per test: positions from one test must not change another's exposure.
    sim = await startSim({ markDrift: false, rateLimits: false });
    sim.setMarkPrice("linear", "BTCUSDT", "50000");
    db = await freshDatabase(pgTestUrl()!);
    roots = [1, 2, 3].map(() => mkdtempSync(join(tmpdir(), "bybit-mcp-host-")));
    commit(10);
    hosts = await Promise.all(roots.map((r) => connect(env(r))));
  });
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.close().catch(() => undefined)));
    for (const r of roots) rmSync(r, { recursive: true, force: true });
    await dropDatabase(db);
    await sim.close();
  });

  it("3 × 50 concurrent orders against max_trades_per_day 10: exactly 10 forwarded and counted, one record each, and the chain verifies", async () => {
    const before = creates().length;
    const results = await Promise.all(hosts.flatMap((h, i) => Array.from({ length: 50 }, (_, j) => h.call("bybit_place_order", { ...BUY, order_link_id: `race-${i}-${j}` }))));
    const statuses = results.map((r) => sc(r).status);
    expect(statuses.filter((s) => s === "accepted")).toHaveLength(10);
    expect(statuses.filter((s) => s === "blocked")).toHaveLength(140);
    expect(creates().length - before).toBe(10);
    const [counter] = await query("SELECT trades FROM bybit_mcp_counter WHERE broker = 'bybit'");
    expect(counter?.trades).toBe(10);
    const records = await query("SELECT kind FROM bybit_mcp_ledger WHERE broker = 'bybit' AND decision_id IS NOT NULL");
    expect(records).toHaveLength(150);
    // Every host wrote into one chain; the person's CLI verifies it, and exports it in Vibe-Trading's files.
    const verify = cli(["audit", "verify"]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/chain ok: 151 records/);
    const out = join(roots[0]!, "export");
    const exp = cli(["audit", "export", "--to", out]);
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/exported 151 records/);
  });

  it("3 × 20 concurrent $400 orders under a $5,000 exposure cap: exactly 12 forwarded, across hosts", async () => {
    commit(1000);
    const before = creates().length;
    const results = await Promise.all(hosts.flatMap((h, i) => Array.from({ length: 20 }, (_, j) => h.call("bybit_place_order", { ...BUY, qty: "0.008", order_link_id: `exp-${i}-${j}` }))));
    expect(results.filter((r) => sc(r).status === "accepted")).toHaveLength(12);
    expect(creates().length - before).toBe(12);
  });

  it("a HALT from one host's CLI stops the next order on the others, and unhalt lets them trade again", async () => {
    expect(sc(await hosts[1]!.call("bybit_place_order", BUY)).status).toBe("accepted");
    const halt = cli(["halt", "--reason", "desk stop", "--no-cancel"], roots[0]);
    expect(halt.status, halt.stderr).toBe(0);
    const sent = creates().length;
    const t0 = performance.now();
    const [a, b] = await Promise.all([hosts[1]!.call("bybit_place_order", BUY), hosts[2]!.call("bybit_place_order", BUY)]);
    const elapsed = performance.now() - t0;
    for (const r of [a, b]) {
      expect(sc(r)).toMatchObject({ status: "blocked", decision: "deny" });
      expect(String(sc(r).reason)).toMatch(/halt/i);
    }
    expect(creates().length).toBe(sent);
    // The person's status reads the shared state too (and exits: nothing keeps its connections open).
    // Not spawnSync: it reads the exchange, and the simulator runs in this process.
    const status = await cliAsync(["mandate", "status", "--json"], roots[1]!);
    expect(status.code, status.stderr).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: "postgres", halt: { halted: true, broker: true }, mandate: { loaded: true, file: expect.stringMatching(/bybit_mcp_mandates/) }, trades: { used_today: 1 } });
    // Order round trips through the gate on these machines take well under this; a polling watcher would not.
    expect(elapsed).toBeLessThan(2000);
    const unhalt = cli(["unhalt"], roots[2]);
    expect(unhalt.status, unhalt.stderr).toBe(0);
    expect(sc(await hosts[1]!.call("bybit_place_order", BUY)).status).toBe("accepted");
    const kinds = (await query("SELECT kind FROM bybit_mcp_ledger WHERE broker = 'bybit' AND kind LIKE 'halt_%' ORDER BY seq")).map((r) => r.kind);
    expect(kinds).toEqual(["halt_tripped", "halt_cleared"]);
  });

  it("kill -9 one host right after its journal entry: the others go on, and its restart reconciles the entry", async () => {
    const victimRoot = roots[2]!;
    await hosts[2]!.close();
    const victim = await connect(env(victimRoot, { BYBIT_MCP_CRASH_AT: "journal" }));
    const dying = victim.call("bybit_place_order", { ...BUY, order_link_id: "killed-1" }).catch((e: Error) => e);
    expect(await dying).toBeInstanceOf(Error);
    const [open] = await query("SELECT count(*)::int AS n FROM bybit_mcp_journal WHERE close_line IS NULL");
    expect(open?.n).toBe(1);
    // Its lock died with its connection: the others trade at once.
    const t0 = performance.now();
    expect(sc(await hosts[0]!.call("bybit_place_order", BUY)).status).toBe("accepted");
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(creates().filter((r) => (r.body as { orderLinkId?: string } | undefined)?.orderLinkId === "killed-1")).toHaveLength(0);
    // Restarted past the receive window: the entry is looked up (never sent), recorded once, its count given back.
    await sleep(4500);
    hosts[2] = await connect(env(victimRoot));
    let closed = 0;
    for (let i = 0; i < 50 && closed === 0; i++) {
      await sleep(100);
      [{ n: closed }] = (await query("SELECT count(*)::int AS n FROM bybit_mcp_journal WHERE order_link_id = 'killed-1' AND close_line IS NOT NULL")) as [{ n: number }];
    }
    expect(closed).toBe(1);
    const recs = await query("SELECT record_line FROM bybit_mcp_ledger WHERE record_line LIKE '%killed-1%'");
    expect(recs).toHaveLength(1);
    expect(JSON.parse(recs[0]!.record_line)).toMatchObject({ kind: "order_rejected", reconciled: true });
    const [counter] = await query("SELECT trades FROM bybit_mcp_counter WHERE broker = 'bybit'");
    expect(counter?.trades).toBe(1);
    expect(creates().filter((r) => (r.body as { orderLinkId?: string } | undefined)?.orderLinkId === "killed-1")).toHaveLength(0);
  }, 30_000);
});

