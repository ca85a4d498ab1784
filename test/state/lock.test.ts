/**
 * The order lock must be the flock(2) Vibe-Trading takes, so exclusion is
 * proven against a real python3 fcntl.flock holder, both ways, and between
 * two Node processes.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { LockError } from "../../src/errors.js";
import { withOrderLock, type RuntimePaths } from "../../src/state/index.js";
import { compiledStateModule, nodeChild, pyRun, tempPaths } from "./helpers.js";

const PY_TRY_LOCK = `
import fcntl, sys
with open(sys.argv[1], "a+b") as f:
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("acquired")
    except BlockingIOError:
        print("BlockingIOError")`;

/** Start python3 holding the lock until its stdin closes; resolves once it holds it. */
function pythonHolder(p: RuntimePaths): Promise<{ release: () => Promise<void> }> {
  const script = `
import fcntl, os, sys
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
f = open(sys.argv[1], "a+b")
fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
sys.stdin.read()`;
  const child = spawn("python3", ["-c", script, p.lock], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout.once("data", () =>
      resolve({
        release: () =>
          new Promise<void>((done) => {
            child.on("close", () => done());
            child.stdin.end();
          }),
      }),
    );
  });
}

const openFds = () => readdirSync("/proc/self/fd").length;

describe("withOrderLock", () => {
  it("times out with LockError while python3 holds the flock, then gets it once released", async () => {
    const p = tempPaths();
    const holder = await pythonHolder(p);
    const started = Date.now();
    const err = await withOrderLock(p, { timeoutMs: 200, pollMs: 10 }, async () => "ran").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).message).toMatch(/^another order is being submitted for broker bybit; waited \d+ ms$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await holder.release();
    await expect(withOrderLock(p, { timeoutMs: 200 }, async () => "ran")).resolves.toBe("ran");
  });

  it("excludes python3 while held, and releases for it afterwards", async () => {
    const p = tempPaths();
    const inside = await withOrderLock(p, { timeoutMs: 100 }, async () => pyRun(PY_TRY_LOCK, [p.lock]).stdout.trim());
    expect(inside).toBe("BlockingIOError");
    expect(pyRun(PY_TRY_LOCK, [p.lock]).stdout.trim()).toBe("acquired");
  });

  it("excludes another Node process", async () => {
    const p = tempPaths();
    const script = `
      const s = await import(${JSON.stringify(pathToFileURL(compiledStateModule()).href)});
      const p = s.runtimePaths(${JSON.stringify(p.root)}, "bybit");
      try { await s.withOrderLock(p, { timeoutMs: 150 }, async () => {}); console.log("acquired"); }
      catch (e) { console.log(e.code); }`;
    const inside = await withOrderLock(p, { timeoutMs: 100 }, () => nodeChild(script));
    expect(inside.stdout.trim()).toBe("E_LOCK");
    expect((await nodeChild(script)).stdout.trim()).toBe("acquired");
  });

  it("releases the lock and closes the descriptor when fn throws", async () => {
    const p = tempPaths();
    const before = openFds();
    await expect(
      withOrderLock(p, { timeoutMs: 100 }, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(openFds()).toBe(before);
    expect(pyRun(PY_TRY_LOCK, [p.lock]).stdout.trim()).toBe("acquired");
  });

  it("closes the descriptor after a timeout too", async () => {
    const p = tempPaths();
    const holder = await pythonHolder(p);
    const before = openFds();
    await expect(withOrderLock(p, { timeoutMs: 20 }, async () => 1)).rejects.toBeInstanceOf(LockError);
    expect(openFds()).toBe(before);
    await holder.release();
  });

  it("serializes callers within one process", async () => {
    const p = tempPaths();
    let active = 0;
    let maxActive = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withOrderLock(p, { timeoutMs: 2000, pollMs: 1 }, async () => {
          maxActive = Math.max(maxActive, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(maxActive).toBe(1);
  });
});
