/**
 * Temporary runtime roots (never the real home) with a committed mandate.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleMandate, type MandateOverrides } from "../../src/demo/mandate.js";

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
