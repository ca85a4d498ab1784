/**
 * Trades counted per UTC day for one broker, in Vibe-Trading's file
 * (live/<broker>/trade_counter.json, written by daily_count.py):
 * `{"date": "2026-05-29", "count": 3}` — Python's json.dumps default
 * separators, no trailing newline.
 *
 * Stricter than Vibe-Trading, which reads any unreadable counter as 0 (fail
 * open on the count): here a counter that exists but cannot be read or makes
 * no sense throws StateError and is left untouched, so the gate denies rather
 * than forget trades. Only a missing file, or a valid file for another UTC
 * day, reads as 0.
 *
 * The read-increment-write is not locked here: callers hold withOrderLock
 * (the per-broker flock) around check, count and submit (the write path
 * counts a batch before sending it and gives back what was not accepted),
 * as Vibe-Trading holds it around check + submit + count. Taking the flock again here would deadlock against the caller, since
 * flock locks belong to open file descriptions.
 */
import { StateError } from "../errors.js";
import { atomicWriteFile, atomicWriteFileAsync, ensureDir, errCode } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { pyDumps } from "./pyjson.js";
import { readStateFile, readStateFileAsync, type StateRead } from "./read-file.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Far more than {"date": "YYYY-MM-DD", "count": N} ever takes. */
const MAX_COUNTER_BYTES = 4096;

/** The UTC calendar date of `nowMs` as YYYY-MM-DD. */
export function utcDate(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** Trades already counted today (UTC). Missing file or another day → 0; anything unreadable or corrupt throws StateError. */
export function readTradesToday(paths: RuntimePaths, nowMs: number): number {
  return countToday(readCounter(paths), nowMs);
}

/** readTradesToday with the read on the thread pool (the server's gather step), so the event loop never waits on the file. */
export async function readTradesTodayAsync(paths: RuntimePaths, nowMs: number): Promise<number> {
  return countToday(parseCounter(paths, await readStateFileAsync(paths.counter, { maxBytes: MAX_COUNTER_BYTES })), nowMs);
}

function countToday(stored: { date: string; count: number } | null, nowMs: number): number {
  return stored === null || stored.date !== utcDate(nowMs) ? 0 : stored.count;
}

/**
 * Count `by` more trades today (default one) and return the new count. Throws StateError
 * (leaving the file as it was) when the counter is corrupt or cannot be
 * written. Call it inside withOrderLock.
 */
export function incrementTradesToday(paths: RuntimePaths, nowMs: number, by = 1): number {
  const next = incremented(paths, nowMs, by);
  try {
    ensureDir(paths.brokerDir);
    atomicWriteFile(paths.counter, next.bytes);
  } catch (err) {
    throw writeError(paths, err);
  }
  return next.count;
}

/**
 * incrementTradesToday with its fsyncs off the main thread. The read of the
 * few bytes it replaces stays synchronous, as the temp file's create and the
 * rename are: on the thread pool it was five round trips (stat, open, fstat,
 * read, close) on every order's way to the wire, for ~30 µs of syscalls.
 */
export async function incrementTradesTodayAsync(paths: RuntimePaths, nowMs: number, by = 1): Promise<number> {
  const next = incremented(paths, nowMs, by);
  try {
    ensureDir(paths.brokerDir);
    await atomicWriteFileAsync(paths.counter, next.bytes);
  } catch (err) {
    throw writeError(paths, err);
  }
  return next.count;
}

/**
 * Give back `by` trades counted today for orders that turned out not to be
 * accepted (the write path counts a batch before sending it, so a failure to
 * count stops the batch). Never goes below 0; a counter of another day is
 * left alone. Throws StateError like incrementTradesToday. Call it inside
 * withOrderLock, with the same nowMs as the increment.
 */
export async function releaseTradesToday(paths: RuntimePaths, nowMs: number, by: number): Promise<number> {
  if (!Number.isInteger(by) || by < 1) throw new StateError(`cannot release ${by} trades`, paths.counter);
  const today = utcDate(nowMs);
  const stored = parseCounter(paths, await readStateFileAsync(paths.counter, { maxBytes: MAX_COUNTER_BYTES }));
  if (stored === null || stored.date !== today) return 0;
  const count = Math.max(0, stored.count - by);
  try {
    await atomicWriteFileAsync(paths.counter, pyDumps({ date: today, count }));
  } catch (err) {
    throw writeError(paths, err);
  }
  return count;
}

function incremented(
  paths: RuntimePaths,
  nowMs: number,
  by: number,
  stored: { date: string; count: number } | null = readCounter(paths),
): { count: number; bytes: string } {
  if (!Number.isInteger(by) || by < 1) throw new StateError(`cannot count ${by} trades`, paths.counter);
  const today = utcDate(nowMs);
  const count = (stored !== null && stored.date === today ? stored.count : 0) + by;
  return { count, bytes: pyDumps({ date: today, count }) };
}

function writeError(paths: RuntimePaths, err: unknown): StateError {
  return new StateError(`could not write the trade counter: ${errCode(err) ?? String(err)}`, paths.counter, err);
}

function readCounter(paths: RuntimePaths): { date: string; count: number } | null {
  return parseCounter(paths, readStateFile(paths.counter, { maxBytes: MAX_COUNTER_BYTES }));
}

/** The stored counter, null when there is none; anything else that is not a valid counter throws StateError. */
function parseCounter(paths: RuntimePaths, read: StateRead): { date: string; count: number } | null {
  if (!read.ok) {
    if (read.failure === "missing") return null;
    throw new StateError(`cannot read the trade counter: ${read.reason}`, paths.counter);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch (err) {
    throw new StateError("the trade counter is not valid JSON; fix or remove it deliberately", paths.counter, err);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new StateError("the trade counter is not a JSON object", paths.counter);
  }
  const { date, count } = parsed as Record<string, unknown>;
  if (typeof date !== "string" || !isCalendarDate(date)) {
    throw new StateError("the trade counter has no valid \"date\" (a real YYYY-MM-DD calendar date)", paths.counter);
  }
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    throw new StateError("the trade counter's \"count\" is not a non-negative integer", paths.counter);
  }
  return { date, count };
}

/**
 * True for a date that exists. Date.parse("2026-02-30") rolls over to March 2
 * rather than failing, so such a counter used to read as "another day" (0
 * trades today); a date that round-trips unchanged is a real one.
 */
function isCalendarDate(date: string): boolean {
  if (!DATE.test(date)) return false;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === date;
}
