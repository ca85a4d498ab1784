/**
 * `bybit-mcp mandate validate [FILE]`: check a mandate the way the gate
 * loads it. FILE defaults to <runtime root>/live/<broker>/mandate.json
 * (runtime root = VIBE_RUNTIME_ROOT, else VIBE_TRADING_HOME, else
 * ~/.vibe-trading; broker = BYBIT_BROKER_KEY or "bybit", trimmed and
 * lower-cased). Exit 0 with a summary, 1 listing every bad field, 2 on usage.
 */
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { parseIsoTimestamp } from "../gate/index.js";
import { loadMandate } from "../state/mandate-file.js";
import { normalizeBrokerKey, resolveRuntimeRoot, runtimePaths } from "../state/paths.js";
import { formatValue } from "../gate/format.js";
import { parse } from "./args.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp mandate validate [FILE]

Validates a Vibe-Trading mandate (schema_version 1) exactly as the gate loads
it. FILE defaults to <runtime root>/live/<broker>/mandate.json.
Exit 0 valid, 1 invalid (each bad field and why), 2 usage.
`;

export const mandateValidateCommand: CliCommand = async (argv, io) => {
  const { values, positionals } = parse("mandate validate", argv, {}, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  if (positionals.length > 1) throw new UsageError("mandate validate: expected at most one FILE");
  // The same root and broker folder the server uses (state/paths.ts), so both look at one file.
  const raw = io.env.BYBIT_BROKER_KEY ?? "bybit";
  const broker = normalizeBrokerKey(raw);
  if (!broker) throw new UsageError(`mandate validate: BYBIT_BROKER_KEY "${raw}" is not a valid broker key`);
  const file = resolve(positionals[0] ?? runtimePaths(resolveRuntimeRoot(io.env), broker).mandate);
  const nowMs = Date.now();
  const load = loadMandate(file, { brokerKey: broker, nowMs });
  if (!load.ok) {
    io.stderr(`${file}: INVALID (${load.problems.length} problem${load.problems.length === 1 ? "" : "s"})\n`);
    for (const p of load.problems) io.stderr(`  ${p.path}: ${p.message}\n`);
    return EXIT.CHECK_FAILED;
  }
  const m = load.mandate;
  const c = m.hard_caps;
  const u = m.universe;
  const expires = parseIsoTimestamp(m.consent.expires_at);
  const expiry = expires !== null && nowMs >= expires ? "EXPIRED (orders pause for re-authorization)" : "active";
  io.stdout(
    [
      `${file}: valid mandate for broker ${m.consent.broker}${m.mandate_id ? ` (${m.mandate_id})` : ""}`,
      `  consent:   created ${m.consent.created_at}, expires ${m.consent.expires_at} - ${expiry}`,
      `  funding:   ${formatValue(c.account_funding_usd, "usd")}; max order ${formatValue(c.max_order_notional_usd, "usd")}; max exposure ${formatValue(c.max_total_exposure_usd, "usd")}; max leverage ${formatValue(c.max_leverage, "ratio")}`,
      `  trades:    ${c.max_trades_per_day} per UTC day`,
      `  allowed:   instruments ${formatValue(c.allowed_instruments)}; asset classes ${formatValue(u.asset_classes)}`,
      `  universe:  exclude ${formatValue(u.exclude_symbols)}; min market cap ${floor(u.min_market_cap_usd)}; min 24h turnover ${floor(u.min_avg_daily_volume_usd)}`,
      `  options:   ${m.option_limits ? "option_limits set (option orders are still refused: not enforceable here)" : "disabled"}`,
      `  on halt:   ${m.flatten_on_halt ? "cancel orders and flatten positions" : "cancel orders only"}`,
      "",
    ].join("\n"),
  );
  return EXIT.OK;
};

function floor(v: number | null): string {
  return v === null ? "none" : formatValue(v, "usd");
}
