/**
 * The status the console's front page shows: what `bybit-mcp mandate
 * status` reads, from the console's own state. On files that is the runtime
 * root (mandateStatus reads it itself); on PostgreSQL the mandate, the
 * switches and today's counter come from the shared state, so the page
 * shows what every host's gate sees.
 */
import type { BybitClient } from "../bybit/client.js";
import type { Config } from "../config.js";
import { errorMessage, type RulesError } from "../errors.js";
import type { RuleSet } from "../gate/index.js";
import type { CliState } from "../cli/state.js";
import type { HaltState, MandateLoad } from "../gate/types.js";
import { mandateStatus, type LocalFacts, type MandateStatus } from "../trading/status.js";

export async function consoleStatus(opts: { config: Config; state: CliState; client: BybitClient; ruleSet: RuleSet | RulesError; nowMs: number }): Promise<MandateStatus> {
  const { config, state, client, ruleSet, nowMs } = opts;
  const base = { config, client, paths: state.paths, ruleSet, nowMs, backend: state.backend };
  if (state.backend === "files" || state.pg === null) return mandateStatus(base);
  const pg = state.pg;
  // The database unreachable: the page still answers, and says so, as the gate would (no mandate, halted).
  const [mandate, halt, trades] = await Promise.all([
    state.mandate.load().catch((err: unknown): MandateLoad => {
      const reason = `the shared state could not be read: ${errorMessage(err)}`;
      return { ok: false, reason, problems: [{ path: "(mandate)", message: reason }] };
    }),
    state.halt.read().catch((err: unknown): HaltState => ({ global: false, broker: true, error: `the shared state could not be read: ${errorMessage(err)}` })),
    pg.readTrades(nowMs).then(
      (n): { n: number | null; error?: string } => ({ n }),
      (err: unknown) => ({ n: null, error: errorMessage(err) }),
    ),
  ]);
  const local: LocalFacts = { mandate, halt, tradesToday: trades.n, ...(trades.error !== undefined ? { counterError: trades.error } : {}) };
  return mandateStatus({ ...base, local, mandateWhere: state.where.mandate });
}
