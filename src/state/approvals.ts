/**
 * The approvals store: one file per request, live/<broker>/approvals/
 * apr_<32 hex>.json (0600, temp + rename), kept with its final status.
 *
 * A quantitative pause creates a request; only a person moves it to
 * approved or rejected (the CLI or the console, never the MCP surface); the
 * identical retry consumes it once. Every transition re-reads the file under
 * one flock for the directory, because another process (the console, a
 * second server, a CLI) may have decided or consumed it a moment ago: two
 * racers cannot both win. The lock is held for a read and a rename only, so
 * one lock for the directory costs nothing and avoids the inode dance a lock
 * on the renamed file itself would need.
 *
 * Reading fails closed: an unreadable, oversized, non-regular or malformed
 * file, or one whose order no longer matches its order_hash, is no request
 * at all (get() returns null). This module imports only the state layer and
 * errors, so child-process tests can load it compiled on its own.
 */
import { createHash, randomBytes } from "node:crypto";
import { openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fsExt from "fs-ext";
import { ApprovalError, LockError, StateError } from "../errors.js";
import { atomicWriteFile, closeQuietly, ensureDir, errCode, sleepSync, tryFlockExclusive } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { canonicalJson } from "./pyjson.js";
import { readStateFile } from "./read-file.js";

export type ApprovalStatus = "pending" | "approved" | "rejected" | "consumed" | "expired";
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ["pending", "approved", "rejected", "consumed", "expired"];

/** What the user approves, normalized. */
export interface ApprovalOrder {
  tool: "place_order" | "amend_order";
  /** bybit_place_order | bybit_amend_order */
  remote_tool: string;
  /** The exact Bybit request body WITHOUT orderLinkId (a retry gets a new one). */
  body: Record<string, unknown>;
}

export interface ApprovalBreach {
  limit: string;
  kind: string;
  limit_value: number | string | null;
  attempted_value: number | string | null;
  detail: string;
}

export interface ApprovalRequest {
  /** "apr_" + 32 hex */
  id: string;
  broker: string;
  /** As stored, except a pending/approved request past expires_at READS as "expired". */
  status: ApprovalStatus;
  /** ISO UTC with Z */
  created_at: string;
  expires_at: string;
  /** The paused decision. */
  decision_id: string;
  /** "buy $1,250.00 BTCUSDT (linear)" */
  intent_normalized: string;
  /** The pause's one sentence. */
  reason: string;
  order: ApprovalOrder;
  /** sha256 hex of canonicalJson(order) */
  order_hash: string;
  /** What the user saw (at least the deciding breach). */
  breaches: ApprovalBreach[];
  /** "1" by default */
  price_tolerance_pct: string;
  decided_at?: string;
  decided_by?: "cli" | "console";
  decided_note?: string;
  consumed_at?: string;
  /** The decision_id that used it. */
  consumed_by?: string;
}

export type ApprovalInput = Omit<ApprovalRequest, "id" | "status" | "created_at" | "expires_at" | "order_hash" | "broker">;

export const DEFAULT_APPROVAL_TTL_MS = 600_000;
export const APPROVAL_ID_RE = /^apr_[0-9a-f]{32}$/;
/** A request is a few KB; anything far larger is not one of ours. */
const MAX_FILE_BYTES = 256 * 1024;
const MAX_NOTE_CHARS = 500;
/** The directory lock is held for microseconds; waiting this long means something is wrong. */
const LOCK_TIMEOUT_MS = 5_000;

/** sha256 hex of canonicalJson(order): what the retry must match exactly. */
export function orderHash(order: ApprovalOrder): string {
  return createHash("sha256").update(canonicalJson({ tool: order.tool, remote_tool: order.remote_tool, body: order.body }), "utf8").digest("hex");
}

export class ApprovalStore {
  private readonly dir: string;
  private readonly lockFile: string;
  private readonly ttlMs: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly paths: RuntimePaths,
    opts: { ttlMs?: number; nowMs?: () => number } = {},
  ) {
    this.dir = paths.approvals;
    this.lockFile = join(paths.approvals, ".approvals.lock");
    this.ttlMs = opts.ttlMs ?? DEFAULT_APPROVAL_TTL_MS;
    this.nowMs = opts.nowMs ?? Date.now;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= 0) throw new StateError(`approval TTL must be positive, not ${this.ttlMs} ms`);
  }

  /** Record a new pending request; writes approvals/apr_x.json 0600 atomically. StateError when it cannot be written. */
  create(input: ApprovalInput): ApprovalRequest {
    const request = newApprovalRequest(input, this.paths.broker, this.nowMs(), this.ttlMs);
    this.write(request);
    return request;
  }

  /** The request as it reads now, or null for an unknown, malformed or unreadable one (the id is never a path). */
  get(id: string): ApprovalRequest | null {
    const stored = this.readStored(id);
    return stored && effectiveRequest(stored, this.nowMs());
  }

  /** Every readable request, newest first; with `status`, only those that read as it. */
  list(opts: { status?: ApprovalStatus } = {}): ApprovalRequest[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if (errCode(err) === "ENOENT") return [];
      throw new StateError(`cannot list ${this.dir} (${errCode(err) ?? String(err)})`, this.dir, err);
    }
    const out: ApprovalRequest[] = [];
    for (const name of names) {
      const m = /^(apr_[0-9a-f]{32})\.json$/.exec(name);
      const r = m ? this.get(m[1]!) : null;
      if (r && (opts.status === undefined || r.status === opts.status)) out.push(r);
    }
    return out.sort(newestFirst);
  }

  /**
   * A person's verdict: only a pending, unexpired request; else ApprovalError
   * with a clear sentence. `seenOrderHash`, when given, is the order_hash of
   * what the person was shown: a file that changed since then is refused.
   */
  decide(id: string, verdict: "approved" | "rejected", by: "cli" | "console", note?: string, seenOrderHash?: string): ApprovalRequest {
    return this.transition(id, decideStep(verdict, by, note, seenOrderHash));
  }

  /** Use an approved, unexpired request once for `decisionId`; else ApprovalError. The caller holds the order lock. */
  consume(id: string, decisionId: string): ApprovalRequest {
    return this.transition(id, consumeStep(decisionId));
  }

  /**
   * Read the file on disk under the directory lock, refuse unknown and
   * expired requests (an expiry seen here is written down, so the file keeps
   * its final status), apply `step`, write the result.
   */
  private transition(id: string, step: Step): ApprovalRequest {
    checkApprovalId(id);
    return this.locked(() => {
      const t = applyTransition(id, this.paths.broker, this.readStored(id), this.nowMs(), step);
      if (t.write) this.write(t.write);
      if (t.error) throw t.error;
      return t.write as ApprovalRequest;
    });
  }

  private readStored(id: string): ApprovalRequest | null {
    if (!APPROVAL_ID_RE.test(id)) return null;
    const read = readStateFile(this.file(id), { maxBytes: MAX_FILE_BYTES });
    if (!read.ok) return null;
    let value: unknown;
    try {
      value = JSON.parse(read.bytes.toString("utf8"));
    } catch {
      return null;
    }
    return parseStoredRequest(value, id, this.paths.broker);
  }

  private write(r: ApprovalRequest): void {
    const file = this.file(r.id);
    try {
      ensureDir(this.dir);
      atomicWriteFile(file, `${JSON.stringify(r, null, 2)}\n`);
    } catch (err) {
      throw new StateError(`cannot write ${file} (${errCode(err) ?? String(err)})`, file, err);
    }
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private locked<T>(fn: () => T): T {
    let fd: number;
    try {
      ensureDir(this.dir);
      fd = openSync(this.lockFile, "a+", 0o600);
    } catch (err) {
      throw new LockError(`cannot open the approvals lock for broker ${this.paths.broker}: ${errCode(err) ?? String(err)}`, this.lockFile);
    }
    try {
      const start = Date.now();
      for (;;) {
        let got: boolean;
        try {
          got = tryFlockExclusive(fd);
        } catch (err) {
          throw new LockError(`cannot take the approvals lock for broker ${this.paths.broker}: ${errCode(err) ?? String(err)}`, this.lockFile);
        }
        if (got) break;
        if (Date.now() - start >= LOCK_TIMEOUT_MS) throw new LockError(`the approvals lock for broker ${this.paths.broker} stayed held for ${LOCK_TIMEOUT_MS} ms`, this.lockFile);
        sleepSync(2);
      }
      try {
        return fn();
      } finally {
        try {
          fsExt.flockSync(fd, "un");
        } catch {
          // closing the descriptor releases it anyway
        }
      }
    } finally {
      closeQuietly(fd);
    }
  }
}

