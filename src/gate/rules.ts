/**
 * Loading and linting the rule set (rules/ by default): every *.yaml, *.yml
 * and *.json file in the directory, validated by schemas/rules.schema.json,
 * then checked against the gate's facts and the required pipeline coverage.
 * `rules_revision` is the sha256 of the canonical rules, so reformatting a
 * file or moving a rule between files does not change it; any change to what
 * a rule does does.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../state/pyjson.js";
import type { TopLevelCondition } from "json-rules-engine";
import { parse as parseYaml } from "yaml";
import { RulesError, type FieldProblem } from "../errors.js";
import { buildEngine, OPERATORS } from "./engine.js";
import { buildFacts } from "./facts.js";
import { dotPath, templateRefs, UNITS, type Unit } from "./format.js";
import { ALL_TOOLS, sampleIntent, sampleRaw } from "./sample.js";
import { ajvProblems, schemaValidator } from "./schema.js";
import type { GateDecisionValue, GateTool } from "./types.js";

/** Where a breach's limit_value / attempted_value comes from. */
export type ValueRef = { fact: string; path?: string } | { param: string } | { value: unknown };

export interface RuleDef {
  id: string;
  order: number;
  description: string;
  kind: "structural" | "quantitative";
  outcome: Exclude<GateDecisionValue, "allow">;
  breach_kind: string;
  applies_to: GateTool[];
  checked_limit: string;
  limit: string;
  enforcement: "enforce" | "shadow";
  params: Record<string, number | string | boolean>;
  /** json-rules-engine conditions that must hold, with {param} values already substituted. */
  conditions: TopLevelCondition;
  report: { limit_value?: ValueRef; attempted_value?: ValueRef; unit: Unit };
  message: string;
  /** The file it came from (not part of rules_revision). */
  file: string;
}

export interface RuleSet {
  version: string;
  /** "sha256:<hex>" of the canonical rules. */
  rules_revision: string;
  /** Sorted by order. */
  rules: readonly RuleDef[];
  dir: string;
  files: string[];
}

export const MANIFEST_NAMES = ["ruleset.yaml", "ruleset.yml", "ruleset.json"];
/** The files of a rule directory the lint reads. */
export const RULE_FILE = /\.(ya?ml|json)$/;
const ORDER_TOOLS: GateTool[] = ["place_order", "amend_order"];
const GUARDED_TOOLS: GateTool[] = ["place_order", "amend_order", "set_leverage", "set_trading_stop"];

/**
 * Limits every rule set must check with an enforced rule, per tool: without
 * them the gate could allow what it never proved. Extra rules are free.
 */
export const REQUIRED_COVERAGE: readonly { limit: string; tools: readonly GateTool[] }[] = [
  { limit: "mandate", tools: ALL_TOOLS },
  { limit: "expiry", tools: GUARDED_TOOLS },
  { limit: "halt_flag", tools: GUARDED_TOOLS },
  { limit: "intent", tools: GUARDED_TOOLS },
  ...["exclude_symbols", "allowed_instruments", "asset_classes", "quote", "max_order_notional_usd", "max_total_exposure_usd", "max_leverage", "account_funding_usd", "universe_floors"].map(
    (limit) => ({ limit, tools: ORDER_TOOLS }),
  ),
  { limit: "max_leverage", tools: ["set_leverage"] },
  { limit: "max_trades_per_day", tools: ["place_order"] },
];

/** A rule directory as read (state/rules-files.ts): its rule files' names and texts, sorted, or why it could not be read. */
export type RuleSource = { dir: string; files: { name: string; text: string }[] } | { dir: string; error: string };

/** Every problem with the rule set read as `source`; `ruleSet` when there are none. Pure; never throws. */
export function lintRuleSource(source: RuleSource): { ok: boolean; problems: FieldProblem[]; ruleSet?: RuleSet } {
  const problems: FieldProblem[] = [];
  try {
    const result = lintInto(source, problems);
    return problems.length === 0 && result ? { ok: true, problems, ruleSet: result } : { ok: false, problems };
  } catch (err) {
    problems.push({ path: source.dir, message: `the rule set could not be linted: ${(err as Error).message}` });
    return { ok: false, problems };
  }
}

/** A RulesError naming the lint's first problem (and how many more). */
export function rulesErrorOf(problems: FieldProblem[]): RulesError {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return new RulesError(`the rule set is invalid: ${first ? `${first.path}: ${first.message}` : "unknown problem"}${more}`, problems);
}

