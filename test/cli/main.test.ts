/**
 * The built CLI's contract: exit codes and one clear line on stderr.
 */
import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, assertBuilt } from "../helpers/mcp.js";
import { tempRuntime } from "../helpers/runtime.js";

function run(args: string[], env: Record<string, string> = {}) {
  assertBuilt();
  const rt = tempRuntime();
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", VIBE_RUNTIME_ROOT: rt.root, ...env }, input: "", encoding: "utf8", timeout: 20_000 });
  rt.cleanup();
  return r;
}

describe("bybit-mcp CLI", () => {
  const bad: [string, string][] = [
    ["BYBIT_TESTNET", "maybe"],
    ["BYBIT_MCP_PORT", "0"],
    ["BYBIT_BASE_URL", "ftp://example.com"],
    ["BYBIT_HTTP_TIMEOUT", "-1"],
    ["BYBIT_RECV_WINDOW", "abc"],
  ];
  it.each(bad)("%s=%s stops the server with exit 2 and one line naming it", (name, value) => {
    const r = run(["serve"], { [name]: value });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });

  it("--help on every command exits 0", { timeout: 60_000 }, () => {
    for (const args of [["--help"], ["serve", "--help"], ["sim", "--help"], ["demo", "--help"], ["halt", "--help"], ["unhalt", "--help"], ["mandate", "validate", "--help"], ["mandate", "status", "--help"], ["rules", "--help"], ["audit", "--help"]]) {
      const r = run(args);
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(/Usage/i);
    }
  });

  it("an unknown command or flag is bad usage (exit 2)", () => {
    expect(run(["frobnicate"]).status).toBe(2);
    expect(run(["serve", "--bogus"]).status).toBe(2);
    expect(run(["halt"]).status).toBe(2);
  });

  it("the stdio server exits cleanly when stdin ends", () => {
    const r = run([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
  });

  it.each(["SIGTERM", "SIGINT"] as const)("the stdio server exits cleanly on %s", async (signal) => {
    assertBuilt();
    const rt = tempRuntime();
    const child = spawn(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? "", VIBE_RUNTIME_ROOT: rt.root }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } })}\n`);
    await new Promise<void>((resolve) => child.stdout.on("data", () => out.includes('"id":1') && resolve()));
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    rt.cleanup();
    expect(code).toBe(0);
    expect(JSON.parse(out.trim().split("\n")[0]!).result.serverInfo.name).toBe("bybit-mcp");
  });
});
