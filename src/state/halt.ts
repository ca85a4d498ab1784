/**
 * The kill switch, as Vibe-Trading keeps it (agent/src/live/halt.py): the
 * existence of live/HALT halts every broker, live/<broker>/HALT halts one.
 * The body is attribution only; an empty or malformed file still halts.
 *
 * Stricter than Vibe-Trading in one place: Python's Path.exists() answers
 * "no" when the location cannot be checked (ENOTDIR, EACCES...). Here a
 * location that cannot be checked counts as halted and sets `error`.
 */
import { lstatSync, readFileSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { StateError } from "../errors.js";
import type { HaltState } from "../gate/types.js";
import { atomicWriteFile, ensureDir, errCode } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { pyDumps } from "./pyjson.js";

type Scope = "global" | "broker";
type Presence = { present: boolean; error?: string };

/** Read both switches; never throws. Global wins for attribution (`detail`). */
export function readHalt(paths: RuntimePaths): HaltState {
  const g = probe(paths.globalHalt);
  const b = probe(paths.brokerHalt);
  const state: HaltState = { global: g.present, broker: b.present };
  const errors = [g.error, b.error].filter((e): e is string => e !== undefined);
  if (errors.length > 0) state.error = errors.join("; ");
  const scope: Scope | undefined = g.present && g.error === undefined ? "global" : b.present && b.error === undefined ? "broker" : undefined;
  if (scope !== undefined) state.detail = { ...readDetail(scope === "global" ? paths.globalHalt : paths.brokerHalt), scope };
  return state;
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
  const file = opts.scope === "global" ? paths.globalHalt : paths.brokerHalt;
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
  const file = scope === "global" ? paths.globalHalt : paths.brokerHalt;
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
    const code = errCode(err);
    if (code === "ENOENT") return { present: false };
    return { present: true, error: `cannot check ${file}: ${code ?? String(err)}` };
  }
}

function readDetail(file: string): { tripped_at?: string; by?: string; reason?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return {}; // unreadable or malformed: the halt stands, only attribution is missing
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
  const out: { tripped_at?: string; by?: string; reason?: string } = {};
  for (const key of ["tripped_at", "by", "reason"] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (typeof v === "string") out[key] = v;
  }
  return out;
}