/** The approvals behind an async interface, for either backend (files here, PostgreSQL in state/pg/). */
export interface ApprovalsStore {
  create(input: ApprovalInput): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | null>;
  list(opts?: { status?: ApprovalStatus }): Promise<ApprovalRequest[]>;
  decide(id: string, verdict: "approved" | "rejected", by: "cli" | "console", note?: string, seenOrderHash?: string): Promise<ApprovalRequest>;
  consume(id: string, decisionId: string): Promise<ApprovalRequest>;
}

/** The file store behind the async interface. */
export function asyncApprovals(store: ApprovalStore): ApprovalsStore {
  const wrap = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));
  return {
    create: (input) => wrap(() => store.create(input)),
    get: (id) => wrap(() => store.get(id)),
    list: (opts) => wrap(() => store.list(opts)),
    decide: (id, verdict, by, note, seen) => wrap(() => store.decide(id, verdict, by, note, seen)),
    consume: (id, decisionId) => wrap(() => store.consume(id, decisionId)),
  };
}

type Step = (r: ApprovalRequest, now: number) => ApprovalRequest;

/** A new pending request (the pure half of create). StateError when the input is incomplete. */
export function newApprovalRequest(input: ApprovalInput, broker: string, now: number, ttlMs: number): ApprovalRequest {
  const order = checkOrder(input.order);
  const request: ApprovalRequest = {
    id: `apr_${randomBytes(16).toString("hex")}`,
    broker,
    status: "pending",
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + ttlMs).toISOString(),
    decision_id: input.decision_id,
    intent_normalized: input.intent_normalized,
    reason: input.reason,
    order,
    order_hash: orderHash(order),
    breaches: input.breaches.map((b) => ({ ...b })),
    price_tolerance_pct: input.price_tolerance_pct,
  };
  if (!isRequest(request)) throw new StateError("approval request input is incomplete (decision_id, intent, reason, breaches and tolerance are required)");
  return request;
}

