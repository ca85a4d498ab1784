/**
 * Read a small state file without ever blocking: opened O_NONBLOCK (a FIFO
 * answers at once instead of hanging the server), only a regular file is
 * read (a device, FIFO, socket or directory fails with its name), and at
 * most `maxBytes` are read (a symlink to /dev/zero cannot eat memory).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { errCode } from "./fsio.js";

export type StateFileRead = { ok: true; bytes: Buffer; mode: number } | { ok: false; missing: boolean; reason: string };

function kind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

export function readStateFileSync(file: string, maxBytes: number): StateFileRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = errCode(err);
    return { ok: false, missing: code === "ENOENT", reason: `cannot be read (${code ?? String(err)})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, missing: false, reason: `is ${kind(st)}, not a regular file` };
    if (st.size > maxBytes) return { ok: false, missing: false, reason: `is larger than ${maxBytes} bytes` };
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let off = 0;
    for (;;) {
      const got = readSync(fd, buf, off, buf.length - off, off);
      if (got === 0) break;
      off += got;
      if (off >= buf.length) return { ok: false, missing: false, reason: `is larger than ${maxBytes} bytes` };
    }
    return { ok: true, bytes: buf.subarray(0, off), mode: st.mode };
  } catch (err) {
    return { ok: false, missing: false, reason: `cannot be read (${errCode(err) ?? String(err)})` };
  } finally {
    closeSync(fd);
  }
}
