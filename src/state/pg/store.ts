/**
 * The shared state on PostgreSQL (BYBIT_MCP_STATE=postgres://…): one
 * mandate, one counter, one ledger, one journal, one set of approvals and
 * one kill switch for every host that trades one broker.
 *
 *  - Order lock: a transaction holding pg_advisory_xact_lock(order, broker)
 *    for the whole batch, decision to count to send to record, as the file
 *    flock is. Its connection is watched: once it drops, the lock may be
 *    another host's, so lock.held() turns false and the last check before
 *    the wire refuses. When the runtime root exists on this host the local
 *    flock is taken too, so a files-backed server (or Vibe-Trading) on the
 *    same host cannot trade alongside unknowingly.
 *  - Counter, journal, approvals: rows written in their own committed
 *    statements (the journal entry is committed before the send).
 *    Approvals move under SELECT … FOR UPDATE, so of two racing consumers
 *    one wins.
 *  - Ledger: appended under pg_advisory_xact_lock(ledger, broker), with the
 *    same record lines and the same chain as the files.
 *  - HALT and the mandate: rows, and a LISTEN connection keeps what the
 *    last check reads synchronously (halt.current(), mandate.sha()) current
 *    within milliseconds. While that connection is down, both fail closed:
 *    the halt reads as tripped, the mandate as unknown.
 *
 * A database that cannot be reached refuses every write with one sentence
 * naming it; nothing here is ever retried blindly. `pg` is loaded on first
 * use, so the files backend never pays for it.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Pool, PoolClient, Client, Notification, QueryConfig } from "pg";
import { AuditError, LockError, StateError, errorMessage } from "../../errors.js";
import { mandateFailure, validateMandate } from "../../gate/mandate.js";
import type { HaltState } from "../../gate/types.js";
import { buildRecord, type AuditInput, type AuditRecord, type VerifyResult } from "../audit.js";
import { GENESIS, recordHash, walkChain } from "../chain.js";
import { blockingOf, commitRefusal, planCommit, type CommitOptions, type CommitOutcome, type MandateTerms } from "../consent.js";
import { readHalt, isHalted, pyIsoformatUtc } from "../halt.js";
import type { JournalClose, JournalEntry, JournalOpen } from "../journal.js";
import { withOrderLock } from "../lock.js";
import type { RuntimePaths } from "../paths.js";
import { pyDumps } from "../pyjson.js";
import { applyTransition, checkApprovalId, consumeStep, decideStep, effectiveRequest, newApprovalRequest, newestFirst, parseStoredRequest, type ApprovalInput, type ApprovalRequest, type ApprovalsStore, type ApprovalStatus, DEFAULT_APPROVAL_TTL_MS } from "../approvals.js";
import { LOCK, MIGRATIONS } from "./migrations.js";
import type { MandateRead, Stores, JournalStore } from "../../trading/stores.js";
import type { Logger } from "../../log.js";

export interface PgOptions {
  url: string;
  /** For messages: the URL without its password. */
  safeUrl: string;
  broker: string;
  /** The runtime root's paths for this broker: the local flock and local HALT are honoured when the root exists. */
  paths: RuntimePaths;
  runtimeRoot: string;
  extraSecrets: string[];
  approvalTtlMs?: number;
  logger?: Logger;
  /** How long one query may take before it counts as failed (a hung connection). */
  queryTimeoutMs?: number;
}

type Scope = "global" | "broker";
const CHANNEL = "bybit_mcp_state";

interface Listening {
  healthy: boolean;
  /** halt rows by scope key ("global", "broker:<key>") → body */
  halts: Map<string, string>;
  /** sha256 of the mandate in force for this broker, null when none is committed. */
  mandateSha: string | null;
}

/** The shared state for one broker. Build with openPgState; close() when done. */
export class PgState {
  private pool: Pool | null = null;
  private listener: Client | null = null;
  private ready: Promise<void> | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly listening: Listening = { healthy: false, halts: new Map(), mandateSha: null };
  /** The lock connection of the batch in progress, and whether it dropped. */
  private lockConn: { lost: boolean } | null = null;
  private lastSeq = 0;
  private everListened = false;

