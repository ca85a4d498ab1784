/**
 * Throwaway PostgreSQL clusters through .ci/pg (initdb + pg_ctl on a temp
 * directory and a free port of 127.0.0.1). Plain node: the vitest
 * globalSetup and the test workers both use it.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/util/package-root.js";

/** The script that starts and stops clusters; CI's .ci/run uses it too. */
export const PG_SCRIPT = join(packageRoot(), ".ci", "pg");

/** What the harness knows about PostgreSQL for this run (serialisable: vitest's provide/inject carries it). */
export interface PgHarnessInfo {
  /** The shared test database: BYBIT_MCP_TEST_PG, or the cluster the globalSetup started; null when neither. */
  url: string | null;
  /** Where initdb and pg_ctl are, or null when PostgreSQL is not installed (then no private cluster either). */
  bindir: string | null;
  /** Why url (or bindir) is null, as the start of a sentence: "PostgreSQL not found". */
  reason: string;
}

// What the globalSetup hands the workers, and the mark on a skipped describePg suite.
declare module "vitest" {
  interface ProvidedContext {
    bybitMcpPg: PgHarnessInfo;
  }
  interface TaskMeta {
    /** Set on a describePg suite that was skipped: the reason. */
    bybitMcpPgSkipped?: string;
  }
}

export const PG_HINT = "install postgresql or set BYBIT_MCP_TEST_PG";

/** The directory of PostgreSQL's server binaries, or null. */
export function pgBindir(): string | null {
  const r = spawnSync(PG_SCRIPT, ["bindir"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() || null : null;
}

/** Run .ci/pg with `args`; rejects with its stderr. */
export function runPgScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PG_SCRIPT, args, { encoding: "utf8", timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`.ci/pg ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

export interface Cluster {
  /** postgres://postgres@127.0.0.1:PORT/bybit_mcp_test */
  url: string;
  dir: string;
  port: number;
  /** Stop the server (pg_ctl stop -m fast), keeping its directory and port: "the database is down". */
  stop(): Promise<void>;
  /** Start it again on the same directory and port. */
  start(): Promise<void>;
  /** Stop it and remove its directory. Idempotent. */
  destroy(): Promise<void>;
}

// pg_ctl detaches the server: one a test forgot (or a worker that died early) would outlive the run.
const live = new Set<string>();
process.on("exit", () => {
  for (const dir of live) spawnSync(PG_SCRIPT, ["stop", dir], { stdio: "ignore", timeout: 30_000 });
});

/** A new cluster in a new temp directory. Starting one takes about a second. */
export async function startCluster(): Promise<Cluster> {
  // Short: the unix socket ($dir/.s.PGSQL.PORT) must fit in 107 bytes.
  const dir = mkdtempSync(join(tmpdir(), "bybit-mcp-pg-"));
  let url: string;
  try {
    url = await runPgScript(["start", dir]);
  } catch (err) {
    await runPgScript(["stop", dir]).catch(() => rmSync(dir, { recursive: true, force: true }));
    throw err;
  }
  let destroyed = false;
  live.add(dir);
  return {
    url,
    dir,
    port: Number(new URL(url).port),
    async stop() {
      await runPgScript(["down", dir]);
    },
    async start() {
      await runPgScript(["up", dir]);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(dir);
      await runPgScript(["stop", dir]);
    },
  };
}

/** The URL of database `name` on the server `url` points at. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}
