/**
 * A cluster a test owns: it starts, stops (connections fail, open ones are
 * dropped), starts again on the same port with its data, and goes away.
 */
import { existsSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePgCluster, startPrivateCluster, type Cluster } from "../helpers/pg.js";

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on("error", () => {});
  await c.connect();
  return c;
}

describePgCluster("private cluster", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  it("starts with the test database, on 127.0.0.1, with room for many connections", async () => {
    const u = new URL(cluster.url);
    expect(u.hostname).toBe("127.0.0.1");
    expect(u.pathname).toBe("/bybit_mcp_test");
    const c = await connect(cluster.url);
    const { rows } = await c.query<{ max: string }>("SELECT current_setting('max_connections') AS max");
    expect(Number(rows[0]!.max)).toBeGreaterThanOrEqual(100);
    await c.query("CREATE TABLE halt (on_ boolean); INSERT INTO halt VALUES (true)");
    await c.end();
  });

  it("stops: open connections are dropped and new ones refused; starts again on the same port with its data", async () => {
    const open = await connect(cluster.url);
    await open.query("BEGIN");
    await open.query("INSERT INTO halt VALUES (false)");
    await cluster.stop();
    await expect(open.query("COMMIT")).rejects.toThrow();
    await expect(connect(cluster.url)).rejects.toThrow(/ECONNREFUSED/);
    await cluster.start();
    const c = await connect(cluster.url);
    expect(new URL(cluster.url).port).toBe(String(cluster.port));
    // The committed row survived the restart; the uncommitted one did not.
    expect((await c.query("SELECT on_ FROM halt")).rows).toEqual([{ on_: true }]);
    await c.end();
  }, 60_000);

  it("destroy stops the server and removes its directory", async () => {
    const other = await startPrivateCluster();
    expect(existsSync(other.dir)).toBe(true);
    expect(other.port).not.toBe(cluster.port);
    await other.destroy();
    expect(existsSync(other.dir)).toBe(false);
    await expect(connect(other.url)).rejects.toThrow(/ECONNREFUSED/);
    await other.destroy();
  }, 60_000);
});
