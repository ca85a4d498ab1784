/**
 * The write path. For each gated call: queue in-process, take the
 * per-broker flock (place/amend), gather facts (local files + live exchange
 * reads in parallel), ask the pure gate, and only on `allow`: re-check HALT,
 * write a pending audit record carrying the orderLinkId, forward once, count
 * an accepted order, audit the outcome. Any failure before the forward means
 * nothing is sent; any doubt after it means "unknown" after a lookup, never a
 * resend.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { BybitClient } from "../bybit/client.js";
import type { Config } from "../config.js";
import { BadResponseError, BybitApiError, HttpStatusError, LockError, NetworkError, RulesError, TimeoutError } from "../errors.js";
import { decide, loadRuleSet, type RuleSet } from "../gate/index.js";
import type { Decision, RawFacts } from "../gate/types.js";
import type { Logger } from "../log.js";
import {
  AuditLedger,
  incrementTradesToday,
  readHalt,
  runtimePaths,
  withOrderLock,
  type AuditInput,
  type AuditRecord,
  type RuntimePaths,
} from "../state/index.js";
import { findOrder, needsFor, readExchangeFacts, readLocalFacts } from "./gather.js";
import { lookupByOrderLinkId } from "./lookup.js";
import { Mutex } from "./mutex.js";
import { mandateStatus, type MandateStatus } from "./status.js";
import type { NormalizedCall } from "./normalize.js";
import { acceptedResult, blockedResult, gateSummary, rejectedResult, unknownResult } from "./results.js";

export interface TradingOptions {
  /** How long to wait for another process's order lock before denying. */
  lockTimeoutMs?: number;
  maxQuoteAgeMs?: number;
  now?: () => number;
}

/** Exchange answers that mean "refused, nothing done" are final; these mean "maybe done". */
const UNKNOWN_RET_CODES = new Set([10016]);
/** "Not modified" answers: the state already is what was asked. */
const NOT_MODIFIED: Record<string, number> = { set_leverage: 110043, set_trading_stop: 34040 };

export class TradingService {
  private ruleSetCache: RuleSet | RulesError | undefined;
  private readonly mutex = new Mutex();
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
      extraSecrets: [config.apiKey, config.apiSecret, config.httpToken].filter((s) => s.length >= 4),
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
  async check(call: NormalizedCall): Promise<{ decision: Decision; raw: RawFacts }> {
    return this.decideCall(call);
  }

  /** Run a gated write end to end; see the class comment. */
  async execute(call: NormalizedCall, remoteTool: string): Promise<CallToolResult> {
    const locked = call.tool === "place_order" || call.tool === "amend_order";
    if (!locked || !this.paths) return this.executeUnlocked(call, remoteTool);
    const paths = this.paths;
    return this.mutex.run(async () => {
      try {
        return await withOrderLock(paths, { timeoutMs: this.opts.lockTimeoutMs ?? 5000 }, () => this.executeUnlocked(call, remoteTool));
      } catch (err) {
        if (!(err instanceof LockError)) throw err;
        const { decision, raw } = await this.decideCall(call);
        return this.refuse(call, remoteTool, override(decision, err.message, "order_lock"), mandateRefs(raw));
      }
    });
  }

  private async decideCall(call: NormalizedCall): Promise<{ decision: Decision; raw: RawFacts }> {
    const { config, client } = this.deps;
    const intent = { ...call.intent };
    const local = readLocalFacts(this.paths, config.brokerKey, config.brokerKeyRaw, this.now());
    const exchange = await readExchangeFacts(client, intent, needsFor(call.tool));
    if (call.tool === "amend_order") {
      const existing = findOrder(exchange.openOrders, { orderId: call.orderId, orderLinkId: call.orderLinkId }, intent.symbol);
      intent.existingOrder = existing;
      if (existing) intent.side = existing.side;
    }
    const raw: RawFacts = { nowMs: this.now(), ...local, ...exchange };
    const decision = await decide(this.ruleSet(), intent, raw, { maxQuoteAgeMs: this.opts.maxQuoteAgeMs });
    return { decision, raw };
  }

