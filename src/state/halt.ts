/**
 * The kill switch, as Vibe-Trading keeps it (agent/src/live/halt.py): the
 * existence of live/HALT halts every broker, live/<broker>/HALT halts one.
 * The body is attribution only; an empty or malformed file still halts.
 *
 * Stricter than Vibe-Trading in one place: Python's Path.exists() answers
 * "no" when the location cannot be checked (ENOTDIR, EACCES...). Here a
 * location that cannot be checked counts as halted and sets `error`.
 *
 * Presence is decided by lstat alone, so a HALT that is a FIFO, a device or
 * a symlink to /dev/zero halts like any other; its body is read only for
 * attribution, bounded and non-blocking (read-file.ts), and a body that
 * cannot be read just leaves the attribution out.
 */
import { lstatSync, unlinkSync } from "node:fs";
import { lstat } from "node:fs/promises";
import { dirname } from "node:path";
import { StateError } from "../errors.js";
import type { HaltState } from "../gate/types.js";
import { atomicWriteFile, ensureDir, errCode } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { pyDumps } from "./pyjson.js";
import { readStateFile, readStateFileAsync, type StateRead } from "./read-file.js";

type Scope = "global" | "broker";
type Presence = { present: boolean; error?: string };

/** Read both switches; never throws. Global wins for attribution (`detail`). */
export function readHalt(paths: RuntimePaths): HaltState {
  const { state, scope } = haltState(probe(paths.globalHalt), probe(paths.brokerHalt));
  if (scope !== undefined) state.detail = { ...detailOf(readStateFile(haltFile(paths, scope), { maxBytes: MAX_HALT_BYTES })), scope };
  return state;
}

/** readHalt with every step on the thread pool. Never throws. */
export async function readHaltAsync(paths: RuntimePaths): Promise<HaltState> {
  const [g, b] = await Promise.all([probeAsync(paths.globalHalt), probeAsync(paths.brokerHalt)]);
  const { state, scope } = haltState(g, b);
  if (scope !== undefined) state.detail = { ...detailOf(await readStateFileAsync(haltFile(paths, scope), { maxBytes: MAX_HALT_BYTES })), scope };
  return state;
}

/** A HALT body is three short strings; anything larger is not attribution. */
const MAX_HALT_BYTES = 64 * 1024;

/** The state of both switches and which one to attribute the halt to (one that could be checked). */
function haltState(g: Presence, b: Presence): { state: HaltState; scope?: Scope } {
  const state: HaltState = { global: g.present, broker: b.present };
  const errors = [g.error, b.error].filter((e): e is string => e !== undefined);
  if (errors.length > 0) state.error = errors.join("; ");
  if (g.present && g.error === undefined) return { state, scope: "global" };
  if (b.present && b.error === undefined) return { state, scope: "broker" };
  return { state };
}

function haltFile(paths: RuntimePaths, scope: Scope): string {
  return scope === "global" ? paths.globalHalt : paths.brokerHalt;
}

/**
 * Trip a switch: write {"tripped_at", "by", "reason"} atomically, creating
 * directories as needed. The bytes are what Vibe-Trading's trip_halt writes
 * (json.dumps default separators, no trailing newline; tripped_at as Python's
 * datetime.isoformat() in UTC, microseconds, "+00:00"). Throws StateError.
 */
export function tripHalt(
  paths: RuntimePaths,
  opts: { scope: Scope; by: "cli" | "frontend" | "file"; reason: string; nowMs?: number },
): void {
  const file = haltFile(paths, opts.scope);
  const body = pyDumps({ tripped_at: pyIsoformatUtc(opts.nowMs ?? Date.now()), by: opts.by, reason: opts.reason });
  try {
    ensureDir(dirname(file));
    atomicWriteFile(file, body);
  } catch (err) {
    throw new StateError(`could not write the ${opts.scope} HALT file: ${errCode(err) ?? String(err)}`, file, err);
  }
}

/** Remove a switch. True if a file was removed, false if there was none; other failures throw StateError. */
export function clearHalt(paths: RuntimePaths, scope: Scope): boolean {
  const file = haltFile(paths, scope);
  try {
    unlinkSync(file);
    return true;
  } catch (err) {
    if (errCode(err) === "ENOENT") return false;
    throw new StateError(`could not remove the ${scope} HALT file: ${errCode(err) ?? String(err)}`, file, err);
  }
}

/** Python's datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(): no fraction when it is zero. */
export function pyIsoformatUtc(nowMs: number): string {
  const iso = new Date(nowMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const ms = iso.slice(20, 23);
  return ms === "000" ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${ms}000+00:00`;
}

function probe(file: string): Presence {
  try {
    // lstat: a HALT that is a dangling symlink or a directory still exists, so it still halts.
    lstatSync(file);
    return { present: true };
  } catch (err) {
    return absentOrBroken(file, err);
  }
}

async function probeAsync(file: string): Promise<Presence> {
  try {
    await lstat(file);
    return { present: true };
  } catch (err) {
    return absentOrBroken(file, err);
  }
}

function absentOrBroken(file: string, err: unknown): Presence {
  const code = errCode(err);
  if (code === "ENOENT") return { present: false };
  return { present: true, error: `cannot check ${file}: ${code ?? String(err)}` };
}

function detailOf(read: StateRead): { tripped_at?: string; by?: string; reason?: string } {
  if (!read.ok) return {}; // a FIFO, device, oversized or unreadable body: the halt stands, only attribution is missing
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    return {}; // malformed: likewise
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
  const out: { tripped_at?: string; by?: string; reason?: string } = {};
  for (const key of ["tripped_at", "by", "reason"] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (typeof v === "string") out[key] = v;
  }
  return out;
}
