/** Shared fixtures for the state tests: temp runtime roots (never the real home) and python3. */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, afterEach } from "vitest";
import { runtimePaths, type RuntimePaths } from "../../src/state/index.js";
import { packageRoot } from "../../src/util/package-root.js";

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

/**
 * Compile src/state (and src/errors.ts) to plain ESM for child Node
 * processes, which cannot load TypeScript. The output sits under
 * node_modules/.cache so the children resolve fs-ext from this checkout.
 * Returns the path of the compiled src/state/index.js.
 */
export function compiledStateModule(): string {
  if (compiled) return compiled;
  const repo = packageRoot(); // not relative to this file: the suite may also run from dist/
  mkdirSync(join(repo, "node_modules", ".cache"), { recursive: true });
  const out = mkdtempSync(join(repo, "node_modules", ".cache", "state-test-"));
  mkdirSync(join(out, "src", "state"), { recursive: true });
  writeFileSync(join(out, "package.json"), '{"type":"module"}');
  const files = ["src/errors.ts", ...readdirSync(join(repo, "src", "state")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => `src/state/${f}`)];
  for (const f of files) {
    const js = ts.transpileModule(readFileSync(join(repo, f), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(out, f.replace(/\.ts$/, ".js")), js);
  }
  compiled = join(out, "src", "state", "index.js");
  compiledDir = out;
  return compiled;
}
let compiled: string | undefined;
let compiledDir: string | undefined;
afterAll(() => {
  if (compiledDir) rmSync(compiledDir, { recursive: true, force: true });
  compiled = compiledDir = undefined;
});

/** Run a Node ESM script (as a file next to nothing in particular) and resolve with its exit status and output. */
export function nodeChild(script: string, args: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolveRun({ status, stdout, stderr }));
  });
}

const watchdogs: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const w of watchdogs.splice(0)) w.kill("SIGKILL");
});

/**
 * mkfifo `file`, with a watchdog that writes into it after `afterMs`: code
 * that wrongly blocks on the FIFO then wakes up and fails its test instead
 * of hanging the test worker for ever. Killed after the test.
 */
export function mkfifoWithWatchdog(file: string, afterMs = 3000): void {
  execFileSync("mkfifo", ["-m", "600", file]);
  const w = spawn("sh", ["-c", `sleep ${afterMs / 1000}; printf 'not json' > "$1"`, "sh", file], { stdio: "ignore" });
  watchdogs.push(w);
}
