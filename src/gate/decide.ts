/**
 * decide(): facts in, one Decision out. Never throws, never allows by
 * accident: a RulesError, an exception, a rule without a result, or a missing
 * valid mandate all deny. Rules run in `order`; the first enforced rule that
 * fails decides; shadow rules are explained but never decide.
 */
import { RulesError, errorMessage } from "../errors.js";
import { decSub, decToNumber, isDecimal, toDecimalString } from "../util/decimal.js";
import { explainConditions, runRules, type RuleRun } from "./engine.js";
import { buildFacts, type BuildFactsOptions, type Facts } from "./facts.js";
import { dotPath, formatValue, renderTemplate } from "./format.js";
import type { RuleDef, RuleSet, ValueRef } from "./rules.js";
import { ALL_TOOLS, sampleIntent, sampleRaw } from "./sample.js";
import type { Breach, Decision, GateIntent, GateTool, ProposedAction, RawFacts, RuleExplanation } from "./types.js";
import type { FieldProblem } from "../errors.js";

export type DecideOptions = BuildFactsOptions;

/** Pipeline id recorded as decided_by when the gate itself (not a rule) refuses. */
export const GATE_ERROR = "gate.error";
export const GATE_RULES_INVALID = "gate.rules_invalid";

export async function decide(ruleSet: RuleSet | RulesError, intent: GateIntent, raw: RawFacts, opts: DecideOptions = {}): Promise<Decision> {
  let facts: Facts | null = null;
  try {
    facts = buildFacts(intent, raw, opts);
    if (ruleSet instanceof RulesError || !ruleSet || !Array.isArray(ruleSet.rules)) {
      const why = ruleSet instanceof RulesError ? ruleSet.message : "no rule set was loaded";
      return refuse(facts, intent, GATE_RULES_INVALID, `every write is denied because ${why}`, ["rules"], "invalid", []);
    }
    return await evaluate(ruleSet, intent, facts);
  } catch (err) {
    return gateError(ruleSet, facts, intent, err);
  }
}

/**
 * Replay: re-run the rules over the computed facts a Decision recorded (its
 * `facts`, as the ledger stores them after a JSON round trip) and return the
 * decision they give. With the rule set of the same rules_revision it is the
 * recorded decision again: same decision, decided_by, checked_limits, reason,
 * breach and explanation. `call` is the gated tool (check_order: place_order)
 * or the GateIntent decided on. Pure; never throws.
 */
export async function replayDecision(ruleSet: RuleSet | RulesError, call: GateTool | GateIntent, facts: Record<string, unknown>): Promise<Decision> {
  const recorded = isObj(facts) ? facts : {};
  const intent: GateIntent = typeof call === "string" ? intentOfFacts(call, recorded) : call;
  // Facts that do not have the shape buildFacts gives (a gate error recorded {}) are refused as such.
  const f = isObj(recorded.intent) && isObj(recorded.order) ? (recorded as unknown as Facts) : null;
  try {
    if (ruleSet instanceof RulesError || !ruleSet || !Array.isArray(ruleSet.rules)) {
      const why = ruleSet instanceof RulesError ? ruleSet.message : "no rule set was loaded";
      return withFacts(refuse(f, intent, GATE_RULES_INVALID, `every write is denied because ${why}`, ["rules"], "invalid", []), recorded);
    }
    return withFacts(await evaluate(ruleSet, intent, recorded as unknown as Facts), recorded);
  } catch (err) {
    return withFacts(gateError(ruleSet, f, intent, err), recorded);
  }
}

/** The intent fields decide() itself reads (tool, and category and symbol for the wording), from recorded facts. */
function intentOfFacts(tool: GateTool, facts: Record<string, unknown>): GateIntent {
  const i = isObj(facts.intent) ? facts.intent : {};
  return { tool, category: i.category as GateIntent["category"], symbol: typeof i.symbol === "string" ? i.symbol : "" };
}

function withFacts(d: Decision, facts: Record<string, unknown>): Decision {
  return { ...d, facts };
}

