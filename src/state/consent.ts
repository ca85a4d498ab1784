/**
 * The mandate writer: commits a mandate the way Vibe-Trading's
 * live/mandate/commit.py does, so either program can load what the other
 * wrote (layout and formula: shared/reference/vibe-trading-compat.md,
 * "Mandate commit"):
 *
 *   1. live/<broker>/consent/cr_<32 hex>.json — the consent record, first:
 *      evidence before authority, so no mandate exists without its record;
 *   2. live/<broker>/mandate.json — temp file, fsync, rename, mode 0600;
 *   3. a `mandate_committed` record in the audit ledger.
 *
 * Everything runs under the broker's order lock, which both programs hold
 * around check + submit. No order is checked while the mandate is swapped,
 * and two commits cannot both pass the "is one already in force?" check. If
 * the ledger refuses the record, the previous mandate.json is put back
 * before the lock is released: no order ever sees an unaudited mandate.
 *
 * This is not reachable from the MCP surface: only the CLI (and later the
 * console, behind its own session) calls commitMandate.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { AuditError, StateError, type FieldProblem } from "../errors.js";
import { formatValue } from "../gate/format.js";
import { validateMandate } from "../gate/mandate.js";
import { loadMandate } from "./mandate-file.js";
import { parseIsoTimestamp } from "../gate/time.js";
import type { Mandate, MandateLoad } from "../gate/types.js";
import type { AuditInput, AuditLedger, AuditRecord } from "./audit.js";
import { atomicWriteFile, ensureDir, errCode } from "./fsio.js";
import { withOrderLock } from "./lock.js";
import type { RuntimePaths } from "./paths.js";
import { pyDumps, PyFloat } from "./pyjson.js";

/** Vibe-Trading's default mandate lifetime (commit.py DEFAULT_MANDATE_LIFETIME_DAYS). */
export const DEFAULT_LIFETIME_DAYS = 30;
export const MAX_LIFETIME_DAYS = 366;
const DAY_MS = 86_400_000;

/** What the user agrees to: the mandate without its consent block and ids. */
export interface MandateTerms {
  hard_caps: Mandate["hard_caps"];
  universe: Mandate["universe"];
  flatten_on_halt: boolean;
  /** Kept on renew when the mandate has it (a newer Vibe-Trading writes it). */
  option_limits?: Mandate["option_limits"];
}

export interface CommitOptions {
  /** Lifetime in whole days, 1..MAX_LIFETIME_DAYS. */
  days: number;
  /** "init" or "renew": recorded in the consent record and the ledger. */
  action: "init" | "renew";
  /** Overwrite a mandate that is still in force (or unreadable). */
  replace?: boolean;
  /** Commit only if the mandate on disk is still this one (renew: the caps the user saw). */
  expectMandateId?: string;
  sessionId: string;
  /** Opaque account reference (never a credential); Vibe-Trading writes "". */
  accountRef?: string;
  /** Who asked: "cli" or "console"; the ledger's remote_tool. */
  source: string;
  ledger: AuditLedger;
  nowMs?: number;
  lockTimeoutMs?: number;
}

export type CommitOutcome =
  | {
      status: "committed";
      mandateId: string;
      consentRecordId: string;
      consentFile: string;
      mandateFile: string;
      createdAt: string;
      expiresAt: string;
      consentTokenSha256: string;
      /** The mandate this one replaced, when one was on disk. */
      replacedMandateId: string | null;
      mandate: Mandate;
      record: AuditRecord;
    }
  | {
      status: "refused";
      /** exists: one is in force (or unreadable) and replace was not given; changed: expectMandateId no longer matches; invalid: the terms do not make a valid mandate. */
      code: "exists" | "changed" | "invalid";
      reason: string;
      problems?: FieldProblem[];
    };

/**
 * Commit `terms` as the broker's mandate. Refusals come back as data; I/O
 * failures throw (StateError for the files, AuditError when the ledger
 * refused — the previous mandate is then restored — LockError when an order
 * held the lock past lockTimeoutMs).
 */