/** A pending or approved request past its expiry reads as expired. */
export function effectiveRequest(r: ApprovalRequest, now: number): ApprovalRequest {
  if ((r.status === "pending" || r.status === "approved") && now >= Date.parse(r.expires_at)) return { ...r, status: "expired" };
  return r;
}

/** A stored value as a request of this id and broker, or null (malformed, or its order hand-edited since the pause). */
export function parseStoredRequest(value: unknown, id: string, broker: string): ApprovalRequest | null {
  if (!isRequest(value) || value.id !== id || value.broker !== broker) return null;
  if (orderHash(value.order) !== value.order_hash) return null;
  return value;
}

export function checkApprovalId(id: string): void {
  if (!APPROVAL_ID_RE.test(id)) throw new ApprovalError(`${JSON.stringify(id)} is not an approval id (apr_ and 32 hex digits)`, id, "unknown");
}

/**
 * One transition on the request as stored now (read under the lock the
 * caller holds): what to write (an expiry seen is written down too) and the
 * refusal to throw after writing, if any.
 */
export function applyTransition(id: string, broker: string, stored: ApprovalRequest | null, now: number, step: Step): { write?: ApprovalRequest; error?: ApprovalError } {
  if (!stored) return { error: new ApprovalError(`there is no approval request ${id} for broker ${broker}`, id, "unknown") };
  if (effectiveRequest(stored, now).status === "expired") {
    return { write: stored.status !== "expired" ? { ...stored, status: "expired" } : undefined, error: new ApprovalError(`${id} expired at ${stored.expires_at}`, id, "expired") };
  }
  try {
    return { write: step(stored, now) };
  } catch (err) {
    if (err instanceof ApprovalError) return { error: err };
    throw err;
  }
}

