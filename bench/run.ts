/**
 * npm run bench: the speed and memory targets, measured on the built server
 * against the simulator, printed as a table and written as JSON to
 * bench/results/latest.json. Never asserted in tests: machines are shared.
 *
 * Targets: initialize <= 200 ms after spawn; peak RSS <= 70 MB; tools/list
 * <= 25 KB; rules evaluation <= 100 us p50; whole decision <= 2 ms p50;
 * a USDT-only account's gated order <= 4 signed reads (5 with the ticker);
 * server CPU per gated order beyond a read <= 2 ms; with L ms added to every
 * exchange answer a gated order <= 2.1 L and a read ~1.0 L; >= 300 gated
 * orders/s with exact counting.
 */
import { spawnSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { benchGate } from "./gate.js";
import { benchStateBackends } from "./pg.js";
import { benchFloors } from "./floors.js";
import type { ChildProcess } from "node:child_process";
import { exampleMandate } from "../src/demo/mandate.js";
import { packageRoot } from "../src/util/package-root.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { BybitClient } from "../src/bybit/client.js";
import { Journal } from "../src/state/journal.js";
import { runtimePaths } from "../src/state/paths.js";

const CLI = join(packageRoot(), "dist", "bin", "main.js");
type Row = { metric: string; value: number; unit: string; target: string; ok: boolean | null };
const rows: Row[] = [];
const add = (metric: string, value: number, unit: string, target = "", ok: boolean | null = null) => {
  rows.push({ metric, value: Math.round(value * 1000) / 1000, unit, target, ok });
};

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function runtime(caps: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "bybit-mcp-bench-"));
  mkdirSync(join(root, "live", "bybit"), { recursive: true });
  writeFileSync(join(root, "live", "bybit", "mandate.json"), JSON.stringify(exampleMandate({ hard_caps: caps })), { mode: 0o600 });
  return root;
}

/** Spawn the server, send initialize, time until the answer; then read peak RSS after some work. */
async function coldStart(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "ignore"] });
  const answered = new Promise<number>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"id":1')) resolve(performance.now() - t0);
    });
    child.once("exit", () => reject(new Error("server exited before answering initialize")));
  });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } } })}\n`);
  const ms = await answered;
  child.kill();
  return ms;
}

/** A bare `node -e 0`, spawn to exit: the floor the server's start-up is compared with. */
async function bareNode(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return performance.now() - t0;
}

/** A bare node's own peak RSS (binary, V8 and ICU pages it touches): no server can go below it. */
function bareNodeRss(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(/VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])"], { encoding: "utf8" });
  return Number(r.stdout) / 1024;
}

/** Spawn, initialize + tools/list, close stdin: ms until the process has exited. */
/** Peak RSS of a node that has loaded the MCP SDK's server and stdio transport and nothing else: what any server on it starts from. */
function sdkOnlyRss(): number {
  const code = "await import('@modelcontextprotocol/server'); await import('@modelcontextprotocol/server/stdio'); process.stdout.write(/VmHWM:\\s+(\\d+) kB/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]);";
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", cwd: packageRoot() });
  return Number(r.stdout) / 1024;
}

async function exitAfterStdinClose(env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "ignore"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await new Promise<void>((resolve) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"id":2')) resolve();
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "0" } } })}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`);
  });
  const t0 = performance.now();
  child.stdin.end();
  await exited;
  return performance.now() - t0;
}

async function connect(env: Record<string, string>) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env: { PATH: process.env.PATH ?? "", ...env }, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(transport);
  // The 600-order burst writes 600 requests at once: the SDK's stdio client waits for 'drain'
  // once per write that hit the pipe's buffer, one listener each, all legitimately pending.
  (transport as unknown as { _process?: ChildProcess })._process?.stdin?.setMaxListeners(0);
  return { client, pid: transport.pid };
}

