/**
 * node-postgres through the fault proxy: the connection lost in the middle
 * of a transaction leaves nothing committed; refused connects fail; a pause
 * hangs a query until resume.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { describePg, dropDatabase, freshDatabase, pgTestUrl } from "../helpers/pg.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

describePg("pg through the tcp proxy", () => {
  let db: string;
  let proxy: TcpProxy;
  const clients: pg.Client[] = [];

  const client = async (url: string): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    // A cut connection emits 'error' on the client as well as rejecting the query.
    c.on("error", () => {});
    clients.push(c);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    db = await freshDatabase(pgTestUrl()!);
    const u = new URL(db);
    proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port) });
    const direct = await client(db);
    await direct.query("CREATE TABLE orders (id int PRIMARY KEY, note text)");
  });
  afterEach(async () => {
    proxy.refuse(false);
    proxy.resume();
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})));
  });
  afterAll(async () => {
    await proxy?.close();
    if (db) await dropDatabase(db);
  });

  it("connects and queries through the proxy", async () => {
    const c = await client(proxy.url(db));
    expect(proxy.live()).toBe(1);
    const { rows } = await c.query<{ n: number }>("SELECT 41 + 1 AS n");
    expect(rows).toEqual([{ n: 42 }]);
  });

  it("a transaction whose connection is cut fails, and the server rolls it back", async () => {
    const c = await client(proxy.url(db));
    await c.query("BEGIN");
    await c.query("INSERT INTO orders VALUES (1, 'in flight')");
    proxy.cutAll();
    await expect(c.query("COMMIT")).rejects.toThrow(/terminated|ECONNRESET|closed|not queryable/i);
    // The server sees the socket go and aborts the transaction: the row never appears, and no lock is left.
    const check = await client(db);
    const { rows } = await check.query("SELECT id FROM orders WHERE id = 1");
    expect(rows).toEqual([]);
    await check.query("INSERT INTO orders VALUES (1, 'retried')");
    expect((await check.query("SELECT note FROM orders WHERE id = 1")).rows).toEqual([{ note: "retried" }]);
  });

  it("a query in flight when the connection is cut is rejected, not left hanging", async () => {
    const c = await client(proxy.url(db));
    const slow = c.query("SELECT pg_sleep(5)");
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    proxy.cutAll();
    await expect(slow).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("refuse makes new connects fail while an open connection keeps working", async () => {
    const open = await client(proxy.url(db));
    proxy.refuse(true);
    await expect(client(proxy.url(db))).rejects.toThrow(/terminated|ECONNRESET|closed/i);
    expect((await open.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    proxy.refuse(false);
    const again = await client(proxy.url(db));
    expect((await again.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }]);
  });

  it("pause hangs a query (a stalled network) until resume", async () => {
    const c = await client(proxy.url(db));
    proxy.pause();
    let done = false;
    const q = c.query("SELECT 7 AS seven").then((r) => {
      done = true;
      return r.rows;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    proxy.resume();
    expect(await q).toEqual([{ seven: 7 }]);
  });
});
