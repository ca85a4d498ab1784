/**
 * The write path. Orders (place, amend) queue in-process and are taken in
 * batches under the per-broker flock:
 *
 *  1. journal entries that a crash left open are reconciled (reconcile.ts);
 *  2. the exchange facts are read (quotes, positions, open orders) and then
 *     the local ones (mandate, HALT, counter), so a mandate changed or a halt
 *     tripped during the reads is what the gate sees;
 *  3. each call is decided by the pure gate (batch.ts: calls of one batch
 *     see the allowed calls before them);
 *  4. the steps after the gate, each refusing as itself: an agent-chosen
 *     orderLinkId already used today, the count (a counter that cannot be
 *     written stops the order), the journal entry, fsync'd (none written:
 *     nothing sent);
 *  5. each allowed call is sent once. The last thing before the request goes
 *     on the wire, after every wait: HALT is absent, the mandate file still
 *     hashes to the one decided on, and the server is not shutting down;
 *  6. a write whose outcome is unknown is looked up by orderLinkId and
 *     matched to what was sent (lookup.ts), never resent;
 *  7. each call's one ledger record is written; then the journal entries
 *     are closed and trades of orders proven not executed are given back. An
 *     unknown outcome keeps its count: over-counting is the safe side.
 *
 * Cancels, leverage and trading stops take the same path as a batch of one,
 * without the lock, the journal or the count.
 */
import type { CallToolResult } from "../tools/result.js";
import { randomBytes } from "node:crypto";
import type { BybitClient } from "../bybit/client.js";
import type { Config } from "../config.js";
import { errorMessage, LockError, RulesError } from "../errors.js";
import { decide, type RuleSet } from "../gate/index.js";
import { parseIsoTimestamp } from "../gate/time.js";
import { isProtectiveOrder, protectionOf } from "../gate/protective.js";
import type { Decision, GateIntent, OrderRow, RawFacts } from "../gate/types.js";
import type { Logger } from "../log.js";
import type { AuditRecord } from "../state/index.js";
import type { JournalOpen } from "../state/journal.js";
import { utcDate } from "../state/index.js";
import { emptyLanded, land, withLanded } from "./batch.js";
import { findOrder, mergeNeeds, quoteKey, readExchangeFacts, type ExchangeFacts, type GatherNeeds } from "./gather.js";
import { lookupSentOrder } from "./lookup.js";
import type { NormalizedCall } from "./normalize.js";
import { classifyForwardError, NotSentError, type Outcome, type RefusalStep } from "./outcome.js";
import { approvable, approvalOrder, askUser, DEFAULT_PRICE_TOLERANCE_PCT, waivedMandate } from "./approvals.js";
import { orderHash, type ApprovalRequest } from "../state/approvals.js";
import { journalOutcome, reconcileOpen } from "./reconcile.js";
import { ledgerInput, type MandateRefs, type RecordContext } from "./record.js";
import { toToolResult } from "./results.js";
import { mandateStatus, type MandateStatus } from "./status.js";
import { isHalted, systemClock, type Clock, type MandateRead, type Stores } from "./stores.js";
import { loadRuleSet } from "../state/rules-files.js";

export interface TradingOptions {
  /** How long to wait for another process's order lock before denying. */
  lockTimeoutMs?: number;
  maxQuoteAgeMs?: number;
  /** Most calls decided under one lock (and one read of the facts). */
  maxBatch?: number;
  /** Journal entries older than this are reconciled (default: request timeout + recv window + 1 s). */
  staleMs?: number;
  /** Test hook: kill the process at a point of the write path (config BYBIT_MCP_CRASH_AT). */
  crashAt?: CrashPoint;
}

/** Where BYBIT_MCP_CRASH_AT kills the process: after the journal entry, after the answer, before the outcome record. */
export type CrashPoint = "journal" | "answer" | "record";

export interface TradingDeps {
  config: Config;
  client: BybitClient;
  logger: Logger;
  stores: Stores;
  clock?: Clock;
}

interface Item {
  call: NormalizedCall;
  remoteTool: string;
}

interface Queued extends Item {
  resolve: (r: CallToolResult) => void;
  reject: (e: unknown) => void;
}

/** The local facts a batch is decided on. */
interface Local {
  mandate: MandateRead;
  halt: RawFacts["halt"];
  tradesToday: number | null;
  counterError?: string;
}

