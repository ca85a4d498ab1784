import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { clearHalt, readHalt, readHaltAsync, tripHalt } from "../../src/state/index.js";
import { mkfifoWithWatchdog, py, tempPaths } from "./helpers.js";

const NOW = Date.UTC(2026, 4, 29, 14, 3, 11, 482);

describe("readHalt", () => {
  it("is clear when neither file exists (even before live/ exists)", () => {
    expect(readHalt(tempPaths())).toEqual({ global: false, broker: false });
  });

  it("reads a HALT that Vibe-Trading's trip_halt wrote", () => {
    const p = tempPaths();
    mkdirSync(p.live, { recursive: true });
    py(
      `import json,sys\nopen(sys.argv[1],"w",encoding="utf-8").write(json.dumps({"tripped_at":"2026-05-29T14:03:11.482000+00:00","by":"frontend","reason":"stop ✋"}, ensure_ascii=False))`,
      [p.globalHalt],
    );
    expect(readHalt(p)).toEqual({
      global: true,
      broker: false,
      detail: { tripped_at: "2026-05-29T14:03:11.482000+00:00", by: "frontend", reason: "stop ✋", scope: "global" },
    });
  });

  it.each(["", "not json", "[1]", "{\"by\": 3}"])("halts on an empty or malformed body %j", (body) => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    writeFileSync(p.brokerHalt, body);
    expect(readHalt(p)).toEqual({ global: false, broker: true, detail: { scope: "broker" } });
  });

  it("lets the global switch win the attribution when both are set", () => {
    const p = tempPaths();
    tripHalt(p, { scope: "broker", by: "file", reason: "b", nowMs: NOW });
    tripHalt(p, { scope: "global", by: "cli", reason: "g", nowMs: NOW });
    const h = readHalt(p);
    expect([h.global, h.broker, h.detail?.scope, h.detail?.reason]).toEqual([true, true, "global", "g"]);
  });

  it("halts with an error when the location cannot be checked (live/ is a file: ENOTDIR)", () => {
    const p = tempPaths();
    mkdirSync(p.root, { recursive: true });
    writeFileSync(p.live, "oops");
    const h = readHalt(p);
    expect(h.global).toBe(true);
    expect(h.broker).toBe(true);
    expect(h.error).toMatch(/ENOTDIR/);
  });

  it("halts with an error when only the broker location is broken", () => {
    const p = tempPaths();
    mkdirSync(p.live, { recursive: true });
    writeFileSync(p.brokerDir, "a file where the broker dir should be");
    const h = readHalt(p);
    expect([h.global, h.broker]).toEqual([false, true]);
    expect(h.error).toMatch(/ENOTDIR/);
  });
});

describe("readHalt on a HALT that is not a regular file", () => {
  it("halts at once when the broker HALT is a FIFO, without attribution (sync and async)", async () => {
    const p = tempPaths();
    mkdirSync(p.brokerDir, { recursive: true });
    mkfifoWithWatchdog(p.brokerHalt);
    const started = Date.now();
    expect(readHalt(p)).toEqual({ global: false, broker: true, detail: { scope: "broker" } });
    expect(await readHaltAsync(p)).toEqual({ global: false, broker: true, detail: { scope: "broker" } });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("halts when the global HALT is a symlink to /dev/zero, without reading it for ever", async () => {
    const p = tempPaths();
    mkdirSync(p.live, { recursive: true });
    symlinkSync("/dev/zero", p.globalHalt);
    expect(readHalt(p)).toEqual({ global: true, broker: false, detail: { scope: "global" } });
    expect(await readHaltAsync(p)).toEqual({ global: true, broker: false, detail: { scope: "global" } });
  });

  it("reads the same state asynchronously, attribution included", async () => {
    const p = tempPaths();
    expect(await readHaltAsync(p)).toEqual({ global: false, broker: false });
    tripHalt(p, { scope: "global", by: "cli", reason: "stop", nowMs: NOW });
    tripHalt(p, { scope: "broker", by: "frontend", reason: "b", nowMs: NOW });
    expect(await readHaltAsync(p)).toEqual(readHalt(p));
    expect((await readHaltAsync(p)).detail).toMatchObject({ scope: "global", by: "cli", reason: "stop" });
  });
});

describe("tripHalt", () => {
  it("writes the bytes Vibe-Trading's trip_halt writes, atomically, with no temp file left", () => {
    const p = tempPaths();
    tripHalt(p, { scope: "global", by: "cli", reason: "drawdown ü \"quoted\"", nowMs: NOW });
    const expected = py(
      `import json,sys\nfrom datetime import datetime,timezone\nt=datetime.fromtimestamp(int(sys.argv[1])/1000, timezone.utc).isoformat()\nsys.stdout.write(json.dumps({"tripped_at":t,"by":"cli","reason":sys.argv[2]}, ensure_ascii=False))`,
      [String(NOW), 'drawdown ü "quoted"'],
    );
    expect(readFileSync(p.globalHalt, "utf8")).toBe(expected);
    expect(readdirSync(p.live)).toEqual(["HALT"]);
  });

  it("formats a whole second the way Python's isoformat does (no fraction)", () => {
    const p = tempPaths();
    tripHalt(p, { scope: "broker", by: "cli", reason: "r", nowMs: Date.UTC(2026, 0, 2, 3, 4, 5, 0) });
    expect(JSON.parse(readFileSync(p.brokerHalt, "utf8")).tripped_at).toBe("2026-01-02T03:04:05+00:00");
  });

  it("is read by Vibe-Trading's read_halt logic", () => {
    const p = tempPaths();
    tripHalt(p, { scope: "broker", by: "frontend", reason: "é", nowMs: NOW });
    const out = py(`import json,sys\nd=json.loads(open(sys.argv[1],encoding="utf-8").read())\nprint(d["by"], d["reason"]=="\\u00e9")`, [p.brokerHalt]);
    expect(out.trim()).toBe("frontend True");
  });

  it("throws StateError when it cannot write", () => {
    const p = tempPaths();
    mkdirSync(p.root, { recursive: true });
    writeFileSync(p.live, "file");
    expect(() => tripHalt(p, { scope: "global", by: "cli", reason: "x" })).toThrow(/could not write the global HALT/);
  });
});

describe("clearHalt", () => {
  it("removes only the named switch and says whether there was one", () => {
    const p = tempPaths();
    tripHalt(p, { scope: "global", by: "cli", reason: "g" });
    tripHalt(p, { scope: "broker", by: "cli", reason: "b" });
    expect(clearHalt(p, "global")).toBe(true);
    expect(clearHalt(p, "global")).toBe(false);
    expect(readHalt(p).broker).toBe(true);
    expect(clearHalt(p, "broker")).toBe(true);
    expect(readHalt(p)).toEqual({ global: false, broker: false });
  });

  it("throws StateError when the switch cannot be removed", () => {
    const p = tempPaths();
    mkdirSync(p.globalHalt, { recursive: true }); // a directory named HALT still halts
    writeFileSync(`${p.globalHalt}/x`, "");
    expect(readHalt(p).global).toBe(true);
    expect(() => clearHalt(p, "global")).toThrow(/could not remove/);
  });
});