export async function commitMandate(paths: RuntimePaths, terms: MandateTerms, opts: CommitOptions): Promise<CommitOutcome> {
  const nowMs = opts.nowMs ?? Date.now();
  const plan = planCommit(paths.broker, terms, { ...opts, nowMs });
  if (plan.status === "refused") return plan;

  return withOrderLock(paths, { timeoutMs: opts.lockTimeoutMs ?? 10_000 }, async () => {
    const current = currentMandate(paths, nowMs);
    const refused = commitRefusal(current, opts);
    if (refused) return refused;

    const consentDir = join(paths.brokerDir, "consent");
    const consentFile = join(consentDir, `${plan.ids.consentRecordId}.json`);
    write(consentDir, consentFile, plan.consentRecord(current.id));
    write(paths.brokerDir, paths.mandate, plan.document);
    let audit: AuditRecord;
    try {
      audit = opts.ledger.append(plan.ledgerInput(current.id));
    } catch (err) {
      const restored = restore(paths.mandate, current.bytes);
      const msg = err instanceof Error ? err.message.replace(/\.$/, "") : String(err);
      throw new AuditError(
        restored
          ? `${msg}; the mandate on disk was left as it was`
          : `${msg}; and ${paths.mandate} could not be put back, so an unaudited mandate may be in force: run 'bybit-mcp halt' and check the file`,
        err,
      );
    }
    return plan.committed({ consentFile, mandateFile: paths.mandate, replacedMandateId: current.id, record: audit });
  });
}

/** A commit worked out before anything is written: the same for the files and the database. */
export interface CommitPlan {
  status: "planned";
  ids: { mandateId: string; consentRecordId: string; proposalId: string };
  /** mandate.json's content, floats as commit.py writes them (serialise with pyDumps). */
  document: Record<string, unknown>;
  consentRecord(replaced: string | null): Record<string, unknown>;
  ledgerInput(replaced: string | null): AuditInput;
  committed(where: { consentFile: string; mandateFile: string; replacedMandateId: string | null; record: AuditRecord }): CommitOutcome;
}

/** Ids, times, the mandate document and its consent record for `terms`; a refusal when they make no valid mandate. */
export function planCommit(broker: string, terms: MandateTerms, opts: Omit<CommitOptions, "ledger"> & { nowMs: number }): CommitPlan | Extract<CommitOutcome, { status: "refused" }> {
  const nowMs = opts.nowMs;
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > MAX_LIFETIME_DAYS) {
    return { status: "refused", code: "invalid", reason: `the lifetime must be a whole number of days from 1 to ${MAX_LIFETIME_DAYS}, not ${opts.days}` };
  }
  const ids = { mandateId: newId("mandate"), consentRecordId: newId("cr"), proposalId: newId("mp") };
  const createdAt = pythonIsoUtc(nowMs);
  const expiresAt = pythonIsoUtc(nowMs + opts.days * DAY_MS);
  const accountRef = opts.accountRef ?? "";
  // There is no proposal step here: the summary the user confirmed is the one
  // profile on offer, so it gets a proposal id and ordinal 1 for the formula.
  const consentTokenSha256 = consentToken(ids.proposalId, 1, ids.consentRecordId, createdAt);
  const doc: Record<string, unknown> = {
    schema_version: 1,
    mandate_id: ids.mandateId,
    hard_caps: terms.hard_caps,
    universe: terms.universe,
    ...(terms.option_limits !== undefined ? { option_limits: terms.option_limits } : {}),
    flatten_on_halt: terms.flatten_on_halt,
    consent: { created_at: createdAt, consent_token_sha256: consentTokenSha256, broker, account_ref: accountRef, expires_at: expiresAt },
  };
  const valid = validateMandate(doc, { brokerKey: broker });
  if (!valid.ok) return { status: "refused", code: "invalid", reason: valid.reason, problems: valid.problems };
  return {
    status: "planned",
    ids,
    document: pythonFloats(doc),
    consentRecord: (replaced) => consentRecord(ids, terms, { ...opts, broker, accountRef, createdAt, expiresAt, replaced }),
    ledgerInput: (replaced) => ({
      kind: "mandate_committed",
      session_id: opts.sessionId,
      intent_normalized: describeTerms(terms, opts.days, opts.action),
      mandate_snapshot_ref: consentTokenSha256,
      consent_record_ref: accountRef,
      broker_request: null,
      broker_response: null,
      outcome: "accepted",
      // Not a gate decision: Vibe-Trading writes null for events that are not orders.
      gate_decision: null,
      server: broker,
      remote_tool: opts.source,
      error: null,
      extra: { mandate_id: ids.mandateId, consent_record_id: ids.consentRecordId, action: opts.action, created_at: createdAt, expires_at: expiresAt, replaced_mandate_id: replaced },
    }),
    committed: (where) => ({ status: "committed", ...ids, createdAt, expiresAt, consentTokenSha256, mandate: valid.mandate, ...where }),
  };
}