/** One call, decided, and then what became of it. */
interface Settled extends Item {
  decisionId: string;
  /** The pure gate's decision as made; null when the gate never ran. */
  decision: Decision | null;
  refs: MandateRefs;
  mandateSha: string | null;
  /** The decided-on mandate's expiry (ms), null when unreadable; undefined without a mandate. */
  expiresMs?: number | null;
  outcome: Outcome;
  /** Counted toward today's trades before sending. */
  counted: boolean;
  /** Its journal entry was written. */
  journaled: boolean;
  /**
   * cancel_all while halted or expired: the entry orders it cancels one by
   * one, keeping the protective ones (reduce-only, TP/SL, stops).
   */
  entryOrders?: { cancel: OrderRow[]; kept: OrderRow[] };
  /** The approval this call goes through on (consumed with the count), or the request its pause recorded. */
  approvalId?: string;
  /** A pause's new approval request, for the refusal envelope. */
  approval?: { id: string; expires_at: string; ask_user: string };
}

const NOTHING: GatherNeeds = { quote: false, exposure: false, openOrders: false };

export class TradingService {
  private ruleSetCache: RuleSet | RulesError | undefined;
  private readonly queue: Queued[] = [];
  private draining = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  private readonly clock: Clock;
  private readonly stores: Stores;
  private readonly ctx: RecordContext;
  private started: Promise<void> | null = null;
  private startDone = false;
  private startTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: TradingDeps,
    private readonly opts: TradingOptions = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.stores = deps.stores;
    this.ctx = { sessionId: deps.config.sessionId, broker: this.broker };
  }

  get broker(): string {
    return this.deps.config.brokerKey ?? this.deps.config.brokerKeyRaw;
  }

  get paths() {
    return this.stores.paths;
  }

  /** mainnet | testnet | demo | custom, or simulator once the exchange's answers said so (it marks each one). */
  environment(): string {
    return this.deps.client.answeredAsSimulator ? "simulator" : this.deps.config.network;
  }

  private get staleMs(): number {
    return this.opts.staleMs ?? this.deps.config.httpTimeoutMs + this.deps.config.recvWindow + 1000;
  }

  /** The rule set, loaded and linted once; a RulesError makes every write deny with its reason. */
  ruleSet(): RuleSet | RulesError {
    if (!this.ruleSetCache) {
      try {
        this.ruleSetCache = loadRuleSet(this.deps.config.rulesDir);
      } catch (err) {
        this.ruleSetCache = err instanceof RulesError ? err : new RulesError(`rules failed to load: ${String(err)}`);
        this.deps.logger.error("rules invalid: every write will be denied", { error: this.ruleSetCache });
      }
    }
    return this.ruleSetCache;
  }

  /**
   * Reconcile what an earlier process left in the journal (under the lock),
   * and again once the youngest of those entries is stale. Idempotent;
   * every batch waits for it.
   */
  start(): Promise<void> {
    this.started ??= this.reconcileLocked().then(() => {
      this.startDone = true;
      return this.scheduleReconcile();
    });
    return this.started;
  }

  private async reconcileLocked(): Promise<void> {
    if (!this.stores.journal) return;
    try {
      await this.stores.lock.run(this.opts.lockTimeoutMs ?? 5000, async () => {
        await this.reconcile();
        // Closed entries of earlier days are no longer needed (today's stay: they are the used orderLinkIds).
        await this.stores.journal?.compact(utcDate(this.clock.now()));
      });
    } catch (err) {
      this.deps.logger.warn("journal reconcile postponed", { error: errorMessage(err) });
    }
  }

  private async reconcile(): Promise<void> {
    await reconcileOpen({ stores: this.stores, client: this.deps.client, clock: this.clock, logger: this.deps.logger, staleMs: this.staleMs });
  }

  private async scheduleReconcile(): Promise<void> {
    const journal = this.stores.journal;
    if (!journal || this.closing) return;
    const open = await journal.openEntries().catch(() => []);
    if (open.length === 0 || this.closing) return;
    const youngest = Math.max(...open.map((e) => e.open.ts_ms));
    const wait = Math.max(0, youngest + this.staleMs - this.clock.now()) + 50;
    this.startTimer = setTimeout(() => void this.reconcileLocked().then(() => this.scheduleReconcile()), wait);
    this.startTimer.unref();
  }

  /** Mandate, halt, counter, exposure and rules state, and the environment (bybit_get_mandate_status, `mandate status`). */
  async status(): Promise<MandateStatus> {
    // The local facts as a decision reads them, from whichever store backs this service.
    const local = await this.readLocal();
    const status = await mandateStatus({
      config: this.deps.config,
      client: this.deps.client,
      paths: this.paths,
      ruleSet: this.ruleSet(),
      nowMs: this.clock.now(),
      backend: this.stores.backend,
      local: { mandate: local.mandate.load, halt: local.halt, tradesToday: local.tradesToday, counterError: local.counterError },
      mandateWhere: local.mandate.load.file ?? undefined,
    });
    // A custom URL with no private read yet has not said what it is: one public read asks.
    if (this.deps.config.network === "custom" && !this.deps.client.answeredAsSimulator) await this.deps.client.get("/v5/market/time").catch(() => undefined);
    return { ...status, environment: this.environment() };
  }

  /** Gather facts and decide, without forwarding, counting or auditing (bybit_check_order). */
  async check(call: NormalizedCall): Promise<Decision> {
    const [s] = await this.decideAll([{ call, remoteTool: "bybit_check_order" }]);
    return (s as Settled).decision as Decision;
  }

  /** Run a gated write end to end; see the module comment. */
  execute(call: NormalizedCall, remoteTool: string): Promise<CallToolResult> {
    const ordered = call.tool === "place_order" || call.tool === "amend_order";
    const run = !ordered || !this.paths ? this.runUnlocked({ call, remoteTool }) : this.enqueue({ call, remoteTool });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run)).catch(() => undefined);
    return run;
  }

  /**
   * Stop sending: calls not yet on the wire are refused ("not sent"), and
   * the ones already sent finish and are recorded. Resolves once every
   * call in flight has its outcome, or after `timeoutMs`.
   */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.stopSending();
    if (this.startTimer) clearTimeout(this.startTimer);
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    // Then the stores' connections (the shared database's pool and listener) let the process exit.
    await this.stores.close().catch(() => undefined);
  }

  /**
   * Wait for a person's verdict on an approval request, polling its file
   * (another process, the CLI or the console, writes it). Bounded by
   * `timeoutMs` and the request's own expiry.
   */
  async awaitApproval(id: string, timeoutMs: number): Promise<"approved" | "rejected" | "consumed" | "expired" | "pending"> {
    const store = this.stores.approvals;
    const end = this.clock.now() + timeoutMs;
    for (;;) {
      const a = await store?.get(id).catch(() => null);
      if (!a) return "expired";
      if (a.status !== "pending" || this.closing || this.clock.now() >= end) return a.status;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The newest pending or approved request recorded for exactly this order (URL-mode elicitation's re-run finds it). */
  async latestApprovalFor(call: NormalizedCall, remoteTool: string): Promise<ApprovalRequest | undefined> {
    const hash = orderHash(approvalOrder(call, remoteTool));
    return (await this.stores.approvals?.list())?.find((a) => a.order_hash === hash && (a.status === "pending" || a.status === "approved"));
  }

  /** Nothing more goes on the wire: the last check before each send refuses ("not sent"). */
  stopSending(): void {
    this.closing = true;
    if (this.startTimer) clearTimeout(this.startTimer);
  }

  private enqueue(item: Item): Promise<CallToolResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      void this.drain();
    });
  }

  private async runUnlocked(item: Item): Promise<CallToolResult> {
    const settled = await this.decideAll([item]);
    await this.ledgerWritable(settled.filter((s) => s.decision?.allowed));
    await this.send(settled);
    return (await this.finish(settled))[0] as CallToolResult;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Awaited only once: a resolved start must not let the calls behind the first one join its batch.
      if (!this.startDone) await this.start();
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 64);
        try {
          const results = await this.lockedBatch(batch);
          batch.forEach((q, i) => q.resolve(results[i] as CallToolResult));
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      // Cleared in the same turn as the last look at the queue, so no call is left behind.
      this.draining = false;
    }
  }

  /** Decide, count, journal, forward and record a batch under the per-broker flock. */
  private async lockedBatch(batch: Item[]): Promise<CallToolResult[]> {
    let taken = false;
    try {
      return await this.stores.lock.run(this.opts.lockTimeoutMs ?? 5000, async () => {
        taken = true;
        try {
          await this.reconcile();
        } catch (err) {
          // The journal or ledger is unusable: every order below is refused at the journal step anyway.
          this.deps.logger.error("journal reconcile failed", { error: errorMessage(err) });
        }
        const settled = await this.decideAll(batch, { approvals: true });
        await this.requestApprovals(settled);
        await this.afterGate(settled);
        await this.send(settled);
        return this.finish(settled);
      });
    } catch (err) {
      // Only a lock never taken means nothing was sent; anything later is not ours to refuse.
      if (taken || !(err instanceof LockError)) throw err;
      const local = await this.readLocal();
      const settled = batch.map((item) => this.settledWithout(item, local, { type: "refused", step: "order_lock", reason: err.message }));
      return this.finish(settled);
    }
  }

  private settledWithout(item: Item, local: Local, outcome: Outcome): Settled {
    return { ...item, decisionId: newDecisionId(), decision: null, refs: mandateRefs(local.mandate), mandateSha: local.mandate.sha256, outcome, counted: false, journaled: false };
  }

  /** Mandate, HALT and counter from disk: re-read for every batch, never cached. */
  private async readLocal(): Promise<Local> {
    const { config } = this.deps;
    if (!this.paths || !config.brokerKey) {
      const reason = `BYBIT_BROKER_KEY "${config.brokerKeyRaw}" is not a valid broker key, so trading is halted`;
      return {
        mandate: { load: { ok: false, reason, problems: [{ path: "BYBIT_BROKER_KEY", message: reason }] }, sha256: null },
        halt: { global: false, broker: true, error: reason },
        tradesToday: null,
        counterError: reason,
      };
    }
    const [mandate, halt, counter] = await Promise.all([
      this.stores.mandate.read().catch((err: unknown): MandateRead => {
        const reason = `the mandate could not be read (${errorMessage(err)})`;
        return { load: { ok: false, reason, problems: [{ path: "(mandate)", message: reason }] }, sha256: null };
      }),
      this.stores.halt.read().catch((err: unknown) => ({ global: false, broker: true, error: `the halt state could not be read (${errorMessage(err)})` })),
      this.stores.counter.read(this.clock.now()).then(
        (n) => ({ n, error: undefined }),
        (err: unknown) => ({ n: null, error: errorMessage(err) }),
      ),
    ]);
    return { mandate, halt, tradesToday: counter.n, counterError: counter.error };
  }

  /**
   * Read the facts once and decide each call in order, each seeing the
   * allowed calls before it. The exchange is read first and the local files
   * after, so what changed on disk during the reads is decided on.
   */
  private async decideAll(items: Item[], opts: { approvals?: boolean } = {}): Promise<Settled[]> {
    const before = await this.readLocal();
    // No exchange reads when the local files already refuse every call of the batch:
    // no valid mandate refuses every tool; a halt refuses all but cancels, and those
    // read only the open orders, to tell entry orders from protective ones.
    const read = before.mandate.load.ok && !isHalted(before.halt);
    const guarded = before.mandate.load.ok && this.guarded(before);
    const cancels = items.some((i) => i.call.tool === "cancel_order" || i.call.tool === "cancel_all_orders");
    const needs = read ? mergeNeeds(items.map((i) => i.call.tool)) : { ...NOTHING };
    if (guarded && cancels) needs.openOrders = true;
    const exchange = await readExchangeFacts(this.deps.client, items.map((i) => i.call.intent), needs);
    if (!read) notRead(exchange, needs);
    const local = await this.readLocal();
    const refs = mandateRefs(local.mandate);
    const landed = emptyLanded();
    const settled: Settled[] = [];
    for (const [index, item] of items.entries()) {
      const intent = this.intentWithOrder(item.call, exchange, needs);
      const quote = exchange.quotes.get(quoteKey(intent.category, intent.symbol));
      const raw = withLanded(
        {
          nowMs: this.clock.now(),
          mandate: local.mandate.load,
          halt: local.halt,
          tradesToday: local.tradesToday,
          counterError: local.counterError,
          quote: quote?.value ?? null,
          quoteError: quote?.error,
          positions: exchange.positions,
          positionsError: exchange.positionsError,
          openOrders: exchange.openOrders,
          openOrdersError: exchange.openOrdersError,
        },
        landed,
      );
      let decision = await decide(this.ruleSet(), intent, raw, { maxQuoteAgeMs: this.opts.maxQuoteAgeMs });
      let outcome: Outcome = decision.allowed ? { type: "unknown", detail: "not sent yet" } : { type: "refused", step: "gate", reason: decision.reason };
      let approvalId: string | undefined;
      if (opts.approvals && item.call.approvalId && decision.decision === "pause_for_reauth") {
        const waived = await this.withApproval(item, intent, raw, item.call.approvalId);
        if (waived.decision) {
          decision = waived.decision;
          approvalId = item.call.approvalId;
          outcome = { type: "unknown", detail: "not sent yet" };
        } else if (waived.deny) {
          outcome = { type: "refused", step: "approval", reason: waived.deny };
        }
      }
      if (decision.allowed) land(landed, intent, decision, index);
      let entryOrders: Settled["entryOrders"];
      if (decision.allowed && item.call.tool === "cancel_all_orders" && this.guarded(local)) {
        if (exchange.openOrders === null) {
          outcome = { type: "refused", step: "protective_orders", reason: `while trading is halted or the mandate expired, cancel_all cancels only entry orders, and the open orders could not be read (${exchange.openOrdersError ?? "not read"}); nothing was cancelled` };
        } else {
          const inScope = exchange.openOrders.filter((o) => inCancelScope(o, item.call.body));
          entryOrders = { cancel: inScope.filter((o) => !isProtectiveOrder(o)), kept: inScope.filter(isProtectiveOrder) };
        }
      }
      const expiresMs = local.mandate.load.ok ? parseIsoTimestamp(local.mandate.load.mandate.consent.expires_at) : undefined;
      settled.push({ ...item, decisionId: newDecisionId(), decision, refs, mandateSha: local.mandate.sha256, expiresMs, outcome, counted: false, journaled: false, entryOrders, approvalId });
    }
    return settled;
  }

  /**
   * The retry of a paused order with the user's approval: decided again by
   * the same rules over the same facts, with only the approved caps raised
   * to what the user saw. Returns the allowing decision, a reason to deny
   * (the approval is for another order), or neither (it stays paused).
   */
  private async withApproval(item: Item, intent: GateIntent, raw: RawFacts, id: string): Promise<{ decision?: Decision; deny?: string }> {
    const store = this.stores.approvals;
    if (!store || !raw.mandate.ok) return {};
    const a = await store.get(id).catch(() => null);
    if (!a) return {};
    if (a.order_hash !== orderHash(approvalOrder(item.call, item.remoteTool))) {
      return { deny: `approval ${id} was given for another order (${a.intent_normalized}); nothing was sent` };
    }
    if (a.status !== "approved") return {};
    const waived = await decide(this.ruleSet(), intent, { ...raw, mandate: { ...raw.mandate, mandate: waivedMandate(raw.mandate.mandate, a) } }, { maxQuoteAgeMs: this.opts.maxQuoteAgeMs });
    return waived.allowed ? { decision: waived } : {};
  }

  /** A pause a person may lift once: record its approval request, for the envelope. */
  private async requestApprovals(settled: Settled[]): Promise<void> {
    const store = this.stores.approvals;
    if (!store) return;
    for (const s of settled) {
      if (s.outcome.type !== "refused" || s.outcome.step !== "gate" || !s.decision || !approvable(s.decision)) continue;
      try {
        const b = s.decision.breach!;
        const r = await store.create({
          decision_id: s.decisionId,
          intent_normalized: s.decision.intent_normalized,
          reason: s.decision.reason,
          order: approvalOrder(s.call, s.remoteTool),
          breaches: [{ limit: b.limit, kind: b.kind, limit_value: b.limit_value, attempted_value: b.attempted_value, detail: b.detail }],
          price_tolerance_pct: DEFAULT_PRICE_TOLERANCE_PCT,
        });
        s.approvalId = r.id;
        s.approval = { id: r.id, expires_at: r.expires_at, ask_user: askUser(r) };
      } catch (err) {
        this.deps.logger.error("could not record an approval request", { error: errorMessage(err) });
      }
    }
  }

  /** Halted (or the halt unreadable) or the mandate expired: cancels then keep protective orders. */
  private guarded(local: Local): boolean {
    if (isHalted(local.halt)) return true;
    if (!local.mandate.load.ok) return false;
    const expires = parseIsoTimestamp(local.mandate.load.mandate.consent.expires_at);
    return expires === null || this.clock.now() >= expires;
  }

  /**
   * An amend is decided on the order it changes, as found among the open
   * orders; a cancel carries the order it cancels when the open orders were
   * read (undefined: not read, null: not found).
   */
  private intentWithOrder(call: NormalizedCall, exchange: ExchangeFacts, needs: GatherNeeds): GateIntent {
    const intent = { ...call.intent };
    if (call.tool === "cancel_order" && needs.openOrders) {
      intent.existingOrder = findOrder(exchange.openOrders, { orderId: call.orderId, orderLinkId: call.orderLinkId }, intent.category, intent.symbol);
    }
    if (call.tool === "amend_order") {
      const existing = findOrder(exchange.openOrders, { orderId: call.orderId, orderLinkId: call.orderLinkId }, intent.category, intent.symbol);
      intent.existingOrder = existing;
      if (existing) {
        intent.side = existing.side;
        intent.positionIdx = existing.positionIdx;
      }
    }
    return intent;
  }

  /** Steps after the gate, under the lock: a reused orderLinkId, the count, the journal entry. */
  private async afterGate(settled: Settled[]): Promise<void> {
    const journal = this.stores.journal;
    const go = () => settled.filter((s) => s.decision?.allowed && s.outcome.type === "unknown");
    const refuse = (s: Settled, step: RefusalStep, reason: string) => (s.outcome = { type: "refused", step, reason });
    const today = utcDate(this.clock.now());

    if (!(await this.ledgerWritable(go()))) return;

    // An orderLinkId names one order: one already used today is refused before it can be confused with another.
    const seen = new Set<string>();
    for (const s of go()) {
      const id = s.call.tool === "place_order" ? s.call.orderLinkId : undefined;
      if (id === undefined) continue;
      const earlier = await journal?.byOrderLinkId(id);
      if (seen.has(id) || (earlier && utcDate(earlier.open.ts_ms) === today)) {
        refuse(s, "order_link_id", `order_link_id "${id}" was already used today; choose a new one (or omit it and one is generated), nothing was sent`);
      }
      seen.add(id);
    }

    // An approval is used up under the order lock, with the count: of two racing retries, one goes.
    for (const s of go()) {
      if (!s.approvalId || !this.stores.approvals) continue;
      try {
        await this.stores.approvals.consume(s.approvalId, s.decisionId);
      } catch (err) {
        refuse(s, "approval", `approval ${s.approvalId} could not be used (${errorMessage(err)}); nothing was sent`);
      }
    }

    const places = go().filter((s) => s.call.tool === "place_order");
    if (places.length > 0) {
      try {
        await this.stores.counter.increment(this.clock.now(), places.length);
        for (const s of places) s.counted = true;
      } catch (err) {
        const reason = `the trade counter could not be written, so the order was not sent (${errorMessage(err)})`;
        this.deps.logger.error(reason);
        for (const s of places) refuse(s, "counter", reason);
      }
    }

    const entries = go();
    if (entries.length === 0) return;
    if (!journal) {
      for (const s of entries) refuse(s, "journal", "there is no journal for an invalid broker key, so nothing was sent");
      return;
    }
    const now = this.clock.now();
    try {
      await journal.open(entries.map((s) => this.journalOpen(s, now, today)));
      for (const s of entries) s.journaled = true;
    } catch (err) {
      const reason = `the write-ahead journal could not be written, so nothing was sent (${errorMessage(err)})`;
      this.deps.logger.error(reason);
      for (const s of entries) refuse(s, "journal", reason);
    }
    this.crashIf("journal");
  }

  /** Refuse every call still going when the ledger could not take their records (nothing leaves unaudited). */
  private async ledgerWritable(go: Settled[]): Promise<boolean> {
    if (go.length === 0) return true;
    try {
      await this.stores.ledger.assertWritable();
      return true;
    } catch (err) {
      const reason = `the audit ledger could not be written, so nothing was sent (${errorMessage(err)})`;
      this.deps.logger.error(reason);
      for (const s of go) s.outcome = { type: "refused", step: "audit_ledger", reason };
      return false;
    }
  }

  private journalOpen(s: Settled, now: number, today: string): JournalOpen {
    const template = ledgerInput(this.ctx, { ...s, outcome: { type: "unknown", detail: "" } });
    // The record as it would be rebuilt after a crash, without the facts (they stay in this process).
    const record = { ...template, extra: { ...template.extra, facts: null } };
    return {
      op: "open",
      decision_id: s.decisionId,
      order_link_id: s.call.orderLinkId ?? "",
      tool: s.call.tool as JournalOpen["tool"],
      remote_tool: s.remoteTool,
      path: s.call.path,
      body: s.call.body,
      session_id: this.deps.config.sessionId,
      ts_ms: now,
      counted_day: s.counted ? today : null,
      mandate_sha256: s.mandateSha ?? "",
      record: record as unknown as Record<string, unknown>,
    };
  }

  /**
   * The last check before the wire, run by the client after every wait:
   * refuses (throws NotSentError) when the server is shutting down, a HALT
   * is present for a call that adds risk, or the mandate is not the one
   * decided on (changed, removed, expired since).
   */
  private lastCheck(s: Settled): () => void {
    return () => {
      if (this.closing) throw new NotSentError("shutdown", "the server was shutting down, so the order was not sent");
      if (!this.paths) throw new NotSentError("halt_recheck", "no valid broker key, so nothing was sent");
      if (!this.stores.lock.held()) throw new NotSentError("order_lock", "the order lock was lost (the shared state database connection dropped) before the order left; nothing was sent");
      const risky = s.call.tool !== "cancel_order" && s.call.tool !== "cancel_all_orders";
      if (risky) {
        const halt = this.stores.halt.current();
        if (isHalted(halt)) throw new NotSentError("halt_recheck", `trading was halted before the order left${halt.error ? ` (${halt.error})` : ""}; nothing was sent`);
      }
      // The same bytes as decided on: the same mandate, so its expiry is the one the decision read.
      if (this.stores.mandate.sha() !== s.mandateSha) throw new NotSentError("mandate_changed", "the mandate changed after this order was decided; nothing was sent, so decide again with the mandate now in force");
      if (risky && s.expiresMs !== undefined && (s.expiresMs === null || this.clock.now() >= s.expiresMs)) {
        throw new NotSentError("mandate_changed", "the mandate expired before the order left; nothing was sent");
      }
    };
  }

  /** Send each call still going, once; classify what came back. */
  private async send(settled: Settled[]): Promise<void> {
    const go = settled.filter((s) => s.decision?.allowed && s.outcome.type === "unknown");
    await Promise.all(
      go.map(async (s) => {
        if (s.entryOrders) {
          s.outcome = await this.cancelEntryOrders(s, s.entryOrders);
          return;
        }
        const sentAt = this.clock.now();
        try {
          const res = await this.deps.client.post<Record<string, unknown>>(s.call.path, s.call.body, {
            beforeSend: this.lastCheck(s),
          });
          this.crashIf("answer");
          s.outcome = { type: "accepted", response: res.result };
        } catch (err) {
          s.outcome = await this.afterForwardError(s, err, sentAt);
        }
      }),
    );
  }

  /** cancel_all while halted or expired: each entry order cancelled by id; protective orders stay. */
  private async cancelEntryOrders(s: Settled, orders: NonNullable<Settled["entryOrders"]>): Promise<Outcome> {
    const results = await Promise.all(
      orders.cancel.map(async (o) => {
        const body = { category: o.category, symbol: o.symbol, orderId: o.orderId };
        try {
          await this.deps.client.post("/v5/order/cancel", body, { beforeSend: this.lastCheck(s) });
          return { orderId: o.orderId, orderLinkId: o.orderLinkId ?? "", ok: true as const };
        } catch (err) {
          return { orderId: o.orderId, orderLinkId: o.orderLinkId ?? "", ok: false as const, error: errorMessage(err) };
        }
      }),
    );
    const kept = orders.kept.map((o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId ?? "", kept_because: protectionOf(o).join(", ") }));
    const response = { list: results.filter((r) => r.ok).map(({ orderId, orderLinkId }) => ({ orderId, orderLinkId })), kept_protective: kept };
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      return { type: "rejected", retCode: null, retMsg: `${failed.length} of ${results.length} cancels failed: ${failed.map((f) => `${f.orderId} (${f.error})`).join("; ")}`, response: { ...response, failed } };
    }
    return { type: "accepted", response, note: `While halted or expired only entry orders are cancelled: ${results.length} cancelled, ${kept.length} protective kept.` };
  }

  private async afterForwardError(s: Settled, err: unknown, sentAt: number): Promise<Outcome> {
    const c = classifyForwardError(s.call.tool, err);
    switch (c.kind) {
      case "not_sent":
        return { type: "refused", step: c.step, reason: c.reason };
      case "not_modified":
        return { type: "accepted", response: { not_modified: true, ret_code: c.retCode, ret_msg: c.retMsg }, note: "Already set; nothing changed." };
      case "refused":
        return { type: "rejected", retCode: c.retCode, retMsg: c.retMsg, response: { retCode: c.retCode, retMsg: c.retMsg } };
      case "maybe":
        break;
    }
    if (!c.expected) this.deps.logger.error("unexpected error after sending", { error: err, order_link_id: s.call.orderLinkId });
    const body = s.call.body;
    if (s.call.tool !== "place_order" || !s.call.orderLinkId) return { type: "unknown", detail: c.detail };
    const found = await lookupSentOrder(this.deps.client, {
      category: s.call.intent.category,
      symbol: s.call.intent.symbol,
      orderLinkId: s.call.orderLinkId,
      side: String(body.side),
      qty: String(body.qty),
      price: body.orderType === "Limit" ? String(body.price) : undefined,
      notBeforeMs: sentAt + this.deps.client.clockOffsetMs - 1000,
    });
    if (found.found && found.status === "accepted") {
      const { orderId, orderStatus } = found.row;
      return { type: "accepted", response: { orderId, orderLinkId: s.call.orderLinkId, orderStatus }, note: "Confirmed by orderLinkId lookup after the connection failed." };
    }
    if (found.found) return { type: "rejected", retCode: null, retMsg: `order found by orderLinkId with status ${String(found.row.orderStatus)}`, response: found.row };
    const why = found.mismatch
      ? `an order with that orderLinkId exists but is not the one sent (${found.mismatch})`
      : found.error
        ? `the lookup by orderLinkId failed too (${found.error})`
        : "no order with that orderLinkId was found yet";
    return { type: "unknown", detail: `${c.detail} After that, ${why}.` };
  }

  /**
   * Write each call's one ledger record (one group append); then close the
   * journal entries and give back trades counted for orders that provably
   * did not execute. Builds each call's result.
   */
  private async finish(settled: Settled[]): Promise<CallToolResult[]> {
    this.crashIf("record");
    let records: (AuditRecord | null)[] = settled.map(() => null);
    let auditError: string | undefined;
    const now = this.clock.now();
    // Refused or rejected: provably not executed, so the trade is given back with the records. Unknown keeps it.
    const giveBack = settled.filter((s) => s.counted && (s.outcome.type === "refused" || s.outcome.type === "rejected"));
    try {
      records = await this.stores.ledger.appendManyAsync(
        settled.map((s) => ledgerInput(this.ctx, { ...s, extra: s.approvalId ? { approval_id: s.approvalId } : undefined })),
        {
          ...(giveBack.length > 0 ? { release: { nowMs: now, by: giveBack.length } } : {}),
          // Over-counting is the safe side: fewer orders today, never more.
          onReleaseError: (err) => this.deps.logger.error("could not give back trades counted for orders that did not execute", { error: err, trades: giveBack.length }),
        },
      );
    } catch (err) {
      auditError = `the outcome could not be written to the ledger: ${errorMessage(err)}`;
      this.deps.logger.error(auditError);
    }
    const journal = this.stores.journal;
    // Without its record an entry stays open (still counted): the next batch's reconcile writes it and gives the trade back.
    if (journal && !auditError) {
      await journal
        .close(
          settled
            .filter((s) => s.journaled)
            .map((s) => ({ op: "close" as const, decision_id: s.decisionId, outcome: journalOutcome(s.outcome), audit_id: records[settled.indexOf(s)]?.audit_id ?? null, ts_ms: now, ...(giveBack.includes(s) ? { released: true } : {}) })),
        )
        .catch((err: unknown) => this.deps.logger.error("could not close journal entries; they will be reconciled", { error: err }));
    }
    const environment = this.environment();
    return settled.map((s, i) =>
      toToolResult(s.outcome, {
        remoteTool: s.remoteTool,
        broker: this.broker,
        environment,
        orderLinkId: s.call.orderLinkId,
        decision: s.decision,
        record: records[i] ?? null,
        auditError,
        approval: s.approval,
      }),
    );
  }

  private crashIf(point: CrashPoint): void {
    if (this.opts.crashAt === point) process.kill(process.pid, "SIGKILL");
  }
}

