/**
 * The write path. Orders (place, amend) queue in-process and are taken in
 * batches under the per-broker flock: facts are read once per batch (local
 * files and live exchange reads in parallel), each call is decided by the
 * pure gate (see batch.ts for how calls of one batch see each other), and
 * only allowed calls go on: HALT is re-checked, pending audit records
 * carrying the orderLinkIds are written (one fsync per file for the batch)
 * while the new orders are counted ahead (a counter that cannot be written
 * stops them), the calls are forwarded once each, orders that were not
 * accepted give their count back while the outcome records are written, and
 * the lock is released. Cancels, leverage
 * and trading stops take the same path as a batch of one, without the lock.
 *
 * Any failure before the forward means nothing is sent; any doubt after it
 * means "unknown" after a lookup by orderLinkId, never a resend.
 */
import type { CallToolResult } from "../tools/result.js";
import { randomBytes } from "node:crypto";
import type { BybitClient } from "../bybit/client.js";
import { configSecrets, type Config } from "../config.js";
import { BadResponseError, BybitApiError, HttpStatusError, LockError, NetworkError, RulesError, TimeoutError } from "../errors.js";
import { decide, loadRuleSet, type RuleSet } from "../gate/index.js";
import type { Decision, RawFacts } from "../gate/types.js";
import type { Logger } from "../log.js";
import { AuditLedger, incrementTradesTodayAsync, readHalt, releaseTradesToday, runtimePaths, withOrderLock, type AuditInput, type AuditRecord, type RuntimePaths } from "../state/index.js";
import { emptyLanded, land, withLanded } from "./batch.js";
import { findOrder, mergeNeeds, quoteKey, readExchangeFacts, readLocalFacts } from "./gather.js";
import { lookupByOrderLinkId } from "./lookup.js";
import type { NormalizedCall } from "./normalize.js";
import { acceptedResult, blockedResult, gateSummary, rejectedResult, unknownResult } from "./results.js";
import { mandateStatus, type MandateStatus } from "./status.js";

export interface TradingOptions {
  /** How long to wait for another process's order lock before denying. */
  lockTimeoutMs?: number;
  maxQuoteAgeMs?: number;
  /** Most calls decided under one lock (and one read of the facts). */
  maxBatch?: number;
  now?: () => number;
}

/**
 * Exchange answers that mean "maybe done" rather than "refused": server
 * errors and timeouts behind Bybit's gateway (10000 Server Timeout, 10016,
 * spot 170007 backend timeout, 170146/170147 order create/cancel timeout).
 */
const UNKNOWN_RET_CODES = new Set([10000, 10016, 170007, 170146, 170147]);
/** "Not modified" answers: the state already is what was asked. */
const NOT_MODIFIED: Record<string, number> = { set_leverage: 110043, set_trading_stop: 34040 };

interface Item {
  call: NormalizedCall;
  remoteTool: string;
}

interface Queued extends Item {
  resolve: (r: CallToolResult) => void;
  reject: (e: unknown) => void;
}

/** What finish() learned writing the outcome records, for building a call's result. */
interface Written {
  record: AuditRecord | null;
  auditError?: string;
  warnings: string[];
}

/** Trades counted before sending (same UTC day as nowMs). */
interface Reservation {
  count: number;
  nowMs: number;
}

interface MandateRefs {
  snapshot: string | null;
  consent: string | null;
}

/** One call's way through a batch. */
interface Entry extends Item {
  /** Names the decision in every record it leads to (pending, outcome or refusal). */
  decisionId: string;
  decision: Decision;
  refs: MandateRefs;
  pending?: AuditRecord;
  /** The outcome record, written with the batch's others once every call has been answered. */
  outcome?: Partial<AuditInput> & Pick<AuditInput, "outcome">;
  /** Builds the tool result once the outcome record has (or has not) been written. */
  result?: (written: Written) => CallToolResult;
  counted?: boolean;
}

export class TradingService {
  private ruleSetCache: RuleSet | RulesError | undefined;
  private readonly queue: Queued[] = [];
  private draining = false;
  readonly paths: RuntimePaths | null;
  private readonly ledger: AuditLedger;
  private readonly now: () => number;

