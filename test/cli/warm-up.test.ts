/**
 * Whether the write path starts with the server: only when there is work for
 * it now (a journal entry a crash left open, rules to lint from another
 * directory, the shared database), or when the journal cannot be read.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writePathAtStart } from "../../src/cli/warm-up.js";
import { loadConfig } from "../../src/config.js";
import { Journal } from "../../src/state/journal.js";
import { runtimePaths } from "../../src/state/paths.js";
import { journalOpenLine } from "../helpers/runtime.js";

function root(): string {
  const r = mkdtempSync(join(tmpdir(), "warm-up-"));
  mkdirSync(join(r, "live", "bybit"), { recursive: true });
  return r;
}


describe("the write path at start", () => {
  it("waits for first use when the journal holds nothing open (none, or every entry closed)", async () => {
    const r = root();
    expect(writePathAtStart(loadConfig({ VIBE_RUNTIME_ROOT: r }))).toBe(false);
    const journal = new Journal(runtimePaths(r, "bybit"));
    await journal.open([journalOpenLine("dec_a")]);
    await journal.close([{ op: "close", decision_id: "dec_a", outcome: "accepted", audit_id: null, ts_ms: Date.now() }]);
    expect(writePathAtStart(loadConfig({ VIBE_RUNTIME_ROOT: r }))).toBe(false);
  });

  it("starts at once for an entry a crash left open, so it is reconciled without waiting for an order", async () => {
    const r = root();
    await new Journal(runtimePaths(r, "bybit")).open([journalOpenLine("dec_b")]);
    expect(writePathAtStart(loadConfig({ VIBE_RUNTIME_ROOT: r }))).toBe(true);
  });

  it("starts at once when the journal cannot be read, for rules from another directory, and on the shared database", () => {
    const r = root();
    // A directory where the journal file should be: not a regular file, so not readable as one.
    mkdirSync(runtimePaths(r, "bybit").journal);
    expect(writePathAtStart(loadConfig({ VIBE_RUNTIME_ROOT: r }))).toBe(true);
    const rules = mkdtempSync(join(tmpdir(), "warm-up-rules-"));
    writeFileSync(join(rules, "ruleset.yaml"), "version: 1\n");
    expect(writePathAtStart(loadConfig({ VIBE_RUNTIME_ROOT: root(), BYBIT_MCP_RULES: rules }))).toBe(true);
    expect(writePathAtStart(loadConfig({ VIBE_RUNTIME_ROOT: root(), BYBIT_MCP_STATE: "postgres://u@127.0.0.1:1/db" }))).toBe(true);
  });
});
