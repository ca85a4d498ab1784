/**
 * PostgreSQL for the tests (issue 10: the shared-state backend).
 *
 * - pgTestUrl(): the run's shared test database (BYBIT_MCP_TEST_PG, or the
 *   throwaway cluster the globalSetup started), or null.
 * - describePg(name, fn): a describe block that needs that database. Without
 *   one it is skipped, and the run ends with one line naming the skipped
 *   tests; under CI=true its tests fail instead.
 * - freshDatabase(url) / dropDatabase(url): a clean database per test file.
 * - describePgCluster + startPrivateCluster(): a cluster a fault test owns,
 *   to stop and start without disturbing the other files.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, inject, it } from "vitest";
import { PG_HINT, databaseUrl, pgBindir, startCluster, type Cluster, type PgHarnessInfo } from "./pg-cluster.js";

export { databaseUrl, type Cluster, type PgHarnessInfo };

let harness: PgHarnessInfo | undefined;
let provided = false;

/** What the globalSetup found (or, when the run has none, what this worker can find by itself). */
export function pgHarness(): PgHarnessInfo {
  if (harness) return harness;
  const env = process.env.BYBIT_MCP_TEST_PG || null;
  const given = inject("bybitMcpPg") as PgHarnessInfo | undefined;
  provided = given !== undefined;
  if (given) {
    harness = env ? { ...given, url: env, reason: "" } : given;
  } else {
    const bindir = pgBindir();
    const reason = bindir ? "PostgreSQL not started (the run has no pg globalSetup)" : "PostgreSQL not found";
    harness = { url: env, bindir, reason: env ? "" : reason };
  }
  return harness;
}

/** The shared test database's URL, or null when this run has none. */
export function pgTestUrl(): string | null {
  return pgHarness().url;
}

function gated(name: string, fn: () => void, ok: boolean, reason: string): void {
  if (ok) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === "true") {
    // One failing test per block (a failed beforeAll would only mark its tests skipped), the block's own listed as skipped.
    describe(name, () => {
      it("has PostgreSQL to run on", () => {
        throw new Error(`${reason}: under CI=true the PostgreSQL tests must run, not skip (.ci/run installs postgresql and sets BYBIT_MCP_TEST_PG)`);
      });
    });
    describe.skip(name, fn);
    return;
  }
  // With the globalSetup, its teardown prints one line for the whole run; without it, say it here.
  if (!provided) console.error(`${reason}: skipped the tests in "${name}"; ${PG_HINT}`);
  describe.skip(name, { meta: { bybitMcpPgSkipped: reason } }, fn);
}

/** A describe block whose tests need the shared test database (pgTestUrl() is non-null inside). */
export function describePg(name: string, fn: () => void): void {
  const h = pgHarness();
  gated(name, fn, h.url !== null, h.reason);
}

/** A describe block whose tests start clusters of their own (startPrivateCluster): PostgreSQL must be installed. */
export function describePgCluster(name: string, fn: () => void): void {
  const h = pgHarness();
  gated(name, fn, h.bindir !== null, h.bindir ? "" : "PostgreSQL not found");
}

// The database each fresh one was created through, to drop it through the same one.
const adminOf = new Map<string, string>();

async function onServer<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** Create a new, empty, uniquely named database on the server `url` points at; returns its URL. */
export async function freshDatabase(url: string): Promise<string> {
  const name = `bybit_mcp_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  // template0: nobody is ever connected to it, so concurrent CREATE DATABASEs from many files do not collide.
  await onServer(url, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const fresh = databaseUrl(url, name);
  adminOf.set(fresh, url);
  return fresh;
}

/** Drop a database made by freshDatabase, disconnecting whoever is still in it. Idempotent. */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^bybit_mcp_t_[0-9a-z_]+$/.test(name)) throw new Error(`refusing to drop ${JSON.stringify(name)}: not made by freshDatabase`);
  await onServer(adminOf.get(url) ?? databaseUrl(url, "postgres"), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  adminOf.delete(url);
}

/**
 * A cluster of the test's own (about a second to start), for fault tests that
 * stop and start the server; destroy() it in afterAll. Use inside describePgCluster.
 */
export function startPrivateCluster(): Promise<Cluster> {
  return startCluster();
}