  constructor(
    private readonly deps: { config: Config; client: BybitClient; logger: Logger },
    private readonly opts: TradingOptions = {},
  ) {
    const { config } = deps;
    this.paths = config.brokerKey ? runtimePaths(config.runtimeRoot, config.brokerKey) : null;
    // The ledger lives at live/audit.jsonl whatever the broker; an invalid broker key still gets audited.
    this.ledger = new AuditLedger(this.paths ?? runtimePaths(config.runtimeRoot, "invalid-broker-key"), {
      extraSecrets: configSecrets(config),
    });
    this.now = opts.now ?? Date.now;
  }

  get broker(): string {
    return this.deps.config.brokerKey ?? this.deps.config.brokerKeyRaw;
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

  /** Mandate, halt, counter, exposure and rules state (bybit_get_mandate_status, `mandate status`). */
  status(): Promise<MandateStatus> {
    return mandateStatus({ config: this.deps.config, client: this.deps.client, paths: this.paths, ruleSet: this.ruleSet(), nowMs: this.now() });
  }

  /** Gather facts and decide, without forwarding, counting or auditing (bybit_check_order). */
  async check(call: NormalizedCall): Promise<Decision> {
    const [entry] = await this.decideAll([{ call, remoteTool: "bybit_check_order" }]);
    return (entry as Entry).decision;
  }

  /** Run a gated write end to end; see the module comment. */
  execute(call: NormalizedCall, remoteTool: string): Promise<CallToolResult> {
    const ordered = call.tool === "place_order" || call.tool === "amend_order";
    if (!ordered || !this.paths) return this.runUnlocked({ call, remoteTool });
    return new Promise((resolve, reject) => {
      this.queue.push({ call, remoteTool, resolve, reject });
      void this.drain();
    });
  }

  private async runUnlocked(item: Item): Promise<CallToolResult> {
    const entries = await this.decideAll([item]);
    return (await this.finish(entries, await this.forward(entries)))[0] as CallToolResult;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
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
      this.draining = false;
    }
  }

  /** Decide, forward, count and audit a batch under the per-broker flock. */
  private async lockedBatch(batch: Item[]): Promise<CallToolResult[]> {
    const paths = this.paths as RuntimePaths;
    let locked = false;
    try {
      return await withOrderLock(paths, { timeoutMs: this.opts.lockTimeoutMs ?? 5000 }, async () => {
        locked = true;
        const entries = await this.decideAll(batch);
        return this.finish(entries, await this.forward(entries));
      });
    } catch (err) {
      // Only a lock never taken means nothing was sent; anything later is not ours to refuse.
      if (locked || !(err instanceof LockError)) throw err;
      // Refused whatever the facts: decided from the local files only, for the record.
      const entries = await this.decideAll(batch, { exchangeReads: false });
      for (const e of entries) this.refuse(e, override(e.decision, err.message, "order_lock"));
      return this.finish(entries);
    }
  }

