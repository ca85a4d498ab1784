/**
 * The per-broker order lock: flock(LOCK_EX | LOCK_NB) on
 * live/<broker>/.order_submit.lock — the same lock kind on the same file as
 * Vibe-Trading's daily_order_lock, so a Vibe-Trading process and this server
 * exclude each other (an fcntl record lock or a lockfile scheme would not).
 *
 * Vibe-Trading denies at once when the lock is held; here the attempt is
 * retried every `pollMs` until `timeoutMs`, then LockError. Each call opens
 * its own descriptor, so two calls in one process also exclude each other.
 * The lock is released and the descriptor closed whatever `fn` does.
 */
import { openSync } from "node:fs";
import fsExt from "fs-ext";
import { LockError } from "../errors.js";
import { closeQuietly, ensureDir, errCode, tryFlockExclusive } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";

/** Run `fn` holding the broker's order lock; LockError if it stays held for `timeoutMs`. */
export async function withOrderLock<T>(
  paths: RuntimePaths,
  opts: { timeoutMs: number; pollMs?: number },
  fn: () => Promise<T>,
): Promise<T> {
  const fd = openLockFile(paths);
  try {
    await acquire(fd, paths, opts.timeoutMs, Math.max(1, opts.pollMs ?? 5));
  } catch (err) {
    closeQuietly(fd);
    throw err;
  }
  try {
    return await fn();
  } finally {
    try {
      fsExt.flockSync(fd, "un");
    } catch {
      // closing the descriptor below releases the lock anyway
    }
    closeQuietly(fd);
  }
}

function openLockFile(paths: RuntimePaths): number {
  try {
    ensureDir(paths.brokerDir);
    return openSync(paths.lock, "a+", 0o600);
  } catch (err) {
    throw new LockError(`cannot open the order lock for broker ${paths.broker}: ${errCode(err) ?? String(err)}`, paths.lock);
  }
}

async function acquire(fd: number, paths: RuntimePaths, timeoutMs: number, pollMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      if (tryFlockExclusive(fd)) return;
    } catch (err) {
      throw new LockError(`cannot take the order lock for broker ${paths.broker}: ${errCode(err) ?? String(err)}`, paths.lock);
    }
    const waited = Date.now() - start;
    if (waited >= timeoutMs) {
      throw new LockError(`another order is being submitted for broker ${paths.broker}; waited ${waited} ms`, paths.lock);
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, timeoutMs - waited)));
  }
}