/** A person's verdict: only on a pending request still holding the order they were shown. */
export function decideStep(verdict: "approved" | "rejected", by: "cli" | "console", note?: string, seenOrderHash?: string): Step {
  return (r, now) => {
    if (r.status !== "pending") throw new ApprovalError(`${r.id} was already ${pastTense(r)}; nothing was changed`, r.id, r.status);
    if (seenOrderHash !== undefined && seenOrderHash !== r.order_hash) {
      throw new ApprovalError(`${r.id} no longer holds the order you were shown; nothing was changed`, r.id, r.status);
    }
    const next: ApprovalRequest = { ...r, status: verdict, decided_at: new Date(now).toISOString(), decided_by: by };
    if (note !== undefined && note.trim() !== "") next.decided_note = note.trim().slice(0, MAX_NOTE_CHARS);
    return next;
  };
}

/** Used once, by `decisionId`: only an approved request. */
export function consumeStep(decisionId: string): Step {
  return (r, now) => {
    if (r.status === "pending") throw new ApprovalError(`${r.id} has not been approved yet`, r.id, r.status);
    if (r.status !== "approved") throw new ApprovalError(`${r.id} was already ${pastTense(r)}`, r.id, r.status);
    return { ...r, status: "consumed", consumed_at: new Date(now).toISOString(), consumed_by: decisionId };
  };
}

/** Newest first. */
export function newestFirst(a: ApprovalRequest, b: ApprovalRequest): number {
  return a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1;
}

function pastTense(r: ApprovalRequest): string {
  if (r.status === "consumed") return `used${r.consumed_by ? ` by ${r.consumed_by}` : ""}`;
  return r.status;
}

function checkOrder(order: ApprovalOrder): ApprovalOrder {
  if (!isOrder(order)) throw new StateError("an approval's order needs tool place_order|amend_order, a remote_tool and a body object");
  // The retry carries a fresh orderLinkId; a hash over the old one could never match.
  if ("orderLinkId" in order.body) throw new StateError("an approval's order body must not carry orderLinkId (the retry gets a new one)");
  return { tool: order.tool, remote_tool: order.remote_tool, body: structuredClone(order.body) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isIso = (v: unknown): v is string => isStr(v) && /Z$/.test(v) && Number.isFinite(Date.parse(v));
const isValue = (v: unknown) => v === null || isStr(v) || (typeof v === "number" && Number.isFinite(v));

function isOrder(v: unknown): v is ApprovalOrder {
  return isObject(v) && (v.tool === "place_order" || v.tool === "amend_order") && isStr(v.remote_tool) && v.remote_tool !== "" && isObject(v.body);
}

function isBreach(v: unknown): v is ApprovalBreach {
  return isObject(v) && isStr(v.limit) && isStr(v.kind) && isValue(v.limit_value) && isValue(v.attempted_value) && isStr(v.detail);
}

function isRequest(v: unknown): v is ApprovalRequest {
  if (!isObject(v)) return false;
  const optStr = (k: string) => v[k] === undefined || isStr(v[k]);
  const optIso = (k: string) => v[k] === undefined || isIso(v[k]);
  return (
    isStr(v.id) &&
    APPROVAL_ID_RE.test(v.id) &&
    isStr(v.broker) &&
    APPROVAL_STATUSES.includes(v.status as ApprovalStatus) &&
    isIso(v.created_at) &&
    isIso(v.expires_at) &&
    isStr(v.decision_id) &&
    v.decision_id !== "" &&
    isStr(v.intent_normalized) &&
    isStr(v.reason) &&
    isOrder(v.order) &&
    isStr(v.order_hash) &&
    /^[0-9a-f]{64}$/.test(v.order_hash) &&
    Array.isArray(v.breaches) &&
    v.breaches.length > 0 &&
    v.breaches.every(isBreach) &&
    isStr(v.price_tolerance_pct) &&
    /^\d+(\.\d+)?$/.test(v.price_tolerance_pct) &&
    optIso("decided_at") &&
    (v.decided_by === undefined || v.decided_by === "cli" || v.decided_by === "console") &&
    optStr("decided_note") &&
    optIso("consumed_at") &&
    optStr("consumed_by")
  );
}
