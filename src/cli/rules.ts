/**
 * `bybit-mcp rules test|explain|lint`: the policy author's tools. test runs
 * the recorded-order fixtures against the rule set and reports coverage;
 * explain shows how each rule saw one order; lint checks a rule directory
 * (schema, facts, operators, ids, coverage of the pipeline, a smoke run).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { renderDecision } from "../gate/explain.js";
import { fixtureFrom, loadFixture } from "../policy/fixtures.js";
import { decide, smokeRuleSet, type RuleSet } from "../gate/index.js";
import { runFixtures } from "../policy/policy.js";
import { packageRoot } from "../util/package-root.js";
import { parse } from "./args.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";
import { lintRuleSet } from "../state/rules-files.js";

const HELP = `Usage:
  bybit-mcp rules test [DIR] [--rules RULES_DIR]
      Run every recorded-order fixture in DIR (default test/fixtures/orders)
      and compare decision and deciding rule; then report rule coverage.
      Exit 1 on any failure.
  bybit-mcp rules explain FIXTURE [--rules RULES_DIR] [--json]
  bybit-mcp rules explain --order JSON [--rules RULES_DIR] [--json]
      How every rule saw one order (JSON = a fixture's {call, recorded}).
  bybit-mcp rules lint [RULES_DIR]
      Schema, unknown facts or operators, duplicate ids, pipeline coverage and
      a smoke evaluation. Exit 1 on any problem.

RULES_DIR defaults to the rules/ shipped with bybit-mcp.
`;

export const rulesCommand: CliCommand = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    io.stdout(HELP);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  try {
    switch (sub) {
      case "test":
        return await testCmd(rest, io);
      case "explain":
        return await explainCmd(rest, io);
      case "lint":
        return await lintCmd(rest, io);
      default:
        throw new UsageError(`rules: unknown subcommand '${sub}' (expected test, explain or lint)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`bybit-mcp ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
};

/** Lint the rule set; print its problems and return null when it is invalid. */
async function ruleSetOrReport(dir: string | undefined, io: CliIo): Promise<RuleSet | null> {
  const lint = lintRuleSet(dir === undefined ? undefined : resolve(dir));
  if (!lint.ok || !lint.ruleSet) {
    io.stderr(`rule set invalid (${lint.problems.length} problem${lint.problems.length === 1 ? "" : "s"}):\n`);
    for (const p of lint.problems) io.stderr(`  ${p.path}: ${p.message}\n`);
    return null;
  }
  return lint.ruleSet;
}

async function testCmd(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse("rules test", argv, { rules: { type: "string" } }, true);
  if (values.help) return help(io);
  if (positionals.length > 1) throw new UsageError("rules test: expected at most one fixture directory");
  const dir = resolve(positionals[0] ?? join(packageRoot(), "test", "fixtures", "orders"));
  if (!existsSync(dir)) throw new UsageError(`rules test: fixture directory ${dir} does not exist`);
  const ruleSet = await ruleSetOrReport(values.rules, io);
  if (!ruleSet) return EXIT.CHECK_FAILED;
  const { results, coverage } = await runFixtures(ruleSet, dir);
  io.stdout(`rules ${ruleSet.version} ${ruleSet.rules_revision}\nfixtures ${dir}\n\n`);
  const width = Math.max(10, ...results.map((r) => (r.fixture?.name ?? r.file).length));
  for (const r of results) {
    const name = (r.fixture?.name ?? r.file).padEnd(width);
    const got = r.decision ? `${r.decision.decision} (${r.decision.decided_by ?? "-"})` : "-";
    const want = r.fixture?.want ? `${r.fixture.want.decision} (${r.fixture.want.rule ?? "-"})` : "-";
    io.stdout(`${r.pass ? "PASS" : "FAIL"}  ${name}  ${r.pass ? got : `expected ${want}, got ${got}`}\n`);
    for (const p of r.pass ? [] : r.problems) io.stdout(`        ${p}\n`);
  }
  const failed = results.filter((r) => !r.pass).length;
  io.stdout(`\n${results.length - failed} passed, ${failed} failed, ${results.length} fixtures\n\ncoverage:\n`);
  const list = (title: string, xs: string[]) => {
    io.stdout(`  ${title}: ${xs.length === 0 ? "none" : ""}\n`);
    for (const x of xs) io.stdout(`    ${x}\n`);
  };
  list("rules that decided no fixture", coverage.undecided);
  list("conditions never true", coverage.neverTrue);
  list("conditions never false", coverage.neverFalse);
  return failed > 0 || results.length === 0 ? EXIT.CHECK_FAILED : EXIT.OK;
}

async function explainCmd(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse("rules explain", argv, { rules: { type: "string" }, order: { type: "string" }, json: { type: "boolean" } }, true);
  if (values.help) return help(io);
  if ((values.order === undefined) === (positionals.length !== 1)) throw new UsageError("rules explain: give either one FIXTURE file or --order JSON");
  let fixture;
  try {
    if (values.order !== undefined) fixture = fixtureFrom(JSON.parse(values.order), join(process.cwd(), "--order.json"));
    else fixture = loadFixture(resolve(positionals[0] ?? ""));
  } catch (err) {
    throw new UsageError(`rules explain: ${(err as Error).message}`);
  }
  const ruleSet = await ruleSetOrReport(values.rules, io);
  if (!ruleSet) return EXIT.CHECK_FAILED;
  const d = await decide(ruleSet, fixture.intent, fixture.raw);
  io.stdout(values.json ? `${JSON.stringify(d, null, 2)}\n` : `${fixture.name}\n\n${renderDecision(d)}`);
  return EXIT.OK;
}

async function lintCmd(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse("rules lint", argv, {}, true);
  if (values.help) return help(io);
  if (positionals.length > 1) throw new UsageError("rules lint: expected at most one rules directory");
  const ruleSet = await ruleSetOrReport(positionals[0], io);
  if (!ruleSet) return EXIT.CHECK_FAILED;
  const smoke = await smokeRuleSet(ruleSet);
  for (const p of smoke) io.stderr(`  ${p.path}: ${p.message}\n`);
  if (smoke.length > 0) return EXIT.CHECK_FAILED;
  io.stdout(`rules ok: ${ruleSet.rules.length} rules in ${ruleSet.files.length} files, version ${ruleSet.version}, ${ruleSet.rules_revision}\n`);
  return EXIT.OK;
}

function help(io: CliIo): number {
  io.stdout(HELP);
  return EXIT.OK;
}
