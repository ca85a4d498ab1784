/**
 * Mandate status, shared by the bybit_get_mandate_status tool and the
 * `bybit-mcp mandate status` command: whether a mandate is loaded (or why
 * not), caps and expiry, halt state, trades used and left today, gross
 * exposure and headroom, and the rules revision (or why the rules are invalid).
 */
import type { BybitClient } from "../bybit/client.js";
import type { Config } from "../config.js";
import { RulesError } from "../errors.js";
import { grossExposure } from "../gate/notional.js";
import { parseIsoTimestamp } from "../gate/time.js";
import type { RuleSet } from "../gate/index.js";
import { decCmp, decFormat, decSub } from "../util/decimal.js";
import { readExchangeFacts, readLocalFacts } from "./gather.js";
import type { RuntimePaths } from "../state/index.js";
import type { HaltState, MandateLoad } from "../gate/types.js";

/** Mandate, halt and counter as one decision reads them. */
export interface LocalFacts {
  mandate: MandateLoad;
  halt: HaltState;
  tradesToday: number | null;
  counterError?: string;
}

export interface MandateStatus extends Record<string, unknown> {
  summary: string;
}

export async function mandateStatus(opts: {
  config: Config;
  client: BybitClient;
  paths: RuntimePaths | null;
  ruleSet: RuleSet | RulesError;
  nowMs: number;
  /** The local facts as the write path read them (the shared state's, on PostgreSQL); default: the runtime root's files. */
  local?: LocalFacts;
  /** Where the mandate lives, when not paths.mandate. */
  mandateWhere?: string;
  backend?: "files" | "postgres";
}): Promise<MandateStatus> {
  const { config, paths, nowMs } = opts;
  const local: LocalFacts = opts.local ?? readLocalFacts(paths, config.brokerKey, config.brokerKeyRaw, nowMs);
  const where = opts.mandateWhere ?? paths?.mandate ?? null;
  const m = local.mandate.ok ? local.mandate.mandate : null;
  // The gate's own reading: a timestamp without an offset is UTC, whatever the host's zone.
  const expiresMs = m ? parseIsoTimestamp(m.consent.expires_at) : null;
  const expired = m ? !(expiresMs !== null && expiresMs > nowMs) : null;
  const halted = local.halt.global || local.halt.broker || Boolean(local.halt.error);
  const cap = m?.hard_caps.max_trades_per_day ?? null;
  const used = local.tradesToday;

  let exposure: Record<string, unknown> = { gross_usd: null, headroom_usd: null, error: "no API key: positions not read" };
  if (opts.client.hasCredentials) {
    const x = await readExchangeFacts(opts.client, [], { quote: false, exposure: true, openOrders: true });
    if (!x.positions || !x.openOrders) {
      exposure = { gross_usd: null, headroom_usd: null, error: x.positionsError ?? x.openOrdersError };
    } else {
      const g = grossExposure({ category: "linear", symbol: "", orderSigned: null, reference: null, positions: x.positions, openOrders: x.openOrders });
      if (!g.ok) exposure = { gross_usd: null, headroom_usd: null, error: g.problem };
      else {
        const headroom = m ? decSub(String(m.hard_caps.max_total_exposure_usd), g.current) : null;
        exposure = {
          gross_usd: g.current,
          headroom_usd: headroom === null ? null : decCmp(headroom, 0) < 0 ? "0" : headroom,
          by_instrument: g.byInstrument,
        };
      }
    }
  }

  const rules =
    opts.ruleSet instanceof RulesError
      ? { valid: false, error: opts.ruleSet.message, problems: opts.ruleSet.problems }
      : { valid: true, version: opts.ruleSet.version, revision: opts.ruleSet.rules_revision, dir: opts.ruleSet.dir };

  const parts: string[] = [];
  if (!m) parts.push(`No valid mandate: ${local.mandate.ok ? "" : local.mandate.reason}. Every order is denied.`);
  else parts.push(`Mandate ${expired ? "EXPIRED" : "valid"} until ${m.consent.expires_at}.`);
  if (halted) parts.push("Trading is HALTED (cancels still pass).");
  if (cap !== null && used !== null) parts.push(`Trades today: ${used} of ${cap}.`);
  if (used === null) parts.push(`Trade counter unreadable: ${local.counterError}. Every order is paused until it is fixed.`);
  if (typeof exposure.gross_usd === "string") {
    parts.push(`Gross exposure $${decFormat(exposure.gross_usd)}${typeof exposure.headroom_usd === "string" ? `, headroom $${decFormat(exposure.headroom_usd)}` : ""}.`);
  }
  if (!rules.valid) parts.push(`Rules invalid: ${rules.error}. Every write is denied.`);

  return {
    summary: parts.join(" "),
    broker: config.brokerKey ?? config.brokerKeyRaw,
    runtime_root: config.runtimeRoot,
    ...(opts.backend ? { state: opts.backend } : {}),
    mandate: m
      ? {
          loaded: true,
          mandate_id: m.mandate_id ?? null,
          expires_at: m.consent.expires_at,
          expired,
          hard_caps: m.hard_caps,
          universe: m.universe,
          flatten_on_halt: m.flatten_on_halt === true,
          file: where,
        }
      : { loaded: false, reason: local.mandate.ok ? null : local.mandate.reason, problems: local.mandate.ok ? [] : local.mandate.problems, file: where },
    halt: { halted, global: local.halt.global, broker: local.halt.broker, error: local.halt.error ?? null, detail: local.halt.detail ?? null },
    trades: {
      used_today: used,
      max_per_day: cap,
      left_today: cap !== null && used !== null ? Math.max(0, cap - used) : null,
      error: local.counterError ?? null,
    },
    exposure,
    rules,
  };
}
