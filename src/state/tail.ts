/**
 * Read a JSONL file backwards, a chunk at a time, so `audit tail` costs what
 * it prints rather than the size of the whole ledger.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { AuditError } from "../errors.js";
import { errCode } from "./fsio.js";
import { fileKind } from "./read-file.js";

const CHUNK = 64 * 1024;

/**
 * Non-blank lines of `file`, last first. A missing file has none; an
 * unreadable one, or one that is not a regular file (opened non-blocking, so
 * a FIFO cannot hang the reader), throws AuditError.
 */
export function* readLinesFromEnd(file: string): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if (errCode(err) === "ENOENT") return;
    throw new AuditError(`cannot read ${file}: ${errCode(err) ?? String(err)}`, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new AuditError(`${file} is ${fileKind(st)}, not a regular file`);
    let pos = st.size;
    let carry = Buffer.alloc(0); // bytes of a line whose start is not read yet
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const chunk = Buffer.alloc(len);
      readSync(fd, chunk, 0, len, pos);
      let buf = Buffer.concat([chunk, carry]);
      let nl = buf.lastIndexOf(0x0a);
      while (nl !== -1) {
        const line = buf.subarray(nl + 1).toString("utf8").trim();
        if (line !== "") yield line;
        buf = buf.subarray(0, nl);
        nl = buf.lastIndexOf(0x0a);
      }
      carry = Buffer.from(buf);
    }
    const first = carry.toString("utf8").trim();
    if (first !== "") yield first;
  } catch (err) {
    if (err instanceof AuditError) throw err;
    throw new AuditError(`cannot read ${file}: ${errCode(err) ?? String(err)}`, err);
  } finally {
    closeSync(fd);
  }
}
