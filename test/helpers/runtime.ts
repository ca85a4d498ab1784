/**
 * Temporary runtime roots (never the real home) with a committed mandate.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleMandate, type MandateOverrides } from "../../src/demo/mandate.js";
import type { JournalOpen } from "../../src/state/journal.js";

export interface Runtime {
  root: string;
  live: string;
  broker: string;
  writeMandate(o?: MandateOverrides): void;
  cleanup(): void;
}

export function tempRuntime(): Runtime {
  const root = mkdtempSync(join(tmpdir(), `bybit-mcp-${randomBytes(3).toString("hex")}-`));
  const broker = join(root, "live", "bybit");
  mkdirSync(broker, { recursive: true });
  return {
    root,
    live: join(root, "live"),
    broker,
    writeMandate(o = {}) {
      writeFileSync(join(broker, "mandate.json"), JSON.stringify(exampleMandate(o), null, 2), { mode: 0o600 });
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A journal open line for a place_order (what the write path writes before sending), for tests of the journal's readers. */
export function journalOpenLine(id: string, ts: number = Date.now()): JournalOpen {
  return {
    op: "open",
    decision_id: id,
    order_link_id: `link-${id}`,
    tool: "place_order",
    remote_tool: "bybit_place_order",
    path: "/v5/order/create",
    body: { symbol: "BTCUSDT" },
    session_id: "s",
    ts_ms: ts,
    counted_day: null,
    mandate_sha256: "x",
    record: {},
  };
}
