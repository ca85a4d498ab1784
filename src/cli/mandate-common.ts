/**
 * What `mandate init`, `renew` and `show` share: where the mandate lives for
 * this configuration, the plain summary a person confirms, and how a commit
 * outcome is reported.
 */
import { loadConfig, type Config } from "../config.js";
import { ConfigError } from "../errors.js";
import { formatValue } from "../gate/format.js";
import type { CommitOutcome, MandateTerms } from "../state/consent.js";
import type { RuntimePaths } from "../state/paths.js";
import { cliState, type CliState } from "./state.js";
import { EXIT, type CliIo } from "./types.js";

export interface MandateContext {
  config: Config;
  paths: RuntimePaths;
  /** The files or the shared database, as BYBIT_MCP_STATE says. */
  state: CliState;
}

/** Run `fn` with the config and state of the configured broker; ConfigError (exit 2) when BYBIT_BROKER_KEY is unusable. */
export async function withMandateContext(command: string, io: CliIo, fn: (ctx: MandateContext) => Promise<number>): Promise<number> {
  const config = loadConfig(io.env);
  if (config.brokerKey === null) throw new ConfigError(`${command}: BYBIT_BROKER_KEY "${config.brokerKeyRaw}" is not a valid broker key`, "BYBIT_BROKER_KEY");
  const state = await cliState(config, config.brokerKey);
  try {
    return await fn({ config, paths: state.paths, state });
  } finally {
    await state.close();
  }
}

/** The caps and universe, one per line, in words. */
export function termsLines(t: MandateTerms): string[] {
  const c = t.hard_caps;
  const u = t.universe;
  return [
    `  funding:        ${formatValue(c.account_funding_usd, "usd")}`,
    `  max order:      ${formatValue(c.max_order_notional_usd, "usd")} notional`,
    `  max exposure:   ${formatValue(c.max_total_exposure_usd, "usd")} gross`,
    `  max leverage:   ${formatValue(c.max_leverage, "ratio")}${c.max_leverage === 1 ? " (cash only)" : ""}`,
    `  trades per day: ${c.max_trades_per_day} (UTC day)`,
    `  instruments:    ${formatValue(c.allowed_instruments)}`,
    `  asset classes:  ${formatValue(u.asset_classes)}`,
    `  never trade:    ${formatValue(u.exclude_symbols)}`,
    ...(u.min_market_cap_usd !== null || u.min_avg_daily_volume_usd !== null
      ? [`  floors:         market cap ${floorText(u.min_market_cap_usd)}, average daily volume ${floorText(u.min_avg_daily_volume_usd)}`]
      : []),
    ...(t.option_limits ? ["  options:        option_limits set (option orders are still refused here)"] : []),
    `  on halt:        ${t.flatten_on_halt ? "cancel orders and close positions" : "cancel orders only"}`,
  ];
}

function floorText(v: number | null): string {
  return v === null ? "none" : formatValue(v, "usd");
}

/** "29 days 23 hours", "5 hours 3 minutes", "expired 2 days ago". */
export function timeLeft(fromMs: number, toMs: number): string {
  const left = toMs - fromMs;
  const abs = Math.abs(left);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const text = d > 0 ? `${unit(d, "day")} ${unit(h, "hour")}` : h > 0 ? `${unit(h, "hour")} ${unit(m, "minute")}` : unit(m, "minute");
  return left > 0 ? text : `expired ${text} ago`;
}

/** Print a commit outcome; the exit code: 0 committed, 1 refused. */
export function reportCommit(command: string, o: CommitOutcome, io: CliIo, days: number): number {
  if (o.status === "refused") {
    const hint = o.code === "exists" ? "; pass --replace to overwrite it" : "";
    io.stderr(`${command}: ${o.reason.replace(/\.$/, "")}${hint}\n`);
    return EXIT.CHECK_FAILED;
  }
  io.stdout(
    [
      `committed ${o.mandateId} for broker ${o.mandate.consent.broker}: in force until ${o.expiresAt} (${days} day${days === 1 ? "" : "s"})`,
      ...(o.replacedMandateId ? [`  replaces:       ${o.replacedMandateId}`] : []),
      `  mandate:        ${o.mandateFile}`,
      `  consent record: ${o.consentFile}`,
      `  ledger record:  ${o.record.audit_id} (mandate_committed)`,
      "",
    ].join("\n"),
  );
  return EXIT.OK;
}
