/**
 * The rule set on disk: reading the rule directory (and the build's prebuilt,
 * already-linted copy of the default rules) for the pure lint in
 * gate/rules.ts. The gate itself reads no files.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RulesError, type FieldProblem } from "../errors.js";
import { lintRuleSource, revision, RULE_FILE, rulesErrorOf, type RuleSet, type RuleSource } from "../gate/rules.js";
import { defaultRulesDir, packageRoot } from "../util/package-root.js";

export { defaultRulesDir };

/**
 * Where the build writes the default rule set, linted: loading it at start
 * skips parsing YAML, compiling the rules schema and linting (megabytes of
 * heap right after initialize) when the rules on disk are the ones built.
 */
export function prebuiltRulesPath(): string {
  return join(packageRoot(), "dist", "bin", "rules.prebuilt.json");
}

/** sha256 over the name and bytes of every file the lint reads in `dir`, in order. */
export function rulesSourceHash(dir: string): string {
  const h = createHash("sha256");
  for (const name of readdirSync(dir).filter((n) => RULE_FILE.test(n)).sort()) {
    h.update(name).update("\0").update(readFileSync(join(dir, name))).update("\0");
  }
  return `sha256:${h.digest("hex")}`;
}

export interface PrebuiltRules {
  format: 1;
  source_sha256: string;
  ruleSet: Omit<RuleSet, "dir">;
}

/** The prebuilt file's content for the default rules (build time). */
export function prebuildRuleSet(): PrebuiltRules {
  const dir = defaultRulesDir();
  const { dir: _dir, ...ruleSet } = loadRuleSetFrom(dir);
  return { format: 1, source_sha256: rulesSourceHash(dir), ruleSet };
}

/**
 * The prebuilt rule set when `dir` is the default one and its files hash to
 * what was built (and the rules still hash to their revision); null means
 * lint as usual. Any doubt is a null, never an error.
 */
export function readPrebuiltRules(dir: string, file: string = prebuiltRulesPath()): RuleSet | null {
  const resolved = resolve(dir);
  if (resolved !== resolve(defaultRulesDir())) return null;
  try {
    const p = JSON.parse(readFileSync(file, "utf8")) as PrebuiltRules;
    if (p.format !== 1 || p.source_sha256 !== rulesSourceHash(resolved)) return null;
    const { version, rules } = p.ruleSet;
    if (revision(version, [...rules]) !== p.ruleSet.rules_revision) return null;
    return { ...p.ruleSet, dir: resolved };
  } catch {
    return null;
  }
}

/** Load and lint (or the prebuilt set, when it is of these very files); throws RulesError listing every problem. */
export function loadRuleSet(dir?: string): RuleSet {
  return readPrebuiltRules(dir ?? defaultRulesDir()) ?? loadRuleSetFrom(dir);
}

function loadRuleSetFrom(dir?: string): RuleSet {
  const lint = lintRuleSet(dir);
  if (!lint.ok || !lint.ruleSet) throw rulesErrorOf(lint.problems);
  return lint.ruleSet;
}

/** The rule set, or the RulesError that decide() turns into a deny for every write. */
export function loadRuleSetOrError(dir?: string): RuleSet | RulesError {
  try {
    return loadRuleSet(dir);
  } catch (err) {
    return err instanceof RulesError ? err : new RulesError(`the rule set could not be loaded: ${(err as Error).message}`);
  }
}

/** Every problem with the rule set in `dir`; `ruleSet` when there are none. Never throws. */
export function lintRuleSet(dir: string = defaultRulesDir()): { ok: boolean; problems: FieldProblem[]; ruleSet?: RuleSet } {
  return lintRuleSource(readRuleSource(dir));
}

/** The rule files of `dir` (names sorted) and their texts, or why the directory could not be read. */
export function readRuleSource(dir: string): RuleSource {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => RULE_FILE.test(n)).sort();
  } catch (err) {
    return { dir, error: `the rules directory cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}).` };
  }
  const files: { name: string; text: string }[] = [];
  for (const name of names) {
    try {
      files.push({ name, text: readFileSync(join(dir, name), "utf8") });
    } catch (err) {
      return { dir, error: `${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}).` };
    }
  }
  return { dir, files };
}
