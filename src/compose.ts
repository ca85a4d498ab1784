/**
 * The composition root of the write path: the file-backed stores under the
 * runtime root, the system clock, and the service they are handed to. The
 * CLI, the library API and the tests build a TradingService here.
 */
import type { BybitClient } from "./bybit/client.js";
import { configSecrets, safeStateUrl, type Config } from "./config.js";
import type { Logger } from "./log.js";
import { runtimePaths } from "./state/index.js";
import { TradingService, type TradingOptions } from "./trading/service.js";
import { fileStores, type Clock, type Stores } from "./trading/stores.js";
import { PgState, pgStores } from "./state/pg/store.js";

/** The file stores for a config; an invalid broker key gets no broker paths (every write refused) but is still audited. */
export function storesFor(config: Config, logger?: Logger): Stores {
  const paths = config.brokerKey ? runtimePaths(config.runtimeRoot, config.brokerKey) : null;
  if (config.stateUrl !== null) return pgStores(pgStateFor(config, logger), paths);
  // The ledger lives at live/audit.jsonl whatever the broker.
  const ledgerPaths = paths ?? runtimePaths(config.runtimeRoot, "invalid-broker-key");
  return fileStores(paths, ledgerPaths, configSecrets(config), { approvalTtlMs: config.approvalTtlMs });
}

/** The shared state on PostgreSQL for this config's broker (BYBIT_MCP_STATE); it connects on first use. */
export function pgStateFor(config: Config, logger?: Logger): PgState {
  if (config.stateUrl === null) throw new Error("BYBIT_MCP_STATE is not a postgres:// URL");
  const broker = config.brokerKey ?? "invalid-broker-key";
  return new PgState({
    url: config.stateUrl,
    safeUrl: safeStateUrl(config.stateUrl),
    broker,
    paths: runtimePaths(config.runtimeRoot, broker),
    runtimeRoot: config.runtimeRoot,
    extraSecrets: configSecrets(config),
    approvalTtlMs: config.approvalTtlMs,
    logger,
  });
}

export function createTradingService(
  deps: { config: Config; client: BybitClient; logger: Logger; stores?: Stores; clock?: Clock },
  opts: TradingOptions = {},
): TradingService {
  const stores = deps.stores ?? storesFor(deps.config, deps.logger);
  return new TradingService({ ...deps, stores }, { crashAt: deps.config.crashAt ?? undefined, ...opts });
}
