/**
 * Rule evaluation with json-rules-engine. An Engine is built per evaluation:
 * a shared Engine drops rules when runs overlap. Facts are static values;
 * undefined facts are errors; paths are plain dot paths; operators are strict
 * (a number comparison with anything but two finite numbers is false, and a
 * rule's conditions say what must HOLD, so false fails closed).
 */
import { Engine, type RuleProperties, type RuleResult, type TopLevelCondition } from "json-rules-engine";
import { dotPath } from "./format.js";
import type { ConditionExplanation } from "./types.js";

export const OPERATORS = [
  "equal",
  "notEqual",
  "in",
  "notIn",
  "contains",
  "doesNotContain",
  "lessThan",
  "lessThanInclusive",
  "greaterThan",
  "greaterThanInclusive",
] as const;
export type OperatorName = (typeof OPERATORS)[number];

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

const STRICT: Record<OperatorName, (a: unknown, b: unknown) => boolean> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => Array.isArray(b) && b.includes(a),
  notIn: (a, b) => Array.isArray(b) && !b.includes(a),
  contains: (a, b) => Array.isArray(a) && a.includes(b),
  doesNotContain: (a, b) => Array.isArray(a) && !a.includes(b),
  lessThan: (a, b) => finite(a) && finite(b) && a < b,
  lessThanInclusive: (a, b) => finite(a) && finite(b) && a <= b,
  greaterThan: (a, b) => finite(a) && finite(b) && a > b,
  greaterThanInclusive: (a, b) => finite(a) && finite(b) && a >= b,
};

/** What the engine needs of a rule: its id and its (param-resolved) conditions. */
export interface EngineRule {
  id: string;
  conditions: TopLevelCondition;
}

export interface RuleRun {
  passed: boolean;
  /** The engine's result; explainConditions() flattens it for the explanation. */
  result: RuleResult;
}

const pathResolver = (value: object, path: string): unknown => dotPath(value, path);

/** A fresh Engine holding `rules`, with strict operators. Throws on a malformed rule. */
export function buildEngine(rules: readonly EngineRule[]): Engine {
  const props: RuleProperties[] = rules.map((r) => ({ name: r.id, conditions: r.conditions, event: { type: r.id } }));
  const engine = new Engine(props, { allowUndefinedFacts: false, allowUndefinedConditions: false, pathResolver });
  for (const name of OPERATORS) engine.addOperator(name, STRICT[name]);
  return engine;
}

/**
 * Evaluate every rule against static facts. Resolves with one result per
 * rule; rejects when a fact or path is unknown, or when any rule reported no
 * result (the caller then denies).
 */
export async function runRules(rules: readonly EngineRule[], facts: Record<string, unknown>): Promise<Map<string, RuleRun>> {
  const engine = buildEngine(rules);
  const { results, failureResults } = await engine.run(facts);
  const out = new Map<string, RuleRun>();
  for (const [list, passed] of [
    [results, true],
    [failureResults, false],
  ] as const) {
    for (const r of list) {
      if (out.has(r.name)) throw new Error(`rule ${r.name} reported twice`);
      out.set(r.name, { passed: passed && r.result === true, result: r });
    }
  }
  const missing = rules.filter((r) => !out.has(r.id)).map((r) => r.id);
  if (missing.length > 0) throw new Error(`no result from rule(s) ${missing.join(", ")}`);
  return out;
}

interface ResultNode {
  all?: ResultNode[];
  any?: ResultNode[];
  not?: ResultNode;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  valueResult?: unknown;
  result?: boolean;
}

/** Flatten a rule result's condition tree into leaves, each with its fact value, threshold and result. */
export function explainConditions(result: RuleResult): ConditionExplanation[] {
  const out: ConditionExplanation[] = [];
  const walk = (node: ResultNode, where: string) => {
    for (const op of ["all", "any"] as const) {
      const children = node[op];
      if (Array.isArray(children)) {
        children.forEach((c, i) => walk(c, `${where}${op}[${i}]`));
        return;
      }
    }
    if (node.not) {
      walk(node.not, `${where}not.`);
      return;
    }
    const ref = isFactRef(node.value) ? node.value : undefined;
    out.push({
      where: where.replace(/\.$/, ""),
      fact: String(node.fact),
      ...(node.path !== undefined ? { path: node.path } : {}),
      operator: String(node.operator),
      value: ref ? node.valueResult : node.value,
      ...(ref ? { valueRef: `${ref.fact}${ref.path ? `.${ref.path}` : ""}` } : {}),
      factValue: node.factResult,
      result: typeof node.result === "boolean" ? node.result : null,
    });
  };
  walk(result.conditions as unknown as ResultNode, "");
  return out;
}

function isFactRef(v: unknown): v is { fact: string; path?: string } {
  return typeof v === "object" && v !== null && typeof (v as { fact?: unknown }).fact === "string";
}
