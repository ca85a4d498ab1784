/**
 * The bounded state-file reader: only regular files are read, at most
 * maxBytes, and a FIFO, device, directory or socket fails at once, named.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readStateFile, readStateFileAsync, type StateRead } from "../../src/state/index.js";
import { mkfifoWithWatchdog, tempPaths } from "./helpers.js";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const dir = () => tempPaths().root;
const readers: [string, (file: string, maxBytes: number) => Promise<StateRead>][] = [
  ["sync", async (file, maxBytes) => readStateFile(file, { maxBytes })],
  ["async", (file, maxBytes) => readStateFileAsync(file, { maxBytes })],
];

describe.each(readers)("readStateFile (%s)", (_name, read) => {
  it("reads a regular file with its mode", async () => {
    const f = join(dir(), "m.json");
    writeFileSync(f, '{"a": 1}', { mode: 0o640 });
    const r = await read(f, 100);
    expect(r).toMatchObject({ ok: true, text: '{"a": 1}', size: 8 });
    expect(r.ok && r.mode & 0o777).toBe(0o640);
  });

  it("tells a missing file apart from every other failure", async () => {
    expect(await read(join(dir(), "absent"), 100)).toMatchObject({ ok: false, failure: "missing" });
  });

  it("fails at once on a FIFO, naming it", async () => {
    const f = join(dir(), "mandate.json");
    mkfifoWithWatchdog(f);
    const started = Date.now();
    const r = await read(f, 100);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r).toMatchObject({ ok: false, failure: "not_regular" });
    expect(!r.ok && r.reason).toBe(`${f} is a FIFO, not a regular file`);
  });

  it("fails on a symlink to /dev/zero as a device instead of reading for ever", async () => {
    const f = join(dir(), "trade_counter.json");
    symlinkSync("/dev/zero", f);
    const r = await read(f, 100);
    expect(!r.ok && r.reason).toBe(`${f} is a character device, not a regular file`);
  });

  it("fails on a directory and on a socket", async () => {
    const d = join(dir(), "HALT");
    mkdirSync(d);
    const rd = await read(d, 100);
    expect(!rd.ok && rd.reason).toBe(`${d} is a directory, not a regular file`);
    const sock = join(dir(), "s.sock");
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(sock, r));
    const r = await read(sock, 100);
    expect(r).toMatchObject({ ok: false, failure: "not_regular" });
    expect(!r.ok && r.reason).toContain("is a socket");
  });

  it("refuses a file larger than maxBytes, and reads one of exactly maxBytes", async () => {
    const f = join(dir(), "big");
    writeFileSync(f, "x".repeat(101));
    const r = await read(f, 100);
    expect(r).toMatchObject({ ok: false, failure: "too_large" });
    expect(!r.ok && r.reason).toContain("larger than 100 bytes");
    writeFileSync(f, "x".repeat(100));
    expect(await read(f, 100)).toMatchObject({ ok: true, size: 100 });
  });
});