function newDecisionId(): string {
  return `dec_${randomBytes(12).toString("hex")}`;
}

/** Not read is not empty: facts that were skipped stay unknown, so nothing could pass on them. */
function notRead(exchange: ExchangeFacts, needs: GatherNeeds): void {
  exchange.positions = null;
  exchange.positionsError = "not read: the call was refused on local facts";
  if (!needs.openOrders) {
    exchange.openOrders = null;
    exchange.openOrdersError = exchange.positionsError;
  }
}

/**
 * Whether a resting order is one that cancel_all with this body would
 * cancel. Conservative: a row that cannot be placed in scope is left alone.
 */
function inCancelScope(o: OrderRow, body: Record<string, unknown>): boolean {
  if (o.category !== body.category) return false;
  const symbol = String(o.symbol).toUpperCase();
  if (typeof body.symbol === "string" && symbol !== body.symbol) return false;
  if (typeof body.baseCoin === "string" && !symbol.startsWith(body.baseCoin)) return false;
  if (typeof body.settleCoin === "string" && !symbol.endsWith(body.settleCoin)) return false;
  return true;
}

/** The ledger's pointers to the mandate in force: its consent token hash and account_ref. */
function mandateRefs(m: MandateRead): MandateRefs {
  if (!m.load.ok) return { snapshot: null, consent: null };
  return { snapshot: m.load.mandate.consent.consent_token_sha256, consent: m.load.mandate.consent.account_ref };
}