  constructor(readonly opts: PgOptions) {}

  get broker(): string {
    return this.opts.broker;
  }

  /** Connect, apply migrations and start listening; idempotent. Rejects with a StateError naming the database. */
  connect(): Promise<void> {
    this.ready ??= this.init().catch((err: unknown) => {
      this.ready = null;
      throw this.unreachable(err);
    });
    return this.ready;
  }

  private async init(): Promise<void> {
    const { default: pg } = await import("pg");
    const timeout = this.opts.queryTimeoutMs ?? 5000;
    const pool = new pg.Pool({ connectionString: this.opts.url, max: 4, connectionTimeoutMillis: 2000, idleTimeoutMillis: 10_000, query_timeout: timeout, allowExitOnIdle: true });
    // An idle connection that drops must not take the process down.
    pool.on("error", (err) => this.opts.logger?.warn("shared state connection dropped", { error: errorMessage(err) }));
    this.pool = pool;
    await this.migrate();
    await this.listen();
  }

  private async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1, 0)", [LOCK.migrate]);
      await c.query("CREATE TABLE IF NOT EXISTS bybit_mcp_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      const done = new Set((await c.query<{ version: number }>("SELECT version FROM bybit_mcp_migrations")).rows.map((r) => r.version));
      const newest = Math.max(...done, 0);
      if (newest > MIGRATIONS.length) throw new StateError(`the shared state database is at schema version ${newest}, newer than this bybit-mcp knows (${MIGRATIONS.length}); upgrade bybit-mcp`);
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query("INSERT INTO bybit_mcp_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      }
    }, { init: true });
  }

  /** The LISTEN connection: on (re)connect it reads the halt rows and the mandate's sha, then trusts notifications. */
  private async listen(): Promise<void> {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 2000, keepAlive: true });
    const down = (why: string) => {
      if (this.listener !== client) return;
      const was = this.listening.healthy;
      this.listening.healthy = false;
      this.listener = null;
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined);
      // Said once per outage, not once per reconnect attempt.
      if (was) this.opts.logger?.warn("shared state listener down: orders are refused until it is back", { reason: why });
      this.scheduleListen();
    };
    client.on("error", (err) => down(errorMessage(err)));
    client.on("end", () => down("connection ended"));
    client.on("notification", (n) => this.onNotification(n));
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      const halts = await client.query<{ scope: string; body: string }>("SELECT scope, body FROM bybit_mcp_halt WHERE scope = ANY($1)", [["global", `broker:${this.broker}`]]);
      const mandate = await client.query<{ sha256: string }>("SELECT sha256 FROM bybit_mcp_mandates WHERE broker = $1 ORDER BY version DESC LIMIT 1", [this.broker]);
      this.listening.halts = new Map(halts.rows.map((r) => [r.scope, r.body]));
      this.listening.mandateSha = mandate.rows[0]?.sha256 ?? null;
      if (this.listener === client) {
        if (this.everListened) this.opts.logger?.info("shared state listener back");
        this.everListened = true;
        this.listening.healthy = true;
      }
    } catch (err) {
      down(errorMessage(err));
      throw err;
    }
  }

  private scheduleListen(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || this.listener) return;
      this.listen().catch(() => undefined);
    }, 250);
    this.reconnectTimer.unref();
  }

  private onNotification(n: Notification): void {
    if (n.channel !== CHANNEL || !n.payload) return;
    let msg: { t?: string; scope?: string; present?: boolean; body?: string; broker?: string; sha256?: string };
    try {
      msg = JSON.parse(n.payload) as typeof msg;
    } catch {
      return;
    }
    if (msg.t === "halt" && typeof msg.scope === "string") {
      if (msg.present) this.listening.halts.set(msg.scope, msg.body ?? "");
      else this.listening.halts.delete(msg.scope);
    } else if (msg.t === "mandate" && msg.broker === this.broker && typeof msg.sha256 === "string") {
      this.listening.mandateSha = msg.sha256;
    }
  }

  private unreachable(err: unknown): Error {
    if (err instanceof StateError || err instanceof LockError || err instanceof AuditError) return err;
    return new StateError(`the shared state database ${this.opts.safeUrl} cannot be reached (${errorMessage(err)})`, undefined, err);
  }

  private async client(): Promise<PoolClient> {
    await this.connect();
    return this.rawClient();
  }

  /** A pool connection without waiting for connect() (init's own migrations use it). */
  private async rawClient(): Promise<PoolClient> {
    try {
      return await (this.pool as Pool).connect();
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  private async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    await this.connect();
    try {
      return (await (this.pool as Pool).query<R>(sql, params)).rows;
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  /** Run `fn` in one transaction on one connection; rolled back on any error. */
  private async tx<T>(fn: (c: PoolClient) => Promise<T>, opts: { init?: boolean } = {}): Promise<T> {
    const c = opts.init ? await this.rawClient() : await this.client();
    let broken = false;
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      broken = true;
      await c.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      c.release(broken);
    }
  }

  private localRootPresent(): boolean {
    return existsSync(this.opts.runtimeRoot);
  }

  // ---- lock ----

  async runLocked<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const inner = () => this.advisoryLocked(timeoutMs, fn);
    return this.localRootPresent() ? withOrderLock(this.opts.paths, { timeoutMs }, inner) : inner();
  }

  private async advisoryLocked<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    let c: PoolClient;
    try {
      c = await this.client();
    } catch (err) {
      throw new LockError(`${errorMessage(err).replace(/\.$/, "")}, so no order was sent`);
    }
    const conn = { lost: false };
    const lose = () => (conn.lost = true);
    c.on("error", lose);
    c.on("end", lose);
    const started = Date.now();
    try {
      await c.query("BEGIN");
      await c.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(timeoutMs))}ms'`);
      // The server's lock_timeout answers first; the client's read timeout only catches a hung connection.
      // (node-postgres reads a per-query query_timeout; its types do not list it.)
      const lock: QueryConfig & { query_timeout: number } = { text: "SELECT pg_advisory_xact_lock($1, hashtext($2))", values: [LOCK.order, this.broker], query_timeout: timeoutMs + (this.opts.queryTimeoutMs ?? 5000) };
      await c.query(lock);
    } catch (err) {
      c.off("error", lose);
      c.off("end", lose);
      c.release(true);
      if ((err as { code?: string }).code === "55P03") {
        throw new LockError(`another order is being submitted for broker ${this.broker} (the shared order lock); waited ${Date.now() - started} ms`);
      }
      throw new LockError(`${errorMessage(this.unreachable(err)).replace(/\.$/, "")}, so no order was sent`);
    }
    this.lockConn = conn;
    try {
      return await fn();
    } finally {
      this.lockConn = null;
      // The transaction wrote nothing: its end only releases the lock (a dropped connection released it already).
      await c.query("COMMIT").catch(() => (conn.lost = true));
      c.off("error", lose);
      c.off("end", lose);
      c.release(conn.lost);
    }
  }

  lockHeld(): boolean {
    return this.lockConn === null || !this.lockConn.lost;
  }

  // ---- halt ----

  private haltFrom(halts: Map<string, string>, healthy: boolean): HaltState {
    const g = halts.get("global");
    const b = halts.get(`broker:${this.broker}`);
    const state: HaltState = { global: g !== undefined, broker: b !== undefined };
    if (!healthy) state.error = `the shared halt state in ${this.opts.safeUrl} cannot be watched (its connection is down)`;
    const body = g ?? b;
    if (body !== undefined) state.detail = { ...haltDetail(body), scope: g !== undefined ? "global" : "broker" };
    return this.withLocalHalt(state);
  }

  /** A HALT file under this host's runtime root halts too (Vibe-Trading's or a files-backed server's kill switch). */
  private withLocalHalt(state: HaltState): HaltState {
    if (!this.localRootPresent()) return state;
    const local = readHalt(this.opts.paths);
    if (!isHalted(local)) return state;
    return { global: state.global || local.global, broker: state.broker || local.broker, error: [state.error, local.error].filter(Boolean).join("; ") || undefined, detail: state.detail ?? local.detail };
  }

  async readHalt(): Promise<HaltState> {
    const rows = await this.query<{ scope: string; body: string }>("SELECT scope, body FROM bybit_mcp_halt WHERE scope = ANY($1)", [["global", `broker:${this.broker}`]]);
    return this.haltFrom(new Map(rows.map((r) => [r.scope, r.body])), true);
  }

  currentHalt(): HaltState {
    return this.haltFrom(this.listening.halts, this.listening.healthy);
  }

  /** Trip a switch: the body Vibe-Trading's HALT file holds. Every listening host knows at once. */
  async tripHalt(scope: Scope, by: string, reason: string, nowMs = Date.now()): Promise<void> {
    const body = pyDumps({ tripped_at: pyIsoformatUtc(nowMs), by, reason });
    await this.query("INSERT INTO bybit_mcp_halt (scope, body) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET body = EXCLUDED.body, tripped_at = now()", [this.scopeKey(scope), body]);
  }

  async clearHalt(scope: Scope): Promise<boolean> {
    const rows = await this.query("DELETE FROM bybit_mcp_halt WHERE scope = $1 RETURNING scope", [this.scopeKey(scope)]);
    return rows.length > 0;
  }

  private scopeKey(scope: Scope): string {
    return scope === "global" ? "global" : `broker:${this.broker}`;
  }

  // ---- mandate ----

  /** Where the mandate lives, for messages. */
  mandateWhere(version?: number): string {
    return `${this.opts.safeUrl} (bybit_mcp_mandates, broker ${this.broker}${version ? `, version ${version}` : ""})`;
  }

  async readMandate(): Promise<MandateRead & { version: number | null; mandateId: string | null }> {
    const rows = await this.query<{ version: number; body: string; sha256: string; mandate_id: string | null }>(
      "SELECT version, body, sha256, mandate_id FROM bybit_mcp_mandates WHERE broker = $1 ORDER BY version DESC LIMIT 1",
      [this.broker],
    );
    const row = rows[0];
    const where = this.mandateWhere(row?.version);
    if (!row) return { load: mandateFailure([{ path: "(mandate)", message: `no mandate is committed for broker ${this.broker} in ${where}; run bybit-mcp mandate init.` }], where), sha256: null, version: null, mandateId: null };
    // The stored bytes are hashed again: a row whose bytes do not match its sha is not a mandate.
    const sha = createHash("sha256").update(row.body, "utf8").digest("hex");
    if (sha !== row.sha256) return { load: mandateFailure([{ path: "(mandate)", message: `the mandate in ${where} does not match its sha256; it was changed outside bybit-mcp.` }], where), sha256: null, version: row.version, mandateId: row.mandate_id };
    let value: unknown;
    try {
      value = JSON.parse(row.body);
    } catch (err) {
      return { load: mandateFailure([{ path: "(mandate)", message: `the mandate in ${where} is not valid JSON: ${(err as Error).message}.` }], where), sha256: sha, version: row.version, mandateId: row.mandate_id };
    }
    return { load: { ...validateMandate(value, { brokerKey: this.broker }), file: where }, sha256: sha, version: row.version, mandateId: row.mandate_id };
  }

  currentMandateSha(): string | null {
    // Unknown while not listening: a value no mandate hashes to, so the last check refuses.
    return this.listening.healthy ? this.listening.mandateSha : "unknown: the shared state listener is down";
  }

  /** mandate init / renew: a new version, its consent record and its ledger record in one transaction, under the order lock. */
  async commitMandate(terms: MandateTerms, opts: Omit<CommitOptions, "ledger">): Promise<CommitOutcome> {
    const nowMs = opts.nowMs ?? Date.now();
    const plan = planCommit(this.broker, terms, { ...opts, nowMs });
    if (plan.status === "refused") return plan;
    return this.runLocked(opts.lockTimeoutMs ?? 10_000, async () => {
      const current = await this.readMandate();
      const state = this.blocking(current, nowMs);
      const refused = commitRefusal(state, opts);
      if (refused) return refused;
      const body = pyDumps(plan.document);
      const sha = createHash("sha256").update(body, "utf8").digest("hex");
      const version = (current.version ?? 0) + 1;
      const record = await this.tx(async (c) => {
        await c.query("INSERT INTO bybit_mcp_mandates (broker, version, mandate_id, body, sha256, consent_record) VALUES ($1, $2, $3, $4, $5, $6)", [
          this.broker,
          version,
          plan.ids.mandateId,
          body,
          sha,
          pyDumps(plan.consentRecord(state.id)),
        ]);
        const [rec] = await this.appendIn(c, [plan.ledgerInput(state.id)]);
        return rec as AuditRecord;
      });
      return plan.committed({ consentFile: `${this.mandateWhere(version)}, consent_record`, mandateFile: this.mandateWhere(version), replacedMandateId: state.id, record });
    });
  }

  /** The mandate in force: its id, and why it blocks a commit without replace. */
  async currentMandate(nowMs: number): Promise<{ id: string | null; blocking: string | null }> {
    return this.blocking(await this.readMandate(), nowMs);
  }

  private blocking(current: Awaited<ReturnType<PgState["readMandate"]>>, nowMs: number): { id: string | null; blocking: string | null } {
    if (current.version === null) return { id: null, blocking: null };
    const b = blockingOf(current.load, this.mandateWhere(current.version), nowMs);
    return current.load.ok ? b : { id: current.mandateId, blocking: b.blocking };
  }

  /** The consent record stored with a mandate version, or null. */
  async consentRecordOf(mandateId: string): Promise<Record<string, unknown> | null> {
    const rows = await this.query<{ consent_record: string | null }>("SELECT consent_record FROM bybit_mcp_mandates WHERE broker = $1 AND mandate_id = $2 ORDER BY version DESC LIMIT 1", [this.broker, mandateId]);
    const text = rows[0]?.consent_record;
    return text ? (JSON.parse(text) as Record<string, unknown>) : null;
  }

  // ---- counter ----

  async readTrades(nowMs: number): Promise<number> {
    const rows = await this.query<{ trades: number }>("SELECT trades FROM bybit_mcp_counter WHERE broker = $1 AND day = $2", [this.broker, utcDay(nowMs)]);
    return rows[0]?.trades ?? 0;
  }

  async incrementTrades(nowMs: number, by: number): Promise<number> {
    const rows = await this.query<{ trades: number }>(
      "INSERT INTO bybit_mcp_counter (broker, day, trades) VALUES ($1, $2, $3) ON CONFLICT (broker, day) DO UPDATE SET trades = bybit_mcp_counter.trades + EXCLUDED.trades RETURNING trades",
      [this.broker, utcDay(nowMs), by],
    );
    return (rows[0] as { trades: number }).trades;
  }

  async releaseTrades(nowMs: number, by: number): Promise<number> {
    const rows = await this.query<{ trades: number }>("UPDATE bybit_mcp_counter SET trades = GREATEST(trades - $3, 0) WHERE broker = $1 AND day = $2 RETURNING trades", [this.broker, utcDay(nowMs), by]);
    return rows[0]?.trades ?? 0;
  }

  // ---- ledger ----

  /** Append records; with `release`, give back that many of today's trades in the same transaction. */
  async append(inputs: AuditInput[], release?: { nowMs: number; by: number }): Promise<AuditRecord[]> {
    if (inputs.length === 0 && !release) return [];
    try {
      return await this.tx(async (c) => {
        const records = await this.appendIn(c, inputs);
        if (release) await c.query("UPDATE bybit_mcp_counter SET trades = GREATEST(trades - $3, 0) WHERE broker = $1 AND day = $2", [this.broker, utcDay(release.nowMs), release.by]);
        return records;
      });
    } catch (err) {
      throw new AuditError(`could not append to the shared audit ledger: ${errorMessage(this.unreachable(err))}`, err);
    }
  }

  /** Append within the caller's transaction, after the ledger's advisory lock: seq and prev_record_hash follow the tip. */
  private async appendIn(c: PoolClient, inputs: AuditInput[]): Promise<AuditRecord[]> {
    const now = Date.now();
    const records = inputs.map((i) => buildRecord(i, now, this.opts.extraSecrets));
    await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK.ledger, this.broker]);
    const tip = (await c.query<{ seq: string; record_hash: string }>("SELECT seq, record_hash FROM bybit_mcp_ledger WHERE broker = $1 ORDER BY seq DESC LIMIT 1", [this.broker])).rows[0];
    let seq = tip ? Number(tip.seq) : 0;
    let hash = tip?.record_hash ?? GENESIS;
    if (seq < this.lastSeq) throw new AuditError(`the shared audit ledger ends at seq ${seq}, but this process wrote seq ${this.lastSeq}: it was cut back`);
    const cols: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const record of records) {
      seq += 1;
      const next = recordHash(seq, hash, record);
      const row = [seq, hash, next, record.audit_id, typeof record.decision_id === "string" ? record.decision_id : null, record.kind, pyDumps(record), pyDumps({ ...record, seq, prev_record_hash: hash, record_hash: next })];
      row.forEach((v, i) => (cols[i] as unknown[]).push(v));
      hash = next;
    }
    await c.query(
      `INSERT INTO bybit_mcp_ledger (broker, seq, prev_record_hash, record_hash, audit_id, decision_id, kind, record_line, chain_line)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [this.broker, ...cols],
    );
    this.lastSeq = seq;
    return records;
  }

  async assertLedgerWritable(): Promise<void> {
    let rows: { seq: string | null }[];
    try {
      rows = await this.query<{ seq: string | null }>("SELECT max(seq) AS seq FROM bybit_mcp_ledger WHERE broker = $1", [this.broker]);
    } catch (err) {
      throw new AuditError(`the shared audit ledger cannot be written: ${errorMessage(err)}`, err);
    }
    const seq = Number(rows[0]?.seq ?? 0);
    if (seq < this.lastSeq) throw new AuditError(`the shared audit ledger ends at seq ${seq}, but this process wrote seq ${this.lastSeq}: it was cut back`);
  }

  async findByDecisionId(decisionId: string): Promise<AuditRecord | null> {
    const rows = await this.query<{ record_line: string }>("SELECT record_line FROM bybit_mcp_ledger WHERE broker = $1 AND decision_id = $2 ORDER BY seq DESC LIMIT 1", [this.broker, decisionId]);
    return rows[0] ? (JSON.parse(rows[0].record_line) as AuditRecord) : null;
  }

  /** The newest `n` records (oldest first), optionally of one kind, as stored lines. */
  async tail(n: number, kind?: string): Promise<{ line: string; record: AuditRecord }[]> {
    const rows = await this.query<{ record_line: string }>(
      `SELECT record_line FROM bybit_mcp_ledger WHERE broker = $1 ${kind ? "AND kind = $3" : ""} ORDER BY seq DESC LIMIT $2`,
      kind ? [this.broker, n, kind] : [this.broker, n],
    );
    return rows.reverse().map((r) => ({ line: r.record_line, record: JSON.parse(r.record_line) as AuditRecord }));
  }

  /** The whole chain, in order, as audit.jsonl and audit_chain.jsonl would hold it. */
  private async ledgerText(): Promise<{ audit: string; chain: string; rows: number }> {
    const rows = await this.query<{ record_line: string; chain_line: string }>("SELECT record_line, chain_line FROM bybit_mcp_ledger WHERE broker = $1 ORDER BY seq", [this.broker]);
    return { audit: rows.map((r) => `${r.record_line}\n`).join(""), chain: rows.map((r) => `${r.chain_line}\n`).join(""), rows: rows.length };
  }

  /** Walk the chain exactly as the files' verifier does. Never throws. */
  async verify(): Promise<VerifyResult> {
    const file = `${this.opts.safeUrl} bybit_mcp_ledger`;
    try {
      const { chain } = await this.ledgerText();
      const r = walkChain(chain, file);
      if (!r.ok && r.break) return { ok: false, records: r.records, brokenAtSeq: r.break.seq, reason: `${r.break.reason}: ${r.break.detail}`, file, line: r.break.line };
      if (r.seq < this.lastSeq) return { ok: false, records: r.records, brokenAtSeq: r.seq + 1, reason: `cut back: this process wrote seq ${this.lastSeq}`, file };
      return { ok: true, records: r.records };
    } catch (err) {
      return { ok: false, records: 0, brokenAtSeq: 1, reason: `unreadable: ${errorMessage(err)}`, file };
    }
  }

  /** Write audit.jsonl and audit_chain.jsonl into `dir` in Vibe-Trading's formats; returns how many records. */
  async exportLedger(dir: string): Promise<number> {
    const { audit, chain, rows } = await this.ledgerText();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, "audit.jsonl"), audit, { mode: 0o600 });
    await writeFile(join(dir, "audit_chain.jsonl"), chain, { mode: 0o600 });
    return rows;
  }

  // ---- journal ----

  journal(): JournalStore {
    const entry = (r: { open_line: string; close_line: string | null }): JournalEntry => ({
      open: JSON.parse(r.open_line) as JournalOpen,
      ...(r.close_line ? { close: JSON.parse(r.close_line) as JournalClose } : {}),
    });
    return {
      openEntries: async () => (await this.query<{ open_line: string; close_line: null }>("SELECT open_line, close_line FROM bybit_mcp_journal WHERE broker = $1 AND close_line IS NULL ORDER BY ts_ms", [this.broker])).map(entry),
      byOrderLinkId: async (id) => {
        const rows = await this.query<{ open_line: string; close_line: string | null }>("SELECT open_line, close_line FROM bybit_mcp_journal WHERE broker = $1 AND order_link_id = $2 ORDER BY ts_ms DESC LIMIT 1", [this.broker, id]);
        return rows[0] ? entry(rows[0]) : undefined;
      },
      open: async (lines) => {
        if (lines.length === 0) return;
        await this.query(
          "INSERT INTO bybit_mcp_journal (broker, decision_id, order_link_id, ts_ms, open_line) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[])",
          [this.broker, lines.map((l) => l.decision_id), lines.map((l) => l.order_link_id), lines.map((l) => l.ts_ms), lines.map((l) => JSON.stringify(l))],
        );
      },
      close: async (lines) => {
        if (lines.length === 0) return;
        await this.query(
          "UPDATE bybit_mcp_journal j SET close_line = v.line FROM unnest($2::text[], $3::text[]) AS v(id, line) WHERE j.broker = $1 AND j.decision_id = v.id AND j.close_line IS NULL",
          [this.broker, lines.map((l) => l.decision_id), lines.map((l) => JSON.stringify(l))],
        );
      },
      compact: async (today) => {
        await this.query("DELETE FROM bybit_mcp_journal WHERE broker = $1 AND close_line IS NOT NULL AND ts_ms < $2", [this.broker, Date.parse(`${today}T00:00:00Z`)]);
      },
    };
  }

  // ---- approvals ----

  approvals(): ApprovalsStore {
    const ttl = this.opts.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS;
    const parse = (id: string, body: string): ApprovalRequest | null => {
      try {
        return parseStoredRequest(JSON.parse(body), id, this.broker);
      } catch {
        return null;
      }
    };
    const transition = async (id: string, step: Parameters<typeof applyTransition>[4]): Promise<ApprovalRequest> => {
      checkApprovalId(id);
      const t = await this.tx(async (c) => {
        const rows = (await c.query<{ body: string }>("SELECT body FROM bybit_mcp_approvals WHERE broker = $1 AND id = $2 FOR UPDATE", [this.broker, id])).rows;
        const t = applyTransition(id, this.broker, rows[0] ? parse(id, rows[0].body) : null, Date.now(), step);
        if (t.write) await c.query("UPDATE bybit_mcp_approvals SET body = $3 WHERE broker = $1 AND id = $2", [this.broker, id, JSON.stringify(t.write)]);
        return t;
      });
      if (t.error) throw t.error;
      return t.write as ApprovalRequest;
    };
    return {
      create: async (input: ApprovalInput) => {
        const r = newApprovalRequest(input, this.broker, Date.now(), ttl);
        await this.query("INSERT INTO bybit_mcp_approvals (broker, id, body) VALUES ($1, $2, $3)", [this.broker, r.id, JSON.stringify(r)]);
        return r;
      },
      get: async (id) => {
        if (!/^apr_[0-9a-f]{32}$/.test(id)) return null;
        const rows = await this.query<{ body: string }>("SELECT body FROM bybit_mcp_approvals WHERE broker = $1 AND id = $2", [this.broker, id]);
        const r = rows[0] ? parse(id, rows[0].body) : null;
        return r && effectiveRequest(r, Date.now());
      },
      list: async (opts: { status?: ApprovalStatus } = {}) => {
        const rows = await this.query<{ id: string; body: string }>("SELECT id, body FROM bybit_mcp_approvals WHERE broker = $1 ORDER BY created_at DESC LIMIT 1000", [this.broker]);
        const now = Date.now();
        return rows
          .map((r) => parse(r.id, r.body))
          .filter((r): r is ApprovalRequest => r !== null)
          .map((r) => effectiveRequest(r, now))
          .filter((r) => opts.status === undefined || r.status === opts.status)
          .sort(newestFirst);
      },
      decide: (id, verdict, by, note, seen) => transition(id, decideStep(verdict, by, note, seen)),
      consume: (id, decisionId) => transition(id, consumeStep(decisionId)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    this.listening.healthy = false;
    await Promise.all([listener?.end().catch(() => undefined), this.pool?.end().catch(() => undefined)]);
  }
}

/** The write path's stores over a PgState. */
export function pgStores(state: PgState, paths: RuntimePaths | null): Stores {
  return {
    backend: "postgres",
    paths,
    ledger: {
      appendManyAsync: (inputs, opts) => state.append(inputs, opts?.release),
      findByDecisionId: (id) => state.findByDecisionId(id),
      assertWritable: () => state.assertLedgerWritable(),
    },
    journal: paths ? state.journal() : null,
    counter: {
      read: (nowMs) => state.readTrades(nowMs),
      increment: (nowMs, by) => state.incrementTrades(nowMs, by),
      release: (nowMs, by) => state.releaseTrades(nowMs, by),
    },
    halt: { read: () => state.readHalt(), current: () => state.currentHalt() },
    lock: { run: (timeoutMs, fn) => state.runLocked(timeoutMs, fn), held: () => state.lockHeld() },
    mandate: { read: () => state.readMandate(), sha: () => state.currentMandateSha() },
    approvals: paths ? state.approvals() : null,
    close: () => state.close(),
  };
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function haltDetail(body: string): { tripped_at?: string; by?: string; reason?: string } {
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    const pick = (k: string) => (typeof v[k] === "string" ? { [k]: v[k] as string } : {});
    return { ...pick("tripped_at"), ...pick("by"), ...pick("reason") };
  } catch {
    return {};
  }
}
