/**
 * Build tooling (not shipped): lint the default rules and write them, with
 * the hash of their files, to dist/bin/rules.prebuilt.json. At start the
 * server loads that instead of parsing and linting (rules.ts readPrebuiltRules),
 * as long as the files still hash the same. A rule set that does not lint
 * fails the build.
 */
import { writeFileSync } from "node:fs";
import { prebuildRuleSet, prebuiltRulesPath } from "../state/rules-files.js";

const prebuilt = prebuildRuleSet();
writeFileSync(prebuiltRulesPath(), `${JSON.stringify(prebuilt)}\n`);
process.stderr.write(`prebuilt ${prebuilt.ruleSet.rules.length} rules (${prebuilt.ruleSet.rules_revision}) -> ${prebuiltRulesPath()}\n`);
