/**
 * Where the shared live-trading state lives on disk. The layout is
 * Vibe-Trading's (agent/src/live/paths.py, halt.py, daily_count.py,
 * audit.py), so both programs read and write the same files:
 *
 *   <root>/live/HALT                          global kill switch
 *   <root>/live/<broker>/HALT                 per-broker kill switch
 *   <root>/live/<broker>/mandate.json         committed mandate
 *   <root>/live/<broker>/trade_counter.json   {"date": "YYYY-MM-DD", "count": N}
 *   <root>/live/<broker>/.order_submit.lock   flock around check, count and submit
 *   <root>/live/<broker>/inflight.jsonl       our write-ahead journal (not Vibe-Trading's)
 *   <root>/live/<broker>/approvals/           our approval requests, apr_<hex>.json (not Vibe-Trading's)
 *   <root>/live/audit.jsonl                   append-only ledger
 *   <root>/live/audit_chain.jsonl             hash-chained copy of the ledger
 *   <root>/live/.audit_chain_tip.json         ours: the chain tip we last wrote
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { StateError } from "../errors.js";

/**
 * The runtime root: VIBE_RUNTIME_ROOT (what the Python bybit-mcp reads), else
 * VIBE_TRADING_HOME (what Vibe-Trading reads), else ~/.vibe-trading. A
 * leading "~" expands to HOME from `env` (falling back to the OS home). The
 * result is absolute, so it does not move when the working directory does.
 */
export function resolveRuntimeRoot(env: NodeJS.ProcessEnv): string {
  const home = nonEmpty(env.HOME) ?? homedir();
  const raw = nonEmpty(env.VIBE_RUNTIME_ROOT) ?? nonEmpty(env.VIBE_TRADING_HOME) ?? "~/.vibe-trading";
  const expanded = raw === "~" ? home : raw.startsWith("~/") ? join(home, raw.slice(2)) : raw;
  return resolve(expanded);
}

/**
 * What a broker key may be once trimmed and lower-cased: a plain folder name
 * under live/. Vibe-Trading only refuses "/", "\\" and ".."; that still lets
 * "." (live/ itself would be the broker folder, its HALT the global one) and
 * names like "a.b" or control characters through, so here the key is held to
 * a small alphabet instead.
 */
export const BROKER_KEY_RE = /^[a-z0-9_-]{1,64}$/;

/** Why `raw` cannot be a broker key, or null when it can. normalizeBrokerKey accepts exactly the keys this finds no problem with. */
export function brokerKeyProblem(raw: string | undefined): string | null {
  if (raw === undefined) return "the broker key is not set";
  const key = raw.trim().toLowerCase();
  if (key === "") return "the broker key is empty";
  if (!BROKER_KEY_RE.test(key)) return `the broker key ${JSON.stringify(key)} is not 1-64 of a-z, 0-9, "_" and "-"`;
  return null;
}

/**
 * A broker key as Vibe-Trading normalizes it: trimmed and lower-cased, then
 * held to BROKER_KEY_RE (a key is never a path): null when it fails.
 * Callers treat null as "halted" (fail closed), as Vibe-Trading does.
 */
export function normalizeBrokerKey(raw: string | undefined): string | null {
  if (raw === undefined || brokerKeyProblem(raw) !== null) return null;
  return raw.trim().toLowerCase();
}

/** Every state file for one broker under one runtime root. */
export interface RuntimePaths {
  root: string;
  live: string;
  globalHalt: string;
  brokerHalt: string;
  brokerDir: string;
  mandate: string;
  counter: string;
  lock: string;
  /** Our write-ahead journal of orders about to be sent. */
  journal: string;
  /** Our approval requests, one apr_<32 hex>.json each. */
  approvals: string;
  audit: string;
  auditChain: string;
  /** Our record of the chain tip we last wrote (seq and record_hash), next to the chain. */
  auditTip: string;
  /** The normalized broker key. */
  broker: string;
}

/**
 * The paths for `broker` under `root`. The key is normalized first; an
 * invalid key throws StateError (there is no directory for it, and the caller
 * must refuse to trade rather than guess one).
 */
export function runtimePaths(root: string, broker: string): RuntimePaths {
  const key = normalizeBrokerKey(broker);
  if (key === null) throw new StateError(`invalid broker key ${JSON.stringify(broker)}: trading stays halted`);
  const live = join(root, "live");
  const brokerDir = join(live, key);
  return Object.freeze({
    root,
    live,
    globalHalt: join(live, "HALT"),
    brokerHalt: join(brokerDir, "HALT"),
    brokerDir,
    mandate: join(brokerDir, "mandate.json"),
    counter: join(brokerDir, "trade_counter.json"),
    lock: join(brokerDir, ".order_submit.lock"),
    journal: join(brokerDir, "inflight.jsonl"),
    approvals: join(brokerDir, "approvals"),
    audit: join(live, "audit.jsonl"),
    auditChain: join(live, "audit_chain.jsonl"),
    auditTip: join(live, ".audit_chain_tip.json"),
    broker: key,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}