  /** Read the facts once and decide each call in order, each seeing the allowed calls before it. */
  private async decideAll(items: Item[], opts: { exchangeReads?: boolean } = {}): Promise<Entry[]> {
    const { config, client } = this.deps;
    const local = readLocalFacts(this.paths, config.brokerKey, config.brokerKeyRaw, this.now());
    // No exchange reads when the local files already refuse every call of the batch:
    // no valid mandate refuses every tool; a halt refuses all but cancels, which read nothing.
    const halted = local.halt.global || local.halt.broker || Boolean(local.halt.error);
    const read = opts.exchangeReads !== false && local.mandate.ok && !halted;
    const exchange = await readExchangeFacts(
      client,
      items.map((i) => i.call.intent),
      read ? mergeNeeds(items.map((i) => i.call.tool)) : { quote: false, exposure: false, openOrders: false },
    );
    if (!read) {
      // Not read is not empty: facts that were skipped stay unknown, so nothing could pass on them.
      exchange.positions = null;
      exchange.positionsError = "not read: the call was refused on local facts";
      exchange.openOrders = null;
      exchange.openOrdersError = exchange.positionsError;
    }
    const refs = mandateRefs(local.mandate);
    const landed = emptyLanded();
    const entries: Entry[] = [];
    for (const [index, item] of items.entries()) {
      const intent = { ...item.call.intent };
      if (item.call.tool === "amend_order") {
        const existing = findOrder(exchange.openOrders, { orderId: item.call.orderId, orderLinkId: item.call.orderLinkId }, intent.category, intent.symbol);
        intent.existingOrder = existing;
        if (existing) {
          intent.side = existing.side;
          intent.positionIdx = existing.positionIdx;
        }
      }
      const quote = exchange.quotes.get(quoteKey(intent.category, intent.symbol));
      const raw = withLanded(
        {
          nowMs: this.now(),
          mandate: local.mandate,
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
      const decision = await decide(this.ruleSet(), intent, raw, { maxQuoteAgeMs: this.opts.maxQuoteAgeMs });
      if (decision.allowed) land(landed, intent, decision, index);
      entries.push({ ...item, decisionId: `dec_${randomBytes(12).toString("hex")}`, decision, refs });
    }
    return entries;
  }

  /**
   * For the allowed entries: re-check HALT, write pending records and count
   * the new orders (in parallel), forward each once. Returns how many trades
   * were counted ahead, for finish() to give back those not accepted.
   */
  private async forward(entries: Entry[]): Promise<Reservation> {
    const reservation: Reservation = { count: 0, nowMs: this.now() };
    for (const e of entries) if (!e.decision.allowed) this.refuse(e, e.decision);
    let go = entries.filter((e) => e.decision.allowed);
    if (go.length === 0) return reservation;

    const risky = go.filter((e) => e.call.tool !== "cancel_order" && e.call.tool !== "cancel_all_orders");
    if (risky.length > 0 && this.paths) {
      // The kill switch may have been tripped while the exchange was being read.
      const halt = readHalt(this.paths);
      if (halt.global || halt.broker || halt.error) {
        const reason = `trading is halted${halt.error ? ` (${halt.error})` : ""}; nothing was sent`;
        for (const e of risky) this.refuse(e, override(e.decision, reason, "halt_flag"));
        go = go.filter((e) => !risky.includes(e));
      }
    }

    // Pending records first (their fsyncs run on the thread pool), and meanwhile the
    // new orders are counted: a failure to count stops them before they are sent.
    const pendingWrite = this.ledger.appendManyAsync(go.map((e) => this.auditInput(e, { outcome: "pending", broker_response: null, error: null })));
    const places = go.filter((e) => e.call.tool === "place_order");
    let counterError: string | undefined;
    const counting =
      places.length > 0 && this.paths
        ? incrementTradesTodayAsync(this.paths, reservation.nowMs, places.length).then(
            () => {
              reservation.count = places.length;
            },
            (err: unknown) => {
              counterError = `the trade counter could not be written, so the order was not sent (${err instanceof Error ? err.message : String(err)})`;
            },
          )
        : Promise.resolve();
    await Promise.allSettled([pendingWrite, counting]);
    try {
      const records = await pendingWrite;
      go.forEach((e, i) => (e.pending = records[i]));
    } catch (err) {
      const reason = `the audit ledger could not be written, so nothing was sent (${err instanceof Error ? err.message : String(err)})`;
      this.deps.logger.error("audit write failed before forwarding; denied", { error: err });
      for (const e of go) {
        const decision = override(e.decision, reason, "audit_ledger");
        e.decision = decision;
        e.result = () => blockedResult({ decision, broker: this.broker, remoteTool: e.remoteTool, record: null, auditError: reason });
      }
      return reservation;
    }
    if (counterError) {
      this.deps.logger.error(counterError);
      for (const e of places) this.refuse(e, override(e.decision, counterError, "max_trades_per_day"));
      go = go.filter((e) => !places.includes(e));
    }

    await Promise.all(
      go.map(async (e) => {
        try {
          const res = await this.deps.client.post<Record<string, unknown>>(e.call.path, e.call.body);
          this.accept(e, res.result);
        } catch (err) {
          await this.afterForwardError(e, err);
        }
      }),
    );
    return reservation;
  }

  private accept(e: Entry, response: unknown, note?: string): void {
    e.counted = e.call.tool === "place_order";
    e.outcome = { outcome: "accepted", broker_response: response, error: null, extra: { pending_audit_id: e.pending?.audit_id } };
    e.result = (w) =>
      acceptedResult({ remoteTool: e.remoteTool, brokerResponse: response, auditId: w.record?.audit_id ?? e.pending?.audit_id ?? null, decision: e.decision, note, warnings: w.warnings });
  }

  private reject(e: Entry, retCode: number | null, retMsg: string, response: unknown): void {
    e.outcome = { kind: "order_rejected", outcome: "rejected", broker_response: response, error: retMsg, extra: { pending_audit_id: e.pending?.audit_id } };
    e.result = (w) => rejectedResult({ retCode, retMsg, auditId: w.record?.audit_id ?? e.pending?.audit_id ?? null, remoteTool: e.remoteTool, orderLinkId: e.call.orderLinkId });
  }

  private unknown(e: Entry, detail: string): void {
    e.outcome = { outcome: "unknown", broker_response: null, error: detail, extra: { pending_audit_id: e.pending?.audit_id } };
    e.result = (w) => unknownResult({ orderLinkId: e.call.orderLinkId, auditId: w.record?.audit_id ?? e.pending?.audit_id ?? null, remoteTool: e.remoteTool, detail });
  }

  private async afterForwardError(e: Entry, err: unknown): Promise<void> {
    if (err instanceof BybitApiError && NOT_MODIFIED[e.call.tool] === err.retCode) {
      return this.accept(e, { not_modified: true, ret_code: err.retCode, ret_msg: err.retMsg }, "Already set; nothing changed.");
    }
    const refused =
      (err instanceof BybitApiError && !UNKNOWN_RET_CODES.has(err.retCode)) ||
      (err instanceof HttpStatusError && err.httpStatus < 500) ||
      (err instanceof NetworkError && !err.maybeSent);
    if (refused) {
      const retCode = err instanceof BybitApiError ? err.retCode : null;
      const retMsg = err instanceof BybitApiError ? err.retMsg : (err as Error).message;
      return this.reject(e, retCode, retMsg, { retCode, retMsg });
    }
    const known = err instanceof TimeoutError || err instanceof NetworkError || err instanceof BadResponseError || err instanceof HttpStatusError || err instanceof BybitApiError;
    if (!known) this.deps.logger.error("unexpected error after sending", { error: err, order_link_id: e.call.orderLinkId });
    const detail = known ? `${(err as Error).message}.` : "An unexpected error happened after sending.";
    if (e.call.tool !== "place_order" || !e.call.orderLinkId) return this.unknown(e, detail);
    const found = await lookupByOrderLinkId(this.deps.client, e.call.intent.category, e.call.intent.symbol, e.call.orderLinkId);
    if (found.found && found.status === "accepted") {
      const { orderId, orderStatus } = found.row;
      return this.accept(e, { orderId, orderLinkId: e.call.orderLinkId, orderStatus }, "Confirmed by orderLinkId lookup after the connection failed.");
    }
    if (found.found) return this.reject(e, null, `order found by orderLinkId with status ${found.row.orderStatus}`, found.row);
    const why = found.error ? `the lookup by orderLinkId failed too (${found.error})` : "no order with that orderLinkId was found yet";
    return this.unknown(e, `${detail} After that, ${why}.`);
  }

  private refuse(e: Entry, decision: Decision): void {
    e.decision = decision;
    e.outcome = { kind: "breach", outcome: "blocked", broker_response: null, error: decision.reason };
    e.result = ({ record, auditError }) =>
      blockedResult({ decision, broker: this.broker, remoteTool: e.remoteTool, record: record ?? null, auditError });
  }

  /**
   * Write the outcome records (one group append) and, meanwhile, give back
   * trades counted for orders that were not accepted. Then build each call's
   * result.
   */
  private async finish(entries: Entry[], reservation: Reservation = { count: 0, nowMs: 0 }): Promise<CallToolResult[]> {
    const toWrite = entries.filter((e) => e.outcome);
    const written = this.ledger.appendManyAsync(toWrite.map((e) => this.auditInput(e, e.outcome!))).then(
      (records) => ({ records, auditError: undefined }),
      (err: unknown) => ({ records: null, auditError: `the outcome could not be written to the ledger: ${err instanceof Error ? err.message : String(err)}` }),
    );
    // Orders counted ahead but not accepted (refused, unknown) give their trade back.
    const unused = reservation.count - entries.filter((e) => e.counted).length;
    if (unused > 0 && this.paths) {
      await releaseTradesToday(this.paths, reservation.nowMs, unused).catch((err: unknown) => {
        // Over-counting is the safe side: fewer orders today, never more.
        this.deps.logger.error("could not give back trades counted for orders that were not accepted", { error: err, trades: unused });
      });
    }
    const { records, auditError } = await written;
    if (auditError) this.deps.logger.error(auditError);
    return entries.map((e) => {
      const i = toWrite.indexOf(e);
      const record = records && i >= 0 ? (records[i] as AuditRecord) : null;
      const warnings = auditError && e.outcome && e.outcome.outcome !== "blocked" ? [`${auditError}; the pending record ${e.pending?.audit_id ?? "(none)"} stands`] : [];
      if (!e.result) {
        // Every path sets a result; if one ever does not, say "unknown" rather than fail the whole batch.
        this.deps.logger.error("a batch entry ended without a result", { decision_id: e.decisionId, order_link_id: e.call.orderLinkId });
        return unknownResult({ orderLinkId: e.call.orderLinkId, auditId: e.pending?.audit_id ?? null, remoteTool: e.remoteTool, detail: "The server lost track of this call's outcome." });
      }
      return e.result({ record, auditError, warnings });
    });
  }

  private auditInput(e: Entry, o: Partial<AuditInput> & Pick<AuditInput, "outcome">): AuditInput {
    const kind = o.kind ?? (e.call.tool === "cancel_order" || e.call.tool === "cancel_all_orders" ? "order_cancelled" : "order_placed");
    return {
      kind,
      session_id: this.deps.config.sessionId,
      intent_normalized: e.decision.intent_normalized,
      mandate_snapshot_ref: e.refs.snapshot,
      consent_record_ref: e.refs.consent,
      broker_request: { path: e.call.path, body: e.call.body },
      broker_response: o.broker_response ?? null,
      outcome: o.outcome,
      gate_decision: e.decision.decision,
      server: "bybit-mcp",
      remote_tool: e.remoteTool,
      error: o.error ?? null,
      // Ours, after Vibe-Trading's keys: which decision, under which rules, on which facts.
      extra: {
        decision_id: e.decisionId,
        rules_revision: e.decision.rules_revision,
        order_link_id: e.call.orderLinkId ?? null,
        explanation: gateSummary(e.decision),
        breach: e.decision.breach ?? null,
        // The facts belong to the decision: on the pending or refusal record, not again on the outcome.
        ...(o.outcome === "pending" || o.outcome === "blocked" ? { facts: e.decision.facts } : {}),
        ...o.extra,
      },
    };
  }
}

/** The ledger's pointers to the mandate in force: its consent token hash and account_ref. */
function mandateRefs(mandate: RawFacts["mandate"]): MandateRefs {
  if (!mandate.ok) return { snapshot: null, consent: null };
  return { snapshot: mandate.mandate.consent.consent_token_sha256, consent: mandate.mandate.consent.account_ref };
}

/** Turn a decision into a deny decided by a pipeline step outside the rules (lock, halt re-check, ledger). */
function override(d: Decision, reason: string, step: string): Decision {
  return {
    ...d,
    decision: "deny",
    allowed: false,
    requires_reauthorization: false,
    reason,
    decided_by: step,
    breach: { limit: step, kind: "pipeline", limit_value: null, attempted_value: null, overage: null, detail: reason },
  };
}
