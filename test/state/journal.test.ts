/**
 * The write-ahead journal's own rules: entries and their close lines, a torn
 * last line that cannot swallow the next entry, today's orderLinkIds kept,
 * and compaction that drops only closed entries of earlier days.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "../../src/state/journal.js";
import { runtimePaths, type RuntimePaths } from "../../src/state/paths.js";
import { journalOpenLine, tempRuntime, type Runtime } from "../helpers/runtime.js";

let rt: Runtime;
let paths: RuntimePaths;
beforeEach(() => {
  rt = tempRuntime();
  paths = runtimePaths(rt.root, "bybit");
});
afterEach(() => rt.cleanup());

const DAY = 86_400_000;
const open = journalOpenLine;

describe("Journal", () => {
  it("an entry is open until its close line; another instance (process) sees both", async () => {
    const j = new Journal(paths);
    await j.open([open("dec_a", Date.now()), open("dec_b", Date.now())]);
    await j.close([{ op: "close", decision_id: "dec_a", outcome: "accepted", audit_id: "la_1", ts_ms: Date.now() }]);
    const other = new Journal(paths);
    other.refresh();
    expect(other.openEntries().map((e) => e.open.decision_id)).toEqual(["dec_b"]);
    expect(other.byOrderLinkId("link-dec_a")?.close?.outcome).toBe("accepted");
  });

  it("a torn last line (a crash mid-append) does not swallow the next entry", async () => {
    writeFileSync(paths.journal, '{"op":"open","decision_id":"dec_torn"', { mode: 0o600 });
    const j = new Journal(paths);
    await j.open([open("dec_next", Date.now())]);
    const fresh = new Journal(paths);
    fresh.refresh();
    expect(fresh.openEntries().map((e) => e.open.decision_id)).toEqual(["dec_next"]);
  });

  it("compact drops closed entries of earlier days only: open ones and today's stay", async () => {
    const now = Date.now();
    const j = new Journal(paths);
    await j.open([open("dec_old_closed", now - 2 * DAY), open("dec_old_open", now - 2 * DAY), open("dec_today", now)]);
    await j.close([
      { op: "close", decision_id: "dec_old_closed", outcome: "accepted", audit_id: "la_1", ts_ms: now - 2 * DAY },
      { op: "close", decision_id: "dec_today", outcome: "accepted", audit_id: "la_2", ts_ms: now },
    ]);
    await j.compact(new Date(now).toISOString().slice(0, 10));
    const text = readFileSync(paths.journal, "utf8");
    expect(text).not.toContain("dec_old_closed");
    const fresh = new Journal(paths);
    fresh.refresh();
    expect(fresh.openEntries().map((e) => e.open.decision_id)).toEqual(["dec_old_open"]);
    expect(fresh.byOrderLinkId("link-dec_today")?.close?.outcome).toBe("accepted");
  });
});