function procStatusMb(pid: number | null, field: "VmHWM" | "VmRSS"): number {
  if (!pid) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** CPU time (user + system, ms) the process has used so far. */
function cpuMs(pid: number | null): number {
  if (!pid) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second here).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function timed(fn: () => Promise<unknown>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

interface SimRequest {
  method: string;
  path: string;
  apiKey?: string;
}

/** Exchange reads logged by the simulator since the last clear: signed ones, and all. */
async function readsLogged(sim: RemoteSim): Promise<{ signed: number; all: number }> {
  const log = (await sim.admin("GET", "/__sim/requests")) as SimRequest[];
  const reads = log.filter((r) => r.method === "GET");
  return { signed: reads.filter((r) => r.apiKey !== undefined).length, all: reads.length };
}

/** The journal's own cost per order: one open and one close, each fsync'd, as the write path does. */
async function journalCost(n: number): Promise<{ wallMs: number; cpuMs: number }> {
  const root = mkdtempSync(join(tmpdir(), "bybit-mcp-bench-journal-"));
  mkdirSync(join(root, "live", "bybit"), { recursive: true });
  const journal = new Journal(runtimePaths(root, "bybit"));
  const record = { audit_id: null, kind: "order_placed", intent: "buy 0.001 BTCUSDT (linear)", extra: { facts: null } };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `dec_bench_${i}`;
    const body = { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.001", orderLinkId: `bench-${i}` };
    await journal.open([{ op: "open", decision_id: id, order_link_id: `bench-${i}`, tool: "place_order", remote_tool: "bybit_place_order", path: "/v5/order/create", body, session_id: "bench", ts_ms: Date.now(), counted_day: null, mandate_sha256: "0".repeat(64), record }]);
    await journal.close([{ op: "close", decision_id: id, outcome: "accepted", audit_id: null, ts_ms: Date.now() }]);
  }
  const wallMs = (performance.now() - t0) / n;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

/**
 * The simulator in its own process (`bybit-mcp sim`), driven through its
 * admin routes: like a real exchange, its work does not share a thread with
 * the benchmark's client, and the server's figures are its own.
 */
interface RemoteSim {
  url: string;
  apiKey: string;
  apiSecret: string;
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

async function spawnSim(): Promise<RemoteSim> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "sim", "--port", "0", "--no-drift", "--no-rate-limits"], { stdio: ["ignore", "ignore", "pipe"] });
  const info = await new Promise<{ url: string; apiKey: string; apiSecret: string }>((resolve, reject) => {
    let buf = "";
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.includes("listening"));
      if (line) resolve(JSON.parse(line) as { url: string; apiKey: string; apiSecret: string });
    });
    child.once("exit", () => reject(new Error(`simulator exited: ${buf}`)));
  });
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${info.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json" } });
    return res.json();
  };
  return {
    ...info,
    admin,
    close: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/**
 * Console page time to first byte: the built `bybit-mcp console` logged in once, then GET /
 * (mandate status, with positions read from the simulator) and GET /ledger (tail + chain verify).
 */
async function consoleTtfb(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [CLI, "console", "--port", "0"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64}/.exec(err);
        if (m) resolve(m[0]);
      });
      child.once("exit", () => reject(new Error(`console exited: ${err}`)));
    });
    const cookie = (await fetch(url, { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;
    const { request } = await import("node:http");
    const ttfb = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const req = request(new URL(path, url), { headers: { cookie } }, (res) => {
          const ms = performance.now() - t0;
          res.resume().on("end", () => resolve(ms));
        });
        req.on("error", reject).end();
      });
    for (const path of ["/", "/ledger"]) {
      const xs: number[] = [];
      for (let i = 0; i < 60; i++) xs.push(await ttfb(path));
      add(`console ${path} time to first byte p50 (of 50, after 10 warm-up)`, pct(xs.slice(10), 50), "ms");
    }
  } finally {
    child.kill();
  }
}

/**
 * The approval round trip on loopback: an order paused over its cap, then a
 * person's `bybit-mcp approve ID --yes` and the agent's retry with approval_id,
 * timed until the retried order is accepted (forwarded).
 */
async function approvalRoundTrip(env: (root: string) => Record<string, string>): Promise<void> {
  // Only the order cap binds ($1,500 against $1,000): the approval lifts exactly that.
  const root = runtime({ account_funding_usd: 1e9, max_total_exposure_usd: 1e12, max_leverage: 100, max_trades_per_day: 1_000_000 });
  const { client } = await connect(env(root));
  const order = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.03" };
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const paused = (await client.callTool({ name: "bybit_place_order", arguments: order })) as { structuredContent?: { approval?: { id: string } } };
    const id = paused.structuredContent?.approval?.id;
    if (!id) throw new Error("the order did not pause with an approval request");
    const t0 = performance.now();
    const approved = spawnSync(process.execPath, [CLI, "approve", id, "--yes"], { env: { PATH: process.env.PATH ?? "", ...env(root) } });
    if (approved.status !== 0) throw new Error(`approve exited ${approved.status}`);
    const retried = (await client.callTool({ name: "bybit_place_order", arguments: { ...order, approval_id: id } })) as { structuredContent?: { status?: string } };
    if (retried.structuredContent?.status !== "accepted") throw new Error(`the approved retry was ${retried.structuredContent?.status}`);
    xs.push(performance.now() - t0);
  }
  add("approval round trip: approve (CLI) + retried order forwarded, p50 of 5", pct(xs, 50), "ms");
  await client.close();
}

