/**
 * The run's shared test database (BYBIT_MCP_TEST_PG, or the cluster the
 * globalSetup started) and fresh databases on it, one per test file.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePg, dropDatabase, freshDatabase, pgTestUrl } from "../helpers/pg.js";

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describePg("shared test database", () => {
  const url = pgTestUrl()!;
  let a: string;
  let b: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([freshDatabase(url), freshDatabase(url)]);
  });
  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((u) => dropDatabase(u)));
  });

  it("answers on the URL the harness gives, a PostgreSQL 13 or later in UTF8", async () => {
    expect(url).toMatch(/^postgres:\/\//);
    const [row] = await query<{ v: string; enc: string }>(url, "SELECT current_setting('server_version_num') AS v, current_setting('server_encoding') AS enc");
    expect(Number(row!.v)).toBeGreaterThanOrEqual(130000);
    expect(row!.enc).toBe("UTF8");
  });

  it("gives each caller its own empty database", async () => {
    expect(a).not.toBe(b);
    expect(new URL(a).host).toBe(new URL(url).host);
    const [db] = await query<{ d: string }>(a, "SELECT current_database() AS d");
    expect(db!.d).toBe(decodeURIComponent(new URL(a).pathname.slice(1)));
    await query(a, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
    expect(await query(a, "SELECT x FROM t")).toEqual([{ x: 1 }]);
    // Not in the other one.
    await expect(query(b, "SELECT x FROM t")).rejects.toThrow(/relation "t" does not exist/);
    const tables = await query(b, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables).toEqual([]);
  });

  it("drops a fresh database even with a client still connected to it", async () => {
    const c = await freshDatabase(url);
    const name = new URL(c).pathname.slice(1);
    const holder = new pg.Client({ connectionString: c });
    holder.on("error", () => {});
    await holder.connect();
    await dropDatabase(c);
    const left = await query(url, `SELECT datname FROM pg_database WHERE datname = '${name}'`);
    expect(left).toEqual([]);
    await expect(holder.query("SELECT 1")).rejects.toThrow();
    await holder.end().catch(() => {});
    // A second drop is harmless; dropping anything else is refused.
    await dropDatabase(c);
    await expect(dropDatabase(url)).rejects.toThrow(/not made by freshDatabase/);
  });
});
