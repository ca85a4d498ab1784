/**
 * Bounded reads of the small state files (mandate.json, trade_counter.json,
 * the HALT body, our chain tip) that never hang and never throw.
 *
 * Why not readFileSync: a FIFO at one of these paths blocks open() until a
 * writer appears (the whole server, read tools included, hangs), and a
 * symlink to /dev/zero reads until memory runs out. Here the path is stat'ed
 * first, so a device or FIFO is never even opened in the common case; it is
 * then opened O_RDONLY|O_NONBLOCK|O_NOCTTY (a FIFO swapped in after the stat
 * still cannot block the open) and the opened descriptor is fstat'ed, so
 * only a regular file is ever read, and at most maxBytes + 1 bytes of it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { open, stat } from "node:fs/promises";
import { errCode } from "./fsio.js";

/** Why a state file could not be read: "missing" (ENOENT) stays apart from every other failure. */
export type StateReadFailure = "missing" | "not_regular" | "too_large" | "unreadable";

export type StateRead =
  | { ok: true; text: string; /** The bytes read (text is their UTF-8 decoding). */ bytes: Buffer; /** st_mode of the opened file. */ mode: number; size: number }
  | { ok: false; failure: StateReadFailure; /** One sentence naming the file and what is wrong. */ reason: string; code?: string };

export interface StateReadOptions {
  /** Refuse files larger than this many bytes. */
  maxBytes: number;
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Read a small regular file as UTF-8, synchronously. Never throws, never blocks on a FIFO or device. */
export function readStateFile(file: string, opts: StateReadOptions): StateRead {
  let fd: number | undefined;
  try {
    const before = notRegular(file, statSync(file));
    if (before) return before;
    fd = openSync(file, FLAGS);
    const st = fstatSync(fd);
    const after = notRegular(file, st);
    if (after) return after;
    if (st.size > opts.maxBytes) return tooLarge(file, opts.maxBytes);
    const openFd = fd;
    const buf = readBounded(st.size, opts.maxBytes, (b, off) => readSync(openFd, b, 0, b.length, off));
    if (buf === null) return tooLarge(file, opts.maxBytes); // grew after the fstat
    return { ok: true, text: buf.toString("utf8"), bytes: buf, mode: st.mode, size: buf.length };
  } catch (err) {
    return failed(file, err);
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // nothing to do: the read already finished or failed
      }
    }
  }
}

/** readStateFile with every step on the thread pool, so the event loop never waits on the disk. */
export async function readStateFileAsync(file: string, opts: StateReadOptions): Promise<StateRead> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const before = notRegular(file, await stat(file));
    if (before) return before;
    handle = await open(file, FLAGS);
    const st = await handle.stat();
    const after = notRegular(file, st);
    if (after) return after;
    if (st.size > opts.maxBytes) return tooLarge(file, opts.maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (let want = Math.min(st.size, opts.maxBytes) + 1; total <= opts.maxBytes; want = CHUNK) {
      const b = Buffer.alloc(want);
      const { bytesRead } = await handle.read(b, 0, want, total);
      if (bytesRead === 0) break;
      chunks.push(b.subarray(0, bytesRead));
      total += bytesRead;
      if (bytesRead < want) break; // a short read of a regular file is its end: no second read to learn it
    }
    if (total > opts.maxBytes) return tooLarge(file, opts.maxBytes);
    const buf = Buffer.concat(chunks, total);
    return { ok: true, text: buf.toString("utf8"), bytes: buf, mode: st.mode, size: total };
  } catch (err) {
    return failed(file, err);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

const CHUNK = 64 * 1024;

/**
 * Read from offset 0 until EOF or past maxBytes: first as many bytes as the
 * fstat said plus one (so a file that did not grow takes one read: fewer bytes
 * than asked is the end), then in chunks. Null when more than maxBytes arrived. Memory follows the file, not maxBytes.
 */
function readBounded(size: number, maxBytes: number, read: (b: Buffer, position: number) => number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  for (let want = Math.min(size, maxBytes) + 1; total <= maxBytes; want = CHUNK) {
    const b = Buffer.alloc(want);
    const got = read(b, total);
    if (got === 0) break;
    chunks.push(b.subarray(0, got));
    total += got;
    if (got < want) break; // a short read of a regular file is its end: no second read to learn it
  }
  return total > maxBytes ? null : Buffer.concat(chunks, total);
}

/** What kind of file `st` is, in words ("a FIFO", "a character device"...). */
export function fileKind(st: Pick<Stats, "isFile" | "isDirectory" | "isFIFO" | "isCharacterDevice" | "isBlockDevice" | "isSocket" | "isSymbolicLink">): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

function notRegular(file: string, st: Stats): StateRead | null {
  if (st.isFile()) return null;
  return { ok: false, failure: "not_regular", reason: `${file} is ${fileKind(st)}, not a regular file` };
}

function tooLarge(file: string, maxBytes: number): StateRead {
  return { ok: false, failure: "too_large", reason: `${file} is larger than ${maxBytes} bytes` };
}

function failed(file: string, err: unknown): StateRead {
  const code = errCode(err);
  if (code === "ENOENT") return { ok: false, failure: "missing", reason: `${file} does not exist`, code };
  return { ok: false, failure: "unreadable", reason: `${file} cannot be read (${code ?? String(err)})`, ...(code ? { code } : {}) };
}
