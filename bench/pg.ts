/**
 * The shared-state backends side by side (issue 10), in the same run:
 * gated orders/s with exact counting and the server's in-process CPU per
 * order, on the runtime root's files and on PostgreSQL; and how long a HALT
 * takes to reach another host's last check. Uses BYBIT_MCP_BENCH_PG when
 * set, else a throwaway cluster from .ci/pg (skipped, and said, without
 * PostgreSQL).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { exampleMandate } from "../src/demo/mandate.js";
import { PgState } from "../src/state/pg/store.js";
import { runtimePaths } from "../src/state/paths.js";
import { isHalted } from "../src/state/halt.js";
import { packageRoot } from "../src/util/package-root.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

export interface BenchKit {
  env(root: string): Record<string, string>;
  /** A runtime root holding a mandate with these caps. */
  runtime(caps: Record<string, unknown>): string;
  connect(env: Record<string, string>): Promise<{ client: Client; pid: number | null | undefined }>;
  cpuMs(pid: number | null | undefined): number;
  pct(xs: number[], p: number): number;
  add(metric: string, value: number, unit: string, target?: string, ok?: boolean | null): void;
  creates(): Promise<number>;
}

const PG_SCRIPT = join(packageRoot(), ".ci", "pg");

export async function benchStateBackends(kit: BenchKit): Promise<void> {
  let dir: string | null = null;
  let url = process.env.BYBIT_MCP_BENCH_PG ?? "";
  if (!url) {
    if (!existsSync(PG_SCRIPT) || !pgFound()) {
      kit.add("postgres backend: skipped (PostgreSQL not found; install postgresql or set BYBIT_MCP_BENCH_PG)", Number.NaN, "");
      return;
    }
    dir = mkdtempSync(join(tmpdir(), "bmb-pg-"));
    url = execFileSync(PG_SCRIPT, ["start", dir], { encoding: "utf8" }).trim().split("\n").pop() ?? "";
  }
  const big = { account_funding_usd: 1e9, max_order_notional_usd: 1e9, max_total_exposure_usd: 1e12, max_leverage: 100, max_trades_per_day: 1_000_000 };
  try {
    const files = await backend(kit, "files", kit.runtime(big), {}, (root) => JSON.parse(readFileSync(join(root, "live", "bybit", "trade_counter.json"), "utf8")).count as number);
    const mandate = JSON.stringify(exampleMandate({ hard_caps: big }));
    await seedMandate(url, mandate);
    const counter = async () => {
      const c = new pg.Client(url);
      await c.connect();
      const n = (await c.query("SELECT coalesce(sum(trades), 0)::int AS n FROM bybit_mcp_counter WHERE broker = 'bybit'")).rows[0].n as number;
      await c.end();
      return n;
    };
    const root = mkdtempSync(join(tmpdir(), "bmb-pgroot-"));
    const shared = await backend(kit, "postgres", root, { BYBIT_MCP_STATE: url }, counter);
    kit.add("gated orders/s, postgres / files", shared.perSec / files.perSec, "x");
    kit.add("server CPU per gated order, postgres - files", shared.cpu - files.cpu, "ms");
    await haltPropagation(kit, url);
    rmSync(root, { recursive: true, force: true });
  } finally {
    if (dir) execFileSync(PG_SCRIPT, ["stop", dir]);
  }
}

function pgFound(): boolean {
  try {
    execFileSync(PG_SCRIPT, ["bindir"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A mandate row as `mandate init` would commit it (the bench's caps, not a person's), through the store. */
async function seedMandate(url: string, body: string): Promise<void> {
  const s = new PgState({ url, safeUrl: url, broker: "bybit", paths: runtimePaths("/nonexistent", "bybit"), runtimeRoot: "/nonexistent", extraSecrets: [] });
  await s.connect();
  await s.close();
  const c = new pg.Client(url);
  await c.connect();
  const { createHash } = await import("node:crypto");
  await c.query("INSERT INTO bybit_mcp_mandates (broker, version, mandate_id, body, sha256) SELECT 'bybit', coalesce(max(version), 0) + 1, 'm_bench', $1, $2 FROM bybit_mcp_mandates WHERE broker = 'bybit'", [body, createHash("sha256").update(body).digest("hex")]);
  await c.end();
}

async function backend(kit: BenchKit, name: string, root: string, extra: Record<string, string>, counted: (root: string) => Promise<number> | number) {
  const { client, pid } = await kit.connect({ ...kit.env(root), ...extra });
  const place = () => client.callTool({ name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" } });
  const read = () => client.callTool({ name: "bybit_get_tickers", arguments: { category: "linear", symbol: "BTCUSDT" } });
  for (let i = 0; i < 10; i++) await place();
  let cpu0 = kit.cpuMs(pid);
  for (let i = 0; i < 100; i++) await read();
  const readCpu = (kit.cpuMs(pid) - cpu0) / 100;
  cpu0 = kit.cpuMs(pid);
  const walls: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await place();
    walls.push(performance.now() - t0);
  }
  const cpu = (kit.cpuMs(pid) - cpu0) / 100 - readCpu;
  const before = await counted(root);
  const sentBefore = await kit.creates();
  const N = 300;
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: N }, () => place()));
  const perSec = N / ((performance.now() - t0) / 1000);
  const accepted = results.filter((r) => (r.structuredContent as { status?: string } | undefined)?.status === "accepted").length;
  const counts = (await counted(root)) - before;
  const sent = (await kit.creates()) - sentBefore;
  const exact = accepted === N && counts === N && sent === N;
  await client.close();
  kit.add(`${name}: gated orders/s (${N} concurrent, counted ${counts}, forwarded ${sent})`, perSec, "orders/s", "exact", exact);
  kit.add(`${name}: gated place_order round trip p50`, kit.pct(walls, 50), "ms");
  kit.add(`${name}: server CPU per gated order beyond a read`, cpu, "ms");
  return { perSec, cpu };
}

/** One host trips the halt; how long until another host's last check (its LISTEN cache) says halted. */
async function haltPropagation(kit: BenchKit, url: string): Promise<void> {
  const mk = () => new PgState({ url, safeUrl: url, broker: "bybit", paths: runtimePaths("/nonexistent", "bybit"), runtimeRoot: "/nonexistent", extraSecrets: [] });
  const a = mk();
  const b = mk();
  await Promise.all([a.connect(), b.connect()]);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await a.tripHalt("broker", "cli", "bench");
    while (!isHalted(b.currentHalt())) await new Promise((r) => setImmediate(r));
    times.push(performance.now() - t0);
    await a.clearHalt("broker");
    while (isHalted(b.currentHalt())) await new Promise((r) => setImmediate(r));
  }
  await Promise.all([a.close(), b.close()]);
  const p50 = kit.pct(times, 50);
  const max = Math.max(...times);
  kit.add("HALT on one host -> another host's last check sees it (p50 of 20)", p50, "ms", "<= 100", p50 <= 100);
  kit.add("HALT on one host -> another host's last check sees it (max of 20)", max, "ms", "<= 100", max <= 100);
}