  private async executeUnlocked(call: NormalizedCall, remoteTool: string): Promise<CallToolResult> {
    const checked = await this.decideCall(call);
    let decision = checked.decision;
    const refs = mandateRefs(checked.raw);
    if (!decision.allowed) return this.refuse(call, remoteTool, decision, refs);

    const reducesRisk = call.tool === "cancel_order" || call.tool === "cancel_all_orders";
    if (!reducesRisk && this.paths) {
      // The kill switch may have been tripped while we were reading the exchange.
      const halt = readHalt(this.paths);
      if (halt.global || halt.broker || halt.error) {
        decision = override(decision, `trading is halted${halt.error ? ` (${halt.error})` : ""}; nothing was sent`, "halt_flag");
        return this.refuse(call, remoteTool, decision, refs);
      }
    }

    let pending: AuditRecord;
    try {
      pending = this.audit(call, remoteTool, decision, refs, { outcome: "pending", broker_response: null, error: null });
    } catch (err) {
      const reason = `the audit ledger could not be written, so the order was not sent (${err instanceof Error ? err.message : String(err)})`;
      this.deps.logger.error("audit write failed before forwarding; denied", { error: err });
      return blockedResult({ decision: override(decision, reason, "audit_ledger"), broker: this.broker, remoteTool, record: null, auditError: reason });
    }

    let response: unknown;
    try {
      response = (await this.deps.client.post<Record<string, unknown>>(call.path, call.body)).result;
    } catch (err) {
      return this.afterForwardError(call, remoteTool, decision, refs, pending, err);
    }
    return this.accepted(call, remoteTool, decision, refs, response, pending.audit_id);
  }

  private accepted(call: NormalizedCall, remoteTool: string, decision: Decision, refs: MandateRefs, response: unknown, pendingId: string, note?: string): CallToolResult {
    const warnings: string[] = [];
    let tradesToday: number | undefined;
    if (call.tool === "place_order" && this.paths) {
      try {
        tradesToday = incrementTradesToday(this.paths, this.now());
      } catch (err) {
        // The order is on the exchange; the corrupt counter now stops further orders (fail closed).
        warnings.push(`the trade counter could not be updated (${err instanceof Error ? err.message : String(err)}); further orders are blocked until it is fixed`);
      }
    }
    let auditId: string | null = null;
    try {
      auditId = this.audit(call, remoteTool, decision, refs, {
        outcome: "accepted",
        broker_response: response,
        error: null,
        extra: { pending_audit_id: pendingId, trades_today: tradesToday },
      }).audit_id;
    } catch (err) {
      warnings.push(`the outcome could not be written to the ledger (${err instanceof Error ? err.message : String(err)}); the pending record ${pendingId} stands`);
    }
    for (const w of warnings) this.deps.logger.error(w);
    return acceptedResult({ remoteTool, brokerResponse: response, auditId: auditId ?? pendingId, decision, note, warnings });
  }