function lintInto(source: RuleSource, problems: FieldProblem[]): RuleSet | undefined {
  const dir = source.dir;
  if ("error" in source) {
    problems.push({ path: dir, message: source.error });
    return undefined;
  }
  const names = source.files.map((f) => f.name);
  const manifests = names.filter((n) => MANIFEST_NAMES.includes(n));
  if (manifests.length !== 1) {
    problems.push({ path: dir, message: `a rule set needs exactly one manifest (${MANIFEST_NAMES.join(" or ")}); found ${manifests.length}.` });
  }
  let version = "";
  const rules: RuleDef[] = [];
  for (const { name, text } of source.files) {
    const doc = parseDoc(text, name, problems);
    if (doc === undefined) continue;
    const isManifest = MANIFEST_NAMES.includes(name);
    const validate = schemaValidator("rules.schema.json", isManifest ? "manifest" : "ruleFile");
    if (!validate(doc)) {
      const errors = (validate.errors ?? []).filter((e) => e.keyword !== "if");
      for (const p of ajvProblems(errors, doc, (path) => `${path} is not a field of a rule file.`)) problems.push({ path: `${name}: ${p.path}`, message: p.message });
      continue;
    }
    if (isManifest) version = (doc as { version: string }).version;
    else for (const [i, raw] of (doc as { rules: RawRule[] }).rules.entries()) rules.push(normalize(raw, name, `${name}: rules[${i}]`, problems));
  }
  rules.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : 1));
  checkUnique(rules, problems);
  checkFactsAndTemplates(rules, problems);
  checkCoverage(rules, problems);
  try {
    buildEngine(rules);
  } catch (err) {
    problems.push({ path: dir, message: `json-rules-engine refused the rules: ${(err as Error).message}.` });
  }
  if (problems.length > 0) return undefined;
  return { version, rules_revision: revision(version, rules), rules, dir, files: names };
}

function parseDoc(text: string, name: string, problems: FieldProblem[]): unknown {
  try {
    return name.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    problems.push({ path: name, message: `cannot be parsed: ${(err as Error).message.split("\n")[0]}.` });
    return undefined;
  }
}

interface RawRule {
  id: string;
  order: number;
  description: string;
  kind: "structural" | "quantitative";
  outcome: Exclude<GateDecisionValue, "allow">;
  breach_kind?: string;
  applies_to: GateTool[];
  checked_limit: string;
  limit?: string;
  enforcement?: "enforce" | "shadow";
  params?: Record<string, number | string | boolean>;
  conditions: TopLevelCondition;
  report?: { limit_value?: ValueRef; attempted_value?: ValueRef; unit?: Unit };
  message: string;
}

function normalize(raw: RawRule, file: string, where: string, problems: FieldProblem[]): RuleDef {
  const params = raw.params ?? {};
  const conditions = substituteParams(raw.conditions, params, `${where}.conditions`, problems) as TopLevelCondition;
  for (const key of ["limit_value", "attempted_value"] as const) {
    const ref = raw.report?.[key];
    if (ref && "param" in ref && !(ref.param in params)) problems.push({ path: `${where}.report.${key}`, message: `param "${ref.param}" is not in the rule's params.` });
  }
  return {
    id: raw.id,
    order: raw.order,
    description: raw.description,
    kind: raw.kind,
    outcome: raw.outcome,
    breach_kind: raw.breach_kind ?? (raw.kind === "structural" ? "instrument" : "quantitative"),
    applies_to: [...raw.applies_to],
    checked_limit: raw.checked_limit,
    limit: raw.limit ?? raw.checked_limit,
    enforcement: raw.enforcement ?? "enforce",
    params,
    conditions,
    report: { ...raw.report, unit: raw.report?.unit ?? "text" },
    message: raw.message,
    file,
  };
}

/** Replace every condition value {param: NAME} with the rule's params[NAME]. */
function substituteParams(node: unknown, params: Record<string, unknown>, where: string, problems: FieldProblem[]): unknown {
  if (Array.isArray(node)) return node.map((n, i) => substituteParams(n, params, `${where}[${i}]`, problems));
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "value" && v !== null && typeof v === "object" && !Array.isArray(v)) {
      const ref = v as Record<string, unknown>;
      if (typeof ref.param === "string") {
        if (!(ref.param in params)) problems.push({ path: `${where}.value`, message: `param "${ref.param}" is not in the rule's params.` });
        out[k] = params[ref.param] ?? null;
        continue;
      }
      if (typeof ref.fact !== "string") problems.push({ path: `${where}.value`, message: "an object value must be {fact, path} or {param}." });
      out[k] = v;
      continue;
    }
    out[k] = k === "value" ? v : substituteParams(v, params, `${where}.${k}`, problems);
  }
  return out;
}

