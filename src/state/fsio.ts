/**
 * Small filesystem helpers shared by the state stores: atomic replace
 * (same-directory temp file, fsync, rename, fsync the directory) so a reader
 * never sees a half-written HALT or counter, and a short synchronous sleep
 * for bounded lock polling inside synchronous appends.
 */
import fsExt from "fs-ext";
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** mkdir -p with 0700 for new directories, as Vibe-Trading creates them. */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Replace `file` with `data` atomically. The temp name carries the pid and a
 * random part so concurrent writers never share a temp file; on any failure
 * the temp file is removed and the error rethrown. `syncDir: false` skips the
 * directory fsync: after a crash the file then holds the old or the new
 * bytes, never none, but the rename itself may be lost.
 */
export function atomicWriteFile(file: string, data: string, opts: { syncDir?: boolean } = {}): void {
  const t = openTemp(file, data);
  try {
    fsyncSync(t.fd);
  } catch (err) {
    t.abort();
    throw err;
  }
  t.commit();
  if (opts.syncDir !== false) fsyncDir(dirname(file));
}

/**
 * atomicWriteFile with both fsyncs on the thread pool, so the main thread
 * stays free (the write path counts orders while their ledger records are
 * fsync'd). Same steps, same guarantees.
 */
export async function atomicWriteFileAsync(file: string, data: string, opts: { syncDir?: boolean } = {}): Promise<void> {
  const t = openTemp(file, data);
  try {
    await fsyncAsync(t.fd);
  } catch (err) {
    t.abort();
    throw err;
  }
  t.commit();
  if (opts.syncDir === false) return;
  let dirFd: number | undefined;
  try {
    dirFd = openSync(dirname(file), "r");
    await fsyncAsync(dirFd);
  } catch {
    // as fsyncDir: filesystems without directory fsync
  } finally {
    if (dirFd !== undefined) closeQuietly(dirFd);
  }
}

/** A same-directory temp file holding `data`: commit() closes and renames it over `file`, abort() removes it. */
function openTemp(file: string, data: string): { fd: number; commit: () => void; abort: () => void } {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  let open = true;
  const abort = () => {
    if (open) closeQuietly(fd);
    open = false;
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
  };
  try {
    writeAll(fd, Buffer.from(data, "utf8"));
  } catch (err) {
    abort();
    throw err;
  }
  return {
    fd,
    abort,
    commit: () => {
      try {
        closeSync(fd);
        open = false;
        renameSync(tmp, file);
      } catch (err) {
        abort();
        throw err;
      }
    },
  };
}

/** fsync on the thread pool. */
export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Write every byte (writeSync may write fewer than asked). */
export function writeAll(fd: number, buf: Buffer, position?: number): void {
  let off = 0;
  while (off < buf.length) {
    const pos = position === undefined ? null : position + off;
    off += writeSync(fd, buf, off, buf.length - off, pos);
  }
}

/** Make a new or renamed directory entry durable; some filesystems refuse, which is not fatal. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync: the data itself was fsynced
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Block this thread for `ms` milliseconds (used only for short, bounded lock polls). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** The errno code of a thrown fs error, or undefined. */
/**
 * flock(LOCK_EX | LOCK_NB) on fd: true when taken, false when another open
 * file description holds it (EAGAIN / EWOULDBLOCK / EACCES); throws otherwise.
 * The same kind of lock Vibe-Trading's fcntl.flock takes.
 */
export function tryFlockExclusive(fd: number): boolean {
  try {
    fsExt.flockSync(fd, "exnb");
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EACCES") return false;
    throw err;
  }
}

export function errCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}
