/**
 * The fault proxy on its own, in front of a plain TCP echo server (no
 * PostgreSQL needed): it forwards both ways, cuts, refuses, pauses.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

let echo: Server;
let echoPort: number;
const serverSides = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((s) => {
    serverSides.add(s);
    s.on("close", () => serverSides.delete(s));
    s.on("error", () => {});
    s.on("data", (d) => s.write(d));
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
  echoPort = (echo.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

interface Conn {
  socket: Socket;
  received: () => string;
  closed: Promise<string>;
}

function open(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    let got = "";
    let errCode = "";
    const socket = connect({ host: "127.0.0.1", port });
    const closed = new Promise<string>((r) => socket.on("close", () => r(errCode || "closed")));
    socket.on("data", (d) => (got += d.toString()));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      errCode = e.code ?? e.message;
      reject(e);
    });
    socket.on("connect", () => resolve({ socket, received: () => got, closed }));
  });
}

const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("tcp proxy", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: "127.0.0.1", port: echoPort });
  });
  afterEach(() => {
    proxy.cutAll();
    proxy.refuse(false);
    proxy.resume();
  });
  afterAll(() => proxy.close());

  it("rewrites a URL to point at itself", () => {
    expect(proxy.url("postgres://postgres@127.0.0.1:5432/db?x=1")).toBe(`postgres://postgres@127.0.0.1:${proxy.port}/db?x=1`);
    expect(proxy.url("postgres://u:p@db.example:6543/d")).toBe(`postgres://u:p@127.0.0.1:${proxy.port}/d`);
  });

  it("forwards bytes both ways", async () => {
    const c = await open(proxy.port);
    c.socket.write("hello");
    await until(() => c.received() === "hello");
    expect(proxy.live()).toBe(1);
    c.socket.end();
    await c.closed;
    await until(() => proxy.live() === 0);
  });

  it("cutAll resets live connections on both sides, and new ones still work", async () => {
    const a = await open(proxy.port);
    const b = await open(proxy.port);
    a.socket.write("x");
    await until(() => a.received() === "x" && serverSides.size === 2);
    proxy.cutAll();
    // The client sees a reset, not an orderly end; the server side is closed too.
    expect(await a.closed).toBe("ECONNRESET");
    expect(await b.closed).toBe("ECONNRESET");
    await until(() => serverSides.size === 0);
    expect(proxy.live()).toBe(0);
    const c = await open(proxy.port);
    c.socket.write("again");
    await until(() => c.received() === "again");
    c.socket.destroy();
  });

  it("refuse closes new connections at once and leaves live ones alone", async () => {
    const live = await open(proxy.port);
    proxy.refuse(true);
    const before = proxy.accepted();
    const r = await open(proxy.port);
    r.socket.write("lost");
    expect(await r.closed).toMatch(/closed|ECONNRESET|EPIPE/);
    expect(r.received()).toBe("");
    expect(proxy.accepted()).toBe(before + 1);
    live.socket.write("still");
    await until(() => live.received() === "still");
    proxy.refuse(false);
    const ok = await open(proxy.port);
    ok.socket.write("back");
    await until(() => ok.received() === "back");
    live.socket.destroy();
    ok.socket.destroy();
  });

  it("pause holds the bytes without closing, resume delivers them", async () => {
    const c = await open(proxy.port);
    c.socket.write("one");
    await until(() => c.received() === "one");
    proxy.pause();
    c.socket.write("two");
    await new Promise((r) => setTimeout(r, 150));
    expect(c.received()).toBe("one");
    expect(c.socket.destroyed).toBe(false);
    // A connection made while paused hangs too.
    const d = await open(proxy.port);
    d.socket.write("three");
    await new Promise((r) => setTimeout(r, 100));
    expect(d.received()).toBe("");
    proxy.resume();
    await until(() => c.received() === "onetwo" && d.received() === "three");
    c.socket.destroy();
    d.socket.destroy();
  });
});
