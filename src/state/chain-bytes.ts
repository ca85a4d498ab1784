/**
 * Byte-level helpers of the chain append: comparing and reading what is on
 * disk, and finding a torn tail (see audit.ts on why it is cut, not kept).
 */
import { readSync } from "node:fs";
import { parsePyJson } from "./pyjson.js";

/**
 * Where to cut a torn chain tail: the offset after the last newline when the
 * bytes after it are not a JSON object (a crash mid-append). Undefined when
 * the file ends with a newline, or its last line parses (see the module comment).
 */
export function tornCut(buf: Buffer): number | undefined {
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return undefined;
  const start = buf.lastIndexOf(0x0a) + 1;
  const fragment = buf.subarray(start).toString("utf8").trim();
  if (fragment === "") return undefined;
  try {
    const parsed = parsePyJson(fragment);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return undefined;
  } catch {
    // not JSON: torn
  }
  return start;
}

/** The bytes of the last line, with the newline an append will give it. */
export function lastLineOf(buf: Buffer, needsNewline: boolean): Buffer | undefined {
  if (buf.length === 0) return undefined;
  const body = needsNewline ? buf : buf.subarray(0, buf.length - 1);
  const start = body.lastIndexOf(0x0a) + 1;
  return Buffer.concat([body.subarray(start), Buffer.from("\n")]);
}

export function endsWithNewline(fd: number, size: number): boolean {
  const b = Buffer.alloc(1);
  return readSync(fd, b, 0, 1, size - 1) === 1 && b[0] === 0x0a;
}

export function lastBytesEqual(fd: number, size: bigint, expected: Buffer): boolean {
  if (size < BigInt(expected.length)) return false;
  const buf = Buffer.alloc(expected.length);
  const got = readSync(fd, buf, 0, buf.length, Number(size) - buf.length);
  return got === buf.length && buf.equals(expected);
}

export function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const got = readSync(fd, buf, off, size - off, off);
    if (got === 0) break;
    off += got;
  }
  return buf.subarray(0, off);
}
