/**
 * The mandate gate's public API. The write path gathers RawFacts (I/O), then
 * calls decide(). The gate reads no files: mandates are read by
 * src/state/mandate-file.ts, rule sets by src/state/rules-files.ts.
 */
export { validateMandate, mandateFailure, brokerKeyProblem } from "./mandate.js";
export {
  lintRuleSource,
  REQUIRED_COVERAGE,
  type RuleSet,
  type RuleDef,
  type ValueRef,
} from "./rules.js";
export { decide, replayDecision, smokeRuleSet, intentNormalized, GATE_ERROR, GATE_RULES_INVALID, type DecideOptions } from "./decide.js";
export { buildFacts, plainJson, DEFAULT_MAX_QUOTE_AGE_MS, type Facts, type BuildFactsOptions } from "./facts.js";
export { isProtectiveOrder, protectionOf } from "./protective.js";
export { grossExposure, orderNotional } from "./notional.js";
export { parseIsoTimestamp, utcDate } from "./time.js";
export type * from "./types.js";