/** Whether the mandate in force now stops this commit (expectMandateId changed, or one in force without replace). */
export function commitRefusal(current: { id: string | null; blocking: string | null }, opts: Pick<CommitOptions, "expectMandateId" | "replace">): Extract<CommitOutcome, { status: "refused" }> | null {
  if (opts.expectMandateId !== undefined && current.id !== opts.expectMandateId) {
    return { status: "refused", code: "changed", reason: `the mandate in force is no longer ${opts.expectMandateId} (now ${current.id ?? "none"}); nothing was written` };
  }
  if (current.blocking && !opts.replace) return { status: "refused", code: "exists", reason: current.blocking };
  return null;
}

/** Why a loaded mandate blocks a new commit: in force, or present but not valid. */
export function blockingOf(load: MandateLoad, where: string, nowMs: number): { id: string | null; blocking: string | null } {
  if (!load.ok) return { id: null, blocking: `${where} holds a mandate that is not valid (${load.reason.replace(/^no valid mandate: /, "").replace(/\.$/, "")})` };
  const id = load.mandate.mandate_id ?? null;
  const expires = parseIsoTimestamp(load.mandate.consent.expires_at);
  if (expires !== null && nowMs >= expires) return { id, blocking: null };
  return { id, blocking: `a mandate${id ? ` (${id})` : ""} is in force until ${load.mandate.consent.expires_at}` };
}

/** Vibe-Trading's consent_token_sha256: sha256 of "{proposal_id}|{ordinal}|{consent_record_id}|{created_iso}". */
export function consentToken(proposalId: string, ordinal: number, consentRecordId: string, createdIso: string): string {
  return createHash("sha256").update(`${proposalId}|${ordinal}|${consentRecordId}|${createdIso}`, "utf8").digest("hex");
}

/** UTC time as Python's datetime.isoformat() prints it, "+00:00" as "Z": microseconds, omitted when zero. */
export function pythonIsoUtc(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-06-01T12:00:00.123Z
  const frac = iso.slice(20, 23);
  return frac === "000" ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${frac}000Z`;
}

/** Read the consent record of `mandateId` from live/<broker>/consent/, or null when none is found. */
export function findConsentRecord(paths: RuntimePaths, mandateId: string): { file: string; record: Record<string, unknown> } | null {
  const dir = join(paths.brokerDir, "consent");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^cr_[0-9a-f]{32}\.json$/.test(n));
  } catch {
    return null;
  }
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown;
      if (record && typeof record === "object" && (record as { mandate_id?: unknown }).mandate_id === mandateId) {
        return { file: join(dir, name), record: record as Record<string, unknown> };
      }
    } catch {
      // an unreadable record is not this mandate's evidence
    }
  }
  return null;
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString("hex")}`;
}

/**
 * What is on disk now: its id, its bytes (to restore), and why it blocks a
 * commit without replace — in force, or present but unreadable (it may be a
 * Vibe-Trading mandate of a newer schema; never destroy it silently).
 */
export function currentMandate(paths: RuntimePaths, nowMs: number): { id: string | null; bytes: Buffer | null; blocking: string | null } {
  if (!existsSync(paths.mandate)) return { id: null, bytes: null, blocking: null };
  let bytes: Buffer;
  try {
    bytes = readFileSync(paths.mandate);
  } catch (err) {
    throw new StateError(`cannot read ${paths.mandate} (${errCode(err) ?? String(err)})`, paths.mandate, err);
  }
  const load = loadMandate(paths.mandate, { brokerKey: paths.broker });
  if (!load.ok) return { id: rawId(bytes), bytes, blocking: `${paths.mandate} exists but is not a valid mandate (${load.reason.replace(/^no valid mandate: /, "").replace(/\.$/, "")})` };
  const id = load.mandate.mandate_id ?? null;
  const expires = parseIsoTimestamp(load.mandate.consent.expires_at);
  if (expires !== null && nowMs >= expires) return { id, bytes, blocking: null };
  return { id, bytes, blocking: `a mandate${id ? ` (${id})` : ""} is in force until ${load.mandate.consent.expires_at}` };
}

