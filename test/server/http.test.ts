/**
 * The Streamable HTTP transport of the built server: Host validation, bearer
 * token, and a real SDK client listing tools through it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, assertBuilt } from "../helpers/mcp.js";
import { tempRuntime } from "../helpers/runtime.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function serve(env: Record<string, string>, args: string[] = []): Promise<{ url: string; port: number }> {
  assertBuilt();
  const port = await freePort();
  const rt = tempRuntime();
  const child = spawn(process.execPath, [CLI, "serve", "--transport", "http", "--port", String(port), ...args], {
    env: { PATH: process.env.PATH ?? "", VIBE_RUNTIME_ROOT: rt.root, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, port };
}

const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } });
const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: INIT });

describe("HTTP transport", () => {
  it("refuses a foreign Host header with 403 and serves tools/list to a real client", async () => {
    const { url, port } = await serve({});
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers: { host: "evil.example:80", "content-type": "application/json", accept: "application/json, text/event-stream" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.end(INIT);
    });
    expect(status).toBe(403);
    const client = new Client({ name: "t", version: "0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(19);
    await client.close();
  });

  it("with a token: missing or wrong → 401; right → tools/list works", async () => {
    const { url } = await serve({ BYBIT_MCP_HTTP_TOKEN: "tok-123456" });
    expect((await post(url)).status).toBe(401);
    expect((await post(url, { authorization: "Bearer wrong" })).status).toBe(401);
    const client = new Client({ name: "t", version: "0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: "Bearer tok-123456" } } }));
    expect((await client.listTools()).tools.length).toBe(19);
    await client.close();
  });

  it("a non-loopback host without a token refuses to start (exit 2, naming BYBIT_MCP_HTTP_TOKEN)", async () => {
    assertBuilt();
    const child = spawn(process.execPath, [CLI, "serve", "--transport", "http", "--host", "0.0.0.0", "--port", String(await freePort())], {
      env: { PATH: process.env.PATH ?? "", VIBE_RUNTIME_ROOT: tempRuntime().root },
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(err).toContain("BYBIT_MCP_HTTP_TOKEN");
    expect(err.trim().split("\n")).toHaveLength(1);
  });
});
