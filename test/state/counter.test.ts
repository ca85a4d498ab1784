import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { incrementTradesToday, incrementTradesTodayAsync, readTradesToday, readTradesTodayAsync, withOrderLock } from "../../src/state/index.js";
import { compiledStateModule, mkfifoWithWatchdog, nodeChild, py, tempPaths } from "./helpers.js";

const DAY_END = Date.parse("2026-05-29T23:59:59.999Z");
const NEXT_DAY = Date.parse("2026-05-30T00:00:00.000Z");

/** The counter bytes Vibe-Trading's daily_count.py writes. */
const pythonCounter = (date: string, count: number) =>
  py(`import json,sys\nsys.stdout.write(json.dumps({"date": sys.argv[1], "count": int(sys.argv[2])}, ensure_ascii=False))`, [date, String(count)]);

describe("readTradesToday", () => {
  it("is 0 without a file", () => expect(readTradesToday(tempPaths(), DAY_END)).toBe(0));

  it("reads the file Vibe-Trading wrote, for its UTC day only", () => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    writeFileSync(p.counter, pythonCounter("2026-05-29", 7));
    expect(readTradesToday(p, DAY_END)).toBe(7);
    expect(readTradesToday(p, NEXT_DAY)).toBe(0);
  });

  it.each([
    ["empty", ""],
    ["not JSON", "{"],
    ["not an object", "[1]"],
    ["negative", '{"date": "2026-05-29", "count": -1}'],
    ["fractional", '{"date": "2026-05-29", "count": 1.5}'],
    ["string count", '{"date": "2026-05-29", "count": "3"}'],
    ["bad date", '{"date": "29/05/2026", "count": 1}'],
    ["impossible date", '{"date": "2026-13-45", "count": 1}'],
    ["no count", '{"date": "2026-05-29"}'],
  ])("throws StateError on a %s counter and leaves it untouched", (_name, body) => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    writeFileSync(p.counter, body);
    expect(() => readTradesToday(p, DAY_END)).toThrow(StateError);
    expect(() => incrementTradesToday(p, DAY_END)).toThrow(StateError);
    expect(readFileSync(p.counter, "utf8")).toBe(body);
  });

  it("throws StateError when the counter cannot be read (a directory)", () => {
    const p = tempPaths();
    mkdirSync(p.counter, { recursive: true });
    expect(() => readTradesToday(p, DAY_END)).toThrow(StateError);
  });

  it.each(["2026-02-30", "2026-13-01", "2025-02-29", "2026-04-31"])("treats the impossible date %s as corrupt, not as another day", async (date) => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    writeFileSync(p.counter, pythonCounter(date, 9));
    expect(() => readTradesToday(p, DAY_END)).toThrow(/real YYYY-MM-DD calendar date/);
    await expect(readTradesTodayAsync(p, DAY_END)).rejects.toThrow(StateError);
    expect(() => incrementTradesToday(p, DAY_END)).toThrow(StateError);
    expect(readFileSync(p.counter, "utf8")).toBe(pythonCounter(date, 9));
  });

  it("accepts 29 February in a leap year", () => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    writeFileSync(p.counter, pythonCounter("2028-02-29", 4));
    expect(readTradesToday(p, Date.parse("2028-02-29T12:00:00Z"))).toBe(4);
  });

  it("fails at once, naming it, when the counter is a FIFO (sync and async), and never writes over it", async () => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    mkfifoWithWatchdog(p.counter);
    expect(() => readTradesToday(p, DAY_END)).toThrow(`${p.counter} is a FIFO, not a regular file`);
    await expect(readTradesTodayAsync(p, DAY_END)).rejects.toThrow(/is a FIFO/);
    await expect(incrementTradesTodayAsync(p, DAY_END)).rejects.toThrow(/is a FIFO/);
  });

  it("fails as a device on a symlink to /dev/zero instead of reading for ever", async () => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    symlinkSync("/dev/zero", p.counter);
    expect(() => readTradesToday(p, DAY_END)).toThrow(/is a character device, not a regular file/);
    await expect(readTradesTodayAsync(p, DAY_END)).rejects.toThrow(/character device/);
  });

  it("reads asynchronously what the sync reader reads", async () => {
    const p = tempPaths();
    expect(await readTradesTodayAsync(p, DAY_END)).toBe(0);
    mkdirSync(p.brokerDir, { recursive: true });
    writeFileSync(p.counter, pythonCounter("2026-05-29", 7));
    expect(await readTradesTodayAsync(p, DAY_END)).toBe(7);
    expect(await readTradesTodayAsync(p, NEXT_DAY)).toBe(0);
  });
});

describe("incrementTradesToday", () => {
  it("writes exactly the bytes Python writes, and rolls over at UTC midnight", () => {
    const p = tempPaths();
    expect(incrementTradesToday(p, DAY_END)).toBe(1);
    expect(incrementTradesToday(p, DAY_END)).toBe(2);
    expect(readFileSync(p.counter, "utf8")).toBe(pythonCounter("2026-05-29", 2));
    expect(incrementTradesToday(p, NEXT_DAY)).toBe(1);
    expect(readFileSync(p.counter, "utf8")).toBe(pythonCounter("2026-05-30", 1));
  });

  it("leaves no temp files behind", () => {
    const p = tempPaths();
    for (let i = 0; i < 5; i++) incrementTradesToday(p, DAY_END);
    expect(readdirSync(p.brokerDir)).toEqual(["trade_counter.json"]);
  });

  it.each([
    ["incrementTradesToday", "s.incrementTradesToday(p, Date.now())"],
    // The write path's way: count a batch of two ahead (async fsyncs), then give back the one not accepted.
    ["incrementTradesTodayAsync + releaseTradesToday", "await s.incrementTradesTodayAsync(p, Date.now(), 2).then((n) => s.releaseTradesToday(p, Date.now(), 1).then((m) => (m === n - 1 ? m : -1)))"],
  ])("counts exactly under the lock with two processes using %s concurrently", async (_name, step) => {
    const p = tempPaths();
    const N = 40;
    const script = `
      const s = await import(${JSON.stringify(pathToFileURL(compiledStateModule()).href)});
      const p = s.runtimePaths(${JSON.stringify(p.root)}, "bybit");
      for (let i = 0; i < ${N}; i++) {
        await s.withOrderLock(p, { timeoutMs: 20000, pollMs: 1 }, async () => {
          const seen = s.readTradesToday(p, Date.now());
          await new Promise((r) => setTimeout(r, 1)); // widen the race window
          if ((await ${step}) !== seen + 1) process.exit(3);
        });
      }`;
    const results = await Promise.all([nodeChild(script), nodeChild(script)]);
    for (const r of results) expect(r, r.stderr).toMatchObject({ status: 0 });
    expect(readTradesToday(p, Date.now())).toBe(2 * N);
  }, 60_000);

  it("is consistent with an in-process lock holder", async () => {
    const p = tempPaths();
    await Promise.all(
      Array.from({ length: 10 }, () => withOrderLock(p, { timeoutMs: 5000, pollMs: 1 }, async () => incrementTradesToday(p, DAY_END))),
    );
    expect(readTradesToday(p, DAY_END)).toBe(10);
  });
});