function rawId(bytes: Buffer): string | null {
  try {
    const id = (JSON.parse(bytes.toString("utf8")) as { mandate_id?: unknown }).mandate_id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

function write(dir: string, file: string, value: unknown): void {
  try {
    ensureDir(dir);
    // One line, json.dumps(payload, ensure_ascii=False) as commit.py writes it.
    atomicWriteFile(file, pyDumps(value));
  } catch (err) {
    throw new StateError(`cannot write ${file} (${errCode(err) ?? String(err)}); no new mandate is in force`, file, err);
  }
}

/** Put the previous mandate back (or remove the new one); false when that failed too. */
function restore(file: string, bytes: Buffer | null): boolean {
  try {
    if (bytes === null) unlinkSync(file);
    else atomicWriteFile(file, bytes.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

/** The consent record, in commit.py's keys and order; ours (source, action, replaces) follow. */
function consentRecord(
  ids: { mandateId: string; consentRecordId: string; proposalId: string },
  terms: MandateTerms,
  o: Omit<CommitOptions, "ledger"> & { broker: string; accountRef: string; createdAt: string; expiresAt: string; replaced: string | null },
): Record<string, unknown> {
  const c = terms.hard_caps;
  const u = terms.universe;
  return {
    consent_record_id: ids.consentRecordId,
    mandate_id: ids.mandateId,
    proposal_id: ids.proposalId,
    selected_ordinal: 1,
    adjustments: null,
    consent_ack: true,
    session_id: o.sessionId,
    broker: o.broker,
    account_ref: o.accountRef,
    // Vibe-Trading's profile spelling (max_order_usd, daily_trade_cap, leverage, instruments).
    resolved_profile: floats(["account_funding_usd", "max_order_usd", "max_total_exposure_usd", "leverage", "min_market_cap_usd", "min_avg_daily_volume_usd"], {
      ordinal: 1,
      account_funding_usd: c.account_funding_usd,
      max_order_usd: c.max_order_notional_usd,
      max_total_exposure_usd: c.max_total_exposure_usd,
      leverage: c.max_leverage,
      instruments: c.allowed_instruments,
      daily_trade_cap: c.max_trades_per_day,
      asset_classes: u.asset_classes,
      min_market_cap_usd: u.min_market_cap_usd,
      min_avg_daily_volume_usd: u.min_avg_daily_volume_usd,
      exclude_symbols: u.exclude_symbols,
      flatten_on_halt: terms.flatten_on_halt,
    }),
    flatten_on_halt: terms.flatten_on_halt,
    ceilings_ref: null,
    created_at: o.createdAt,
    expires_at: o.expiresAt,
    source: `bybit-mcp ${o.source}`,
    action: o.action,
    lifetime_days: o.days,
    replaces_mandate_id: o.replaced,
  };
}

/**
 * The mandate with its dollar caps, leverage and floors as Python floats
 * (`5000.0`), as commit.py writes them (float(...)); the trade cap stays an
 * integer. Both parse to the same numbers; the file just reads like theirs.
 */
function pythonFloats(doc: Record<string, unknown>): Record<string, unknown> {
  return {
    ...doc,
    hard_caps: floats(["account_funding_usd", "max_order_notional_usd", "max_total_exposure_usd", "max_leverage"], doc.hard_caps as Record<string, unknown>),
    universe: floats(["min_market_cap_usd", "min_avg_daily_volume_usd"], doc.universe as Record<string, unknown>),
  };
}

function floats(keys: string[], obj: Record<string, unknown>): Record<string, unknown> {
  const out = { ...obj };
  for (const k of keys) if (typeof out[k] === "number") out[k] = new PyFloat(out[k]);
  return out;
}

/** One line for the ledger timeline, e.g. "renew mandate for 30 days: funding $5000, max order $500, ...". */
function describeTerms(terms: MandateTerms, days: number, action: "init" | "renew"): string {
  const c = terms.hard_caps;
  const u = terms.universe;
  const ex = u.exclude_symbols.length > 0 ? `, excluding ${u.exclude_symbols.join(",")}` : "";
  return (
    `${action === "init" ? "commit" : "renew"} mandate for ${days} day${days === 1 ? "" : "s"}: funding ${formatValue(c.account_funding_usd, "usd")}, ` +
    `max order ${formatValue(c.max_order_notional_usd, "usd")}, max exposure ${formatValue(c.max_total_exposure_usd, "usd")}, max leverage ${formatValue(c.max_leverage, "ratio")}, ` +
    `${c.max_trades_per_day} trades/day, instruments ${c.allowed_instruments.join(",") || "none"}, asset classes ${u.asset_classes.join(",") || "none"}${ex}`
  );
}