async function main() {
  const sim = await spawnSim();
  await sim.admin("POST", "/__sim/mark", { category: "linear", symbol: "BTCUSDT", price: "50000" });
  const big = { account_funding_usd: 1e9, max_order_notional_usd: 1e9, max_total_exposure_usd: 1e12, max_leverage: 100, max_trades_per_day: 1_000_000 };
  const env = (root: string) => ({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: root, BYBIT_MCP_LOG_LEVEL: "error" });

  // 1. Cold start and footprint.
  const starts: number[] = [];
  for (let i = 0; i < 7; i++) starts.push(await coldStart(env(runtime())));
  add("spawn -> initialize answered (p50 of 7)", pct(starts, 50), "ms", "<= 200", pct(starts, 50) <= 200);
  const bare: number[] = [];
  for (let i = 0; i < 7; i++) bare.push(await bareNode());
  add("bare `node -e 0`, spawn -> exit (p50 of 7)", pct(bare, 50), "ms");
  add("spawn -> initialize / bare node", pct(starts, 50) / pct(bare, 50), "x");

  const exits: number[] = [];
  for (let i = 0; i < 7; i++) exits.push(await exitAfterStdinClose(env(runtime())));
  add("stdin closed after tools/list -> process exited (p50 of 7)", pct(exits, 50), "ms", "< 50", pct(exits, 50) < 50);

  const root = runtime(big);
  const { client, pid } = await connect(env(root));
  const { tools } = await client.listTools();
  const listBytes = JSON.stringify({ tools }).length;
  add("tools/list size", listBytes / 1024, "KB", "<= 25", listBytes <= 25 * 1024);
  const idleRss = procStatusMb(pid, "VmHWM");
  add("server peak RSS after initialize + tools/list", idleRss, "MB", "<= 70", idleRss <= 70);
  add("bare `node -e` peak RSS (the floor under every RSS figure)", bareNodeRss(), "MB");
  add("node with only the MCP SDK's server + stdio imported (from node_modules), peak RSS", sdkOnlyRss(), "MB");

  // 2. Read tool round trip over stdio (no added latency).
  const read = () => client.callTool({ name: "bybit_get_tickers", arguments: { category: "linear", symbol: "BTCUSDT" } });
  await timed(read, 20);
  let cpu0 = cpuMs(pid);
  const reads = await timed(read, 300);
  const readCpu = (cpuMs(pid) - cpu0) / 300;
  const readsRss = procStatusMb(pid, "VmHWM");
  add("server peak RSS after 300 reads too", readsRss, "MB", "<= 70", readsRss <= 70);
  add("read tool round trip p50", pct(reads, 50), "ms");
  add("read tool round trip p99", pct(reads, 99), "ms");
  add("server CPU per read tool call", readCpu, "ms");

  // 3. Gated place_order with no added latency.
  const place = () => client.callTool({ name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" } });
  await timed(place, 10);
  await sim.admin("POST", "/__sim/requests/clear");
  cpu0 = cpuMs(pid);
  const places = await timed(place, 200);
  const placeCpu = (cpuMs(pid) - cpu0) / 200;
  const usdtReads = await readsLogged(sim);
  add("signed reads per gated order, USDT-only account", usdtReads.signed / 200, "reads", "<= 4", usdtReads.signed / 200 <= 4);
  add("exchange reads per gated order incl. the ticker, USDT-only", usdtReads.all / 200, "reads", "<= 5", usdtReads.all / 200 <= 5);
  add("gated place_order round trip p50", pct(places, 50), "ms");
  add("gated place_order round trip p99", pct(places, 99), "ms");
  add("gated place_order beyond one read, wall (p50)", pct(places, 50) - pct(reads, 50), "ms");
  // The server's own CPU per order beyond a read: facts, gate, ledger, counter; excludes the
  // simulator (another process) and the time spent waiting on the network and on fsync.
  add("server CPU per gated order beyond a read", placeCpu - readCpu, "ms", "<= 2 (in-process cost)", placeCpu - readCpu <= 2);

  const steadyRss = procStatusMb(pid, "VmHWM");
  add("server peak RSS after 300 reads + 210 gated orders", steadyRss, "MB", "<= 70", steadyRss <= 70);

  // 4. In units of exchange round trips, with L ms added to every response.
  const L = 50;
  await sim.admin("POST", "/__sim/faults", { latencyMs: L });
  const readsL = await timed(read, 15);
  const placesL = await timed(place, 15);
  await sim.admin("POST", "/__sim/faults/clear");
  add(`read tool / L (L=${L} ms)`, pct(readsL, 50) / L, "round trips", "~1.0", pct(readsL, 50) / L <= 1.1);
  add(`gated place_order / L (L=${L} ms)`, pct(placesL, 50) / L, "round trips", "<= 2.1", pct(placesL, 50) / L <= 2.1);

  // 5. Throughput with exact counting: N concurrent orders over one stdio session.
  const counterFile = join(root, "live", "bybit", "trade_counter.json");
  const before = JSON.parse(readFileSync(counterFile, "utf8")).count as number;
  await sim.admin("POST", "/__sim/requests/clear");
  const N = 600;
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: N }, () => place()));
  const secs = (performance.now() - t0) / 1000;
  const accepted = results.filter((r) => (r.structuredContent as { status?: string } | undefined)?.status === "accepted").length;
  const counted = (JSON.parse(readFileSync(counterFile, "utf8")).count as number) - before;
  const creates = ((await sim.admin("GET", "/__sim/requests")) as { path: string }[]).filter((r) => r.path === "/v5/order/create").length;
  const exact = accepted === N && counted === N && creates === N;
  add(`gated orders/s (${N} concurrent, counted ${counted}, forwarded ${creates})`, N / secs, "orders/s", ">= 300, exact", N / secs >= 300 && exact);

  const peak = procStatusMb(pid, "VmHWM");
  add("server peak RSS after the 600-order burst too", peak, "MB", "<= 70", peak <= 70);

  // 6. A mixed account: positions in linear USDC, inverse and option too, opened by another
  // client. The next order reads those scopes; the ones after keep reading them.
  const other = new BybitClient({ baseUrl: sim.url, apiKey: sim.apiKey, apiSecret: sim.apiSecret, recvWindow: 5000, timeoutMs: 5000 });
  await sim.admin("POST", "/__sim/wallet", { coin: "USDC", amount: "100000" });
  await sim.admin("POST", "/__sim/wallet", { coin: "BTC", amount: "1" });
  await sim.admin("POST", "/__sim/mark", { category: "linear", symbol: "BTCPERP", price: "50000" });
  await sim.admin("POST", "/__sim/mark", { category: "inverse", symbol: "BTCUSD", price: "50000" });
  for (const o of [
    { category: "linear", symbol: "BTCPERP", qty: "0.01" },
    { category: "inverse", symbol: "BTCUSD", qty: "100" },
    { category: "option", symbol: "BTC-26DEC26-100000-C", qty: "0.01", orderType: "Limit", price: "15000" },
  ]) {
    await other.post("/v5/order/create", { side: "Buy", orderType: "Market", ...o });
  }
  await other.close();
  await place();
  await sim.admin("POST", "/__sim/requests/clear");
  await timed(place, 50);
  const mixedReads = await readsLogged(sim);
  add("signed reads per gated order, mixed account (USDT, USDC, inverse, option)", mixedReads.signed / 50, "reads", "(all 4 scopes read)");
  await client.close();
  await consoleTtfb(env(root));
  await approvalRoundTrip(env);
  // 6b. The shared state on PostgreSQL against the files, in this same run.
  const createsLogged = async () => ((await sim.admin("GET", "/__sim/requests")) as { path: string }[]).filter((r) => r.path === "/v5/order/create").length;
  await benchStateBackends({ env, runtime, connect, cpuMs, pct, add, creates: createsLogged });
  // 6c. What no server could go below on this machine: the order's I/O alone, in this process.
  await benchFloors(sim, add, placeCpu - readCpu);
  await sim.close();

  // 7. The journal alone (in this process), per order: one open and one close.
  const j = await journalCost(200);
  add("journal cost per order (open + close, fsync'd), wall", j.wallMs, "ms");
  add("journal cost per order, CPU", j.cpuMs, "ms");

  // 8. The gate alone (in this process).
  const g = await benchGate(5000);
  add("rules evaluation p50", g.rulesOnlyP50Us, "us", "<= 100", g.rulesOnlyP50Us <= 100);
  add("rules evaluation p99", g.rulesOnlyP99Us, "us");
  add("whole decision (no network) p50", g.decideP50Us / 1000, "ms", "<= 2", g.decideP50Us / 1000 <= 2);
  add("whole decision (no network) p99", g.decideP99Us / 1000, "ms");

  const w = Math.max(...rows.map((r) => r.metric.length));
  console.log(`${"metric".padEnd(w)}  ${"value".padStart(10)}  unit         target`);
  for (const r of rows) {
    const mark = r.ok === null ? "" : r.ok ? "  ok" : "  MISSED";
    console.log(`${r.metric.padEnd(w)}  ${String(r.value).padStart(10)}  ${r.unit.padEnd(11)}  ${r.target}${mark}`);
  }
  const dir = join(packageRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const payload = { at: new Date().toISOString(), node: process.version, rows };
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(payload, null, 2)}\n`);
  console.log(`\nwritten: ${join(dir, "latest.json")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
