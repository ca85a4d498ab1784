/** Shared fixtures for the state tests: temp runtime roots (never the real home) and python3. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { runtimePaths, type RuntimePaths } from "../../src/state/index.js";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A fresh runtime root under the OS temp dir, removed after the test. */
export function tempPaths(broker = "bybit"): RuntimePaths {
  const root = mkdtempSync(join(tmpdir(), "bybit-mcp-state-"));
  roots.push(root);
  return runtimePaths(root, broker);
}

/** Run a python3 script (argv after the script), returning stdout; throws with stderr on failure. */
export function py(script: string, args: string[] = [], input?: string): string {
  return execFileSync("python3", ["-c", script, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** Like py() but returns the exit status and both streams instead of throwing. */
export function pyRun(script: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("python3", ["-c", script, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
