
export { loadRuleSet, lintRuleSet } from "./state/rules-files.js";/**
 * bybit-mcp as a library: the pieces the CLI wires together, for embedding
 * the server, the gate or the simulated exchange in another program.
 */
export { createServer, SERVER_INSTRUCTIONS } from "./server/create-server.js";
export type { ServerDeps } from "./server/deps.js";
export { serveHttp } from "./server/http.js";
export { buildDeps, makeLogger } from "./cli/serve.js";
export { loadConfig, configSecrets, type Config } from "./config.js";
export { BybitClient, clientFor, type BybitClientOptions, type BybitResponse } from "./bybit/client.js";
export { sign, buildQuery } from "./bybit/signer.js";
export { decide, buildFacts, validateMandate, type RuleSet } from "./gate/index.js";
export { loadMandate, loadMandateAsync } from "./state/mandate-file.js";
export type * from "./gate/types.js";
export { TradingService, type TradingOptions } from "./trading/service.js";
export {
  AuditLedger,
  readHalt,
  tripHalt,
  clearHalt,
  readTradesToday,
  withOrderLock,
  resolveRuntimeRoot,
  runtimePaths,
  redact,
  scrubText,
  type RuntimePaths,
  type AuditRecord,
} from "./state/index.js";
export { startSim, type Sim, type SimOptions } from "./sim/index.js";
export * from "./errors.js";
