/**
 * The exchange's books on disk: loaded once at start, rewritten atomically
 * (temp file + rename) after every change, so a restarted simulator sees
 * the same orders, positions, wallet and leverage.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DEFAULT_WALLET } from "./fixtures.js";
import type { ExchangeState } from "./types.js";

export function freshState(): ExchangeState {
  return { orders: [], positions: [], wallet: { ...DEFAULT_WALLET }, leverage: {}, realised: {} };
}

/** The saved books, or fresh ones when the file does not exist yet. A corrupt file is an error, not a reset. */
export function loadState(file: string): ExchangeState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return freshState();
    throw err;
  }
  const data = JSON.parse(text) as Partial<ExchangeState> & { version?: number };
  if (data.version !== 1 || !Array.isArray(data.orders) || !Array.isArray(data.positions) || typeof data.wallet !== "object") {
    throw new Error(`simulator state file ${file} is not a version 1 state`);
  }
  return {
    orders: data.orders,
    positions: data.positions,
    wallet: data.wallet ?? {},
    leverage: data.leverage ?? {},
    realised: data.realised ?? {},
  };
}

export function saveState(file: string, state: ExchangeState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, ...state }, null, 1)}\n`, "utf8");
  renameSync(tmp, file);
}
