/**
 * Reading mandate.json from disk: the I/O half of mandate loading (the pure
 * validation is gate/mandate.ts's validateMandate). Re-read for every batch.
 *
 * Never throws: a file that is missing, not a regular file (a FIFO or a
 * device would hang or flood a plain read), larger than any mandate, not
 * JSON, or writable by group or others becomes `{ok: false, reason}` and
 * every order is denied.
 */
import { createHash } from "node:crypto";
import { validateMandate, mandateFailure } from "../gate/mandate.js";
import type { MandateLoad } from "../gate/types.js";
import { readStateFile, readStateFileAsync, type StateRead } from "./read-file.js";

/** Larger than any real mandate; refuse to parse anything bigger. */
export const MAX_MANDATE_BYTES = 1 << 20;

export interface LoadMandateOptions {
  brokerKey: string;
  /** Accepted for symmetry with the write path but unused: expiry is the gate's own step. */
  nowMs?: number;
}

/** Read, parse and validate a mandate file, synchronously (the CLI). */
export function loadMandate(file: string, opts: LoadMandateOptions): MandateLoad {
  return fromRead(file, readStateFile(file, { maxBytes: MAX_MANDATE_BYTES }), opts);
}

/** loadMandate with the read on the thread pool, so the server's event loop never waits on the file. */
export async function loadMandateAsync(file: string, opts: LoadMandateOptions): Promise<MandateLoad> {
  return fromRead(file, await readStateFileAsync(file, { maxBytes: MAX_MANDATE_BYTES }), opts);
}

/** A mandate as read for one decision: the load and the sha256 hex of the very bytes validated (null without a regular file). */
export interface MandateFileRead {
  load: MandateLoad;
  sha256: string | null;
}

/** loadMandate plus the hash of the bytes it validated, so "the mandate decided on" can be re-checked before sending. */
export function readMandateFile(file: string, opts: LoadMandateOptions): MandateFileRead {
  return withSha(file, readStateFile(file, { maxBytes: MAX_MANDATE_BYTES }), opts);
}

/** Only the sha256 of the mandate file's bytes (null without a regular file): the last check before the wire compares it. */
export function mandateFileSha(file: string): string | null {
  const read = readStateFile(file, { maxBytes: MAX_MANDATE_BYTES });
  return read.ok ? createHash("sha256").update(read.bytes).digest("hex") : null;
}

/** readMandateFile off the main thread. */
export async function readMandateFileAsync(file: string, opts: LoadMandateOptions): Promise<MandateFileRead> {
  return withSha(file, await readStateFileAsync(file, { maxBytes: MAX_MANDATE_BYTES }), opts);
}

/**
 * The last mandate validated, by the sha256 of its bytes and the broker it was
 * checked for. Validation is a pure function of those two, so bytes that hash
 * the same reuse the result (the mandate in it is deep-frozen) instead of
 * parsing and running the schema again for every order. The file is still read
 * and hashed every time, and its mode checked (a chmod changes no bytes).
 */
let lastValid: { sha256: string; brokerKey: string; load: MandateLoad } | undefined;

function withSha(file: string, read: StateRead, opts: LoadMandateOptions): MandateFileRead {
  if (!read.ok) return { load: fromRead(file, read, opts), sha256: null };
  const sha256 = createHash("sha256").update(read.bytes).digest("hex");
  return { load: fromRead(file, read, opts, sha256), sha256 };
}

function fromRead(file: string, read: StateRead, opts: LoadMandateOptions, sha256?: string): MandateLoad {
  if (!read.ok) {
    const message =
      read.failure === "missing"
        ? `no mandate file at ${file}; commit a mandate in Vibe-Trading first.`
        : read.failure === "too_large"
          ? `${file} is larger than 1 MiB, which no mandate is.`
          : `${read.reason}.`;
    return mandateFailure([{ path: "(file)", message }], file);
  }
  // Anyone who can write the file can raise the caps: the mandate is the user's consent,
  // so only its owner may change it (Vibe-Trading writes it 0600).
  if ((read.mode & 0o022) !== 0) {
    const mode = (read.mode & 0o777).toString(8).padStart(4, "0");
    return mandateFailure(
      [{ path: "(file)", message: `${file} is writable by group or others (mode ${mode}); run chmod 600 ${file}.` }],
      file,
    );
  }
  if (sha256 !== undefined && lastValid?.sha256 === sha256 && lastValid.brokerKey === opts.brokerKey) return { ...lastValid.load, file };
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch (err) {
    return mandateFailure([{ path: "(file)", message: `${file} is not valid JSON: ${(err as Error).message}.` }], file);
  }
  const load = validateMandate(value, opts);
  if (sha256 !== undefined && load.ok) lastValid = { sha256, brokerKey: opts.brokerKey, load };
  return { ...load, file };
}