  private async afterForwardError(call: NormalizedCall, remoteTool: string, decision: Decision, refs: MandateRefs, pending: AuditRecord, err: unknown): Promise<CallToolResult> {
    const notModified = NOT_MODIFIED[call.tool];
    if (err instanceof BybitApiError && notModified === err.retCode) {
      return this.accepted(call, remoteTool, decision, refs, { not_modified: true, ret_code: err.retCode, ret_msg: err.retMsg }, pending.audit_id, "Already set; nothing changed.");
    }
    const refused =
      (err instanceof BybitApiError && !UNKNOWN_RET_CODES.has(err.retCode)) ||
      (err instanceof HttpStatusError && err.httpStatus < 500) ||
      (err instanceof NetworkError && !err.maybeSent);
    if (refused) {
      const retCode = err instanceof BybitApiError ? err.retCode : null;
      const retMsg = err instanceof BybitApiError ? err.retMsg : (err as Error).message;
      const rec = this.tryAudit(call, remoteTool, decision, refs, {
        kind: "order_rejected",
        outcome: "rejected",
        broker_response: { retCode, retMsg },
        error: retMsg,
        extra: { pending_audit_id: pending.audit_id },
      });
      return rejectedResult({ retCode, retMsg, auditId: rec?.audit_id ?? pending.audit_id, remoteTool, orderLinkId: call.orderLinkId });
    }
    const unknownKind = err instanceof TimeoutError || err instanceof NetworkError || err instanceof BadResponseError || err instanceof HttpStatusError || err instanceof BybitApiError;
    const detail = unknownKind ? `${(err as Error).message}.` : "an unexpected error happened after sending.";
    if (call.tool === "place_order" && call.orderLinkId) {
      const found = await lookupByOrderLinkId(this.deps.client, call.intent.category, call.intent.symbol, call.orderLinkId);
      if (found.found && found.status === "accepted") {
        return this.accepted(call, remoteTool, decision, refs, { orderId: found.row.orderId, orderLinkId: call.orderLinkId, orderStatus: found.row.orderStatus }, pending.audit_id, "Confirmed by orderLinkId lookup after the connection failed.");
      }
      if (found.found) {
        const rec = this.tryAudit(call, remoteTool, decision, refs, { kind: "order_rejected", outcome: "rejected", broker_response: found.row, error: `order ${found.row.orderStatus}`, extra: { pending_audit_id: pending.audit_id } });
        return rejectedResult({ retCode: null, retMsg: `order found by orderLinkId with status ${found.row.orderStatus}`, auditId: rec?.audit_id ?? pending.audit_id, remoteTool, orderLinkId: call.orderLinkId });
      }
      const why = found.error ? `the lookup by orderLinkId failed too (${found.error})` : "no order with that orderLinkId was found yet";
      const rec = this.tryAudit(call, remoteTool, decision, refs, { outcome: "unknown", broker_response: null, error: `${detail} ${why}`, extra: { pending_audit_id: pending.audit_id } });
      return unknownResult({ orderLinkId: call.orderLinkId, auditId: rec?.audit_id ?? pending.audit_id, remoteTool, detail: `${detail} After that, ${why}.` });
    }
    const rec = this.tryAudit(call, remoteTool, decision, refs, { outcome: "unknown", broker_response: null, error: detail, extra: { pending_audit_id: pending.audit_id } });
    return unknownResult({ orderLinkId: call.orderLinkId, auditId: rec?.audit_id ?? pending.audit_id, remoteTool, detail });
  }

  private refuse(call: NormalizedCall, remoteTool: string, decision: Decision, refs: MandateRefs): CallToolResult {
    let record: AuditRecord | null = null;
    let auditError: string | undefined;
    try {
      record = this.audit(call, remoteTool, decision, refs, { kind: "breach", outcome: "blocked", broker_response: null, error: decision.reason });
    } catch (err) {
      auditError = `the refusal could not be written to the ledger: ${err instanceof Error ? err.message : String(err)}`;
      this.deps.logger.error(auditError);
    }
    return blockedResult({ decision, broker: this.broker, remoteTool, record, auditError });
  }

  private tryAudit(call: NormalizedCall, remoteTool: string, decision: Decision, refs: MandateRefs, o: Partial<AuditInput> & Pick<AuditInput, "outcome">): AuditRecord | null {
    try {
      return this.audit(call, remoteTool, decision, refs, o);
    } catch (err) {
      this.deps.logger.error("audit write failed after forwarding", { error: err, order_link_id: call.orderLinkId });
      return null;
    }
  }

  private audit(call: NormalizedCall, remoteTool: string, decision: Decision, refs: MandateRefs, o: Partial<AuditInput> & Pick<AuditInput, "outcome">): AuditRecord {
    const kind =
      o.kind ??
      (call.tool === "cancel_order" || call.tool === "cancel_all_orders" ? "order_cancelled" : "order_placed");
    return this.ledger.append({
      kind,
      session_id: this.deps.config.sessionId,
      intent_normalized: decision.intent_normalized,
      mandate_snapshot_ref: refs.snapshot,
      consent_record_ref: refs.consent,
      broker_request: { path: call.path, body: call.body },
      broker_response: o.broker_response ?? null,
      outcome: o.outcome,
      gate_decision: decision.decision,
      server: "bybit-mcp",
      remote_tool: remoteTool,
      error: o.error ?? null,
      extra: {
        order_link_id: call.orderLinkId ?? null,
        decision: gateSummary(decision),
        breach: decision.breach ?? null,
        facts: decision.facts,
        ...o.extra,
      },
    });
  }
}

interface MandateRefs {
  snapshot: string | null;
  consent: string | null;
}

/** The ledger's pointers to the mandate in force: its consent token hash and account_ref. */
function mandateRefs(raw: RawFacts): MandateRefs {
  if (!raw.mandate.ok) return { snapshot: null, consent: null };
  return { snapshot: raw.mandate.mandate.consent.consent_token_sha256, consent: raw.mandate.mandate.consent.account_ref };
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