function gateError(ruleSet: RuleSet | RulesError, facts: Facts | null, intent: GateIntent, err: unknown): Decision {
  const why = errorMessage(err);
  const revision = ruleSet instanceof RulesError ? "invalid" : (ruleSet?.rules_revision ?? "invalid");
  return refuse(facts, intent, GATE_ERROR, `the gate could not evaluate this call and denies it: ${why}`, ["gate"], revision, []);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

async function evaluate(ruleSet: RuleSet, intent: GateIntent, facts: Facts): Promise<Decision> {
  const applicable = ruleSet.rules.filter((r) => r.applies_to.includes(intent.tool));
  if (!applicable.some((r) => r.enforcement === "enforce")) {
    return refuse(facts, intent, GATE_ERROR, `no enforced rule applies to ${intent.tool}, so nothing was proven`, ["gate"], ruleSet.rules_revision, []);
  }
  const runs = await runRules(applicable, facts as unknown as Record<string, unknown>);
  const explanation = ruleSet.rules.map((r) => explain(r, runs.get(r.id), facts));
  const failed = applicable.find((r) => r.enforcement === "enforce" && runs.get(r.id)?.passed !== true);
  const evaluated = unique(applicable.map((r) => r.checked_limit));
  const limits = contractOrder(evaluated);

  if (!failed) {
    // Belt and braces: no rule set, however written, allows without a valid mandate.
    if (facts.mandate.valid !== true) {
      return refuse(facts, intent, GATE_ERROR, `no valid mandate, whatever the rules say: ${facts.mandate.reason ?? "unknown"}`, ["mandate"], ruleSet.rules_revision, explanation);
    }
    const passed = applicable.filter((r) => r.enforcement === "enforce").length;
    return {
      decision: "allow",
      allowed: true,
      requires_reauthorization: false,
      reason: `within the mandate: ${passed} enforced rule${passed === 1 ? "" : "s"} passed (${limits.join(", ")})`,
      decided_by: null,
      checked_limits: limits,
      proposed_action: proposedAction(facts),
      intent_normalized: intentNormalized(intent, facts),
      rules_revision: ruleSet.rules_revision,
      explanation,
      facts: facts as unknown as Record<string, unknown>,
    };
  }
  const { breach, reason } = breachOf(failed, facts);
  const checked = contractOrder(evaluated.slice(0, evaluated.indexOf(failed.checked_limit) + 1));
  return {
    decision: failed.outcome,
    allowed: false,
    requires_reauthorization: failed.outcome === "pause_for_reauth",
    reason,
    decided_by: failed.id,
    checked_limits: checked,
    breach,
    proposed_action: proposedAction(facts),
    intent_normalized: intentNormalized(intent, facts),
    rules_revision: ruleSet.rules_revision,
    explanation,
    facts: facts as unknown as Record<string, unknown>,
  };
}

/** Vibe-Trading's checked_limits, in its order (the shared contract: shared/reference/vibe-trading-compat.md). */
export const CONTRACT_LIMITS: readonly string[] = [
  "mandate",
  "expiry",
  "halt_flag",
  "intent",
  "exclude_symbols",
  "allowed_instruments",
  "asset_classes",
  "max_order_notional_usd",
  "max_total_exposure_usd",
  "max_leverage",
  "max_trades_per_day",
  "account_funding_usd",
  "universe_floors",
];

/**
 * checked_limits as Vibe-Trading's readers expect them: its limits in its
 * order, then checks of ours (option_limits, quote, price_band...) after
 * them in the order the rules ran.
 */
function contractOrder(limits: string[]): string[] {
  const known = CONTRACT_LIMITS.filter((l) => limits.includes(l));
  return [...known, ...limits.filter((l) => !CONTRACT_LIMITS.includes(l))];
}

function explain(rule: RuleDef, run: RuleRun | undefined, facts: Facts): RuleExplanation {
  const base = { id: rule.id, checked_limit: rule.checked_limit, outcome: rule.outcome, enforcement: rule.enforcement };
  if (!run) return { ...base, status: "not_evaluated", conditions: [] };
  const status = run.passed ? "passed" : rule.enforcement === "shadow" ? "shadow_failed" : "failed";
  const conditions = explainConditions(run.result);
  return run.passed ? { ...base, status, conditions } : { ...base, status, conditions, message: breachOf(rule, facts).reason };
}

function resolveRef(ref: ValueRef | undefined, rule: RuleDef, facts: Facts): unknown {
  if (!ref) return null;
  if ("param" in ref) return rule.params[ref.param] ?? null;
  if ("value" in ref) return ref.value;
  const fact = (facts as unknown as Record<string, unknown>)[ref.fact];
  return ref.path ? dotPath(fact, ref.path) : fact;
}

/** Breach values are numbers or strings (lists joined), as the refusal envelope carries them. */
function breachValue(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(String).join(", ");
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function breachOf(rule: RuleDef, facts: Facts): { breach: Breach; reason: string } {
  const limit = breachValue(resolveRef(rule.report.limit_value, rule, facts));
  const attempted = breachValue(resolveRef(rule.report.attempted_value, rule, facts));
  const overage =
    typeof limit === "number" && typeof attempted === "number" && isDecimal(limit) && isDecimal(attempted)
      ? decToNumber(decSub(toDecimalString(attempted), toDecimalString(limit)))
      : null;
  const reason = renderTemplate(rule.message, {
    facts: facts as unknown as Record<string, unknown>,
    params: rule.params,
    limit,
    attempted,
    overage,
    unit: rule.report.unit,
  });
  return { reason, breach: { limit: rule.limit, kind: rule.breach_kind, limit_value: limit, attempted_value: attempted, overage, detail: reason } };
}

function refuse(
  facts: Facts | null,
  intent: GateIntent,
  decidedBy: string,
  reason: string,
  checked: string[],
  revision: string,
  explanation: RuleExplanation[],
): Decision {
  const action: ProposedAction = facts
    ? proposedAction(facts)
    : { symbol: String(intent?.symbol ?? ""), side: "", notional_usd: null, quantity: null, instrument_type: "" };
  return {
    decision: "deny",
    allowed: false,
    requires_reauthorization: false,
    reason,
    decided_by: decidedBy,
    checked_limits: checked,
    breach: { limit: checked[0] ?? "gate", kind: "gate", limit_value: null, attempted_value: null, overage: null, detail: reason },
    proposed_action: action,
    intent_normalized: facts ? safeIntentNormalized(intent, facts) : `${String(intent?.tool ?? "unknown")} ${String(intent?.symbol ?? "")}`.trim(),
    rules_revision: revision,
    explanation,
    facts: (facts ?? {}) as unknown as Record<string, unknown>,
  };
}

function proposedAction(f: Facts): ProposedAction {
  return {
    symbol: f.intent.symbol,
    side: f.intent.side ?? "",
    notional_usd: f.order.notional_usd,
    quantity: f.intent.qty,
    instrument_type: f.intent.instrument_type ?? "",
  };
}

function safeIntentNormalized(intent: GateIntent, f: Facts): string {
  try {
    return intentNormalized(intent, f);
  } catch {
    return `${intent.tool} ${f.intent.symbol}`;
  }
}

/** "buy $100.00 BTCUSDT (linear)", "amend sell 0.5 ETHUSDT (linear)", "set_leverage 3x BTCUSDT (linear)". */
export function intentNormalized(intent: GateIntent, f: Facts): string {
  const where = `${f.intent.symbol || "(all symbols)"} (${f.intent.category ?? String(intent.category)})`;
  switch (intent.tool) {
    case "place_order":
    case "amend_order": {
      const size = f.order.notional_usd_exact !== null ? formatValue(f.order.notional_usd_exact, "usd") : f.intent.qty !== null ? `${f.intent.qty} qty` : "?";
      return `${intent.tool === "amend_order" ? "amend " : ""}${f.intent.side ?? "?"} ${size} ${where}`;
    }
    case "set_leverage":
      return `set_leverage ${f.intent.leverage_exact ?? "?"}x ${where}`;
    default:
      return `${intent.tool} ${where}`;
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * The lint's smoke evaluation: the sample call for every tool goes through
 * decide(); any gate error (unknown fact at run time, a rule without a
 * result) is a problem.
 */
export async function smokeRuleSet(ruleSet: RuleSet): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  for (const tool of ALL_TOOLS) {
    const d = await decide(ruleSet, sampleIntent(tool), sampleRaw());
    if (d.decided_by === GATE_ERROR) problems.push({ path: `(smoke ${tool})`, message: d.reason });
  }
  return problems;
}

