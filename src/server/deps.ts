/**
 * What tools are handed: the frozen config, the exchange client, the logger
 * and the write path (gate + state + ledger). Built once by the CLI, passed in.
 */
import type { BybitClient } from "../bybit/client.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { TradingService } from "../trading/service.js";

export interface ServerDeps {
  config: Config;
  client: BybitClient;
  logger: Logger;
  trading: TradingService;
}