function checkUnique(rules: RuleDef[], problems: FieldProblem[]): void {
  const ids = new Map<string, string>();
  const orders = new Map<number, string>();
  for (const r of rules) {
    const id = ids.get(r.id);
    if (id !== undefined) problems.push({ path: `${r.file}: ${r.id}`, message: `duplicate rule id ${r.id} (also in ${id}).` });
    else ids.set(r.id, r.file);
    const other = orders.get(r.order);
    if (other !== undefined) problems.push({ path: `${r.file}: ${r.id}`, message: `order ${r.order} is also used by ${other}; the evaluation order must be unambiguous.` });
    else orders.set(r.order, r.id);
  }
}

/** Every fact, path and template reference must exist in the facts the gate computes. */
function checkFactsAndTemplates(rules: RuleDef[], problems: FieldProblem[]): void {
  const sample = buildFacts(sampleIntent("place_order"), sampleRaw()) as unknown as Record<string, unknown>;
  const checkRef = (fact: string, path: string | undefined, where: string) => {
    if (!Object.prototype.hasOwnProperty.call(sample, fact)) {
      problems.push({ path: where, message: `unknown fact "${fact}" (facts: ${Object.keys(sample).join(", ")}).` });
      return;
    }
    if (path === undefined) return;
    try {
      dotPath(sample[fact], path);
    } catch {
      problems.push({ path: where, message: `unknown fact path "${fact}.${path}".` });
    }
  };
  for (const r of rules) {
    const where = `${r.file}: ${r.id}`;
    const walk = (node: unknown, at: string) => {
      if (node === null || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      for (const op of ["all", "any"]) if (Array.isArray(n[op])) (n[op] as unknown[]).forEach((c, i) => walk(c, `${at}.${op}[${i}]`));
      if (n.not) walk(n.not, `${at}.not`);
      if (typeof n.fact === "string") {
        checkRef(n.fact, n.path as string | undefined, at);
        if (!OPERATORS.includes(n.operator as (typeof OPERATORS)[number])) problems.push({ path: at, message: `unknown operator "${String(n.operator)}".` });
        const v = n.value as Record<string, unknown> | null;
        if (v && typeof v === "object" && !Array.isArray(v) && typeof v.fact === "string") checkRef(v.fact, v.path as string | undefined, `${at}.value`);
      }
    };
    walk(r.conditions, `${where}.conditions`);
    for (const key of ["limit_value", "attempted_value"] as const) {
      const ref = r.report[key];
      if (ref && "fact" in ref) checkRef(ref.fact, ref.path, `${where}.report.${key}`);
    }
    for (const { name, unit } of templateRefs(r.message)) {
      if (unit !== undefined && !UNITS.includes(unit as Unit)) problems.push({ path: `${where}.message`, message: `unknown unit "${unit}" in \${${name}|${unit}}.` });
      if (["limit", "attempted", "overage"].includes(name)) continue;
      if (name.startsWith("params.")) {
        if (!(name.slice(7) in r.params)) problems.push({ path: `${where}.message`, message: `\${${name}} names a param the rule does not have.` });
        continue;
      }
      const [fact, ...rest] = name.split(".");
      checkRef(fact ?? "", rest.length > 0 ? rest.join(".") : undefined, `${where}.message`);
    }
  }
}

function checkCoverage(rules: RuleDef[], problems: FieldProblem[]): void {
  for (const need of REQUIRED_COVERAGE) {
    for (const tool of need.tools) {
      const covered = rules.some((r) => r.enforcement === "enforce" && r.checked_limit === need.limit && r.applies_to.includes(tool));
      if (!covered) problems.push({ path: "(rule set)", message: `no enforced rule checks ${need.limit} for ${tool}; the gate cannot allow what it never checked.` });
    }
  }
}

/** sha256 over canonical JSON (sorted keys) of the version and the rules in order, without file names. */
export function revision(version: string, rules: RuleDef[]): string {
  const body = rules.map(({ file: _file, ...rest }) => rest);
  // The one canonical JSON (Python's sort_keys form); the JSON round trip drops keys whose value is undefined.
  return `sha256:${createHash("sha256").update(canonicalJson(JSON.parse(JSON.stringify({ version, rules: body })))).digest("hex")}`;
}
