/**
 * The front page: the mandate's caps and expiry, with gauges for what is
 * left of it — gross exposure against its cap, trades today against the
 * cap, time left — and the halt state and pending approvals at a glance.
 * It reads exactly what `bybit-mcp mandate status` reads (from the
 * console's state: the runtime root, or PostgreSQL); exposure needs
 * API keys, and without them the page says "not read" instead of guessing.
 */
import { formatValue } from "../gate/format.js";
import { parseIsoTimestamp } from "../gate/time.js";
import type { Mandate } from "../gate/types.js";
import { timeLeft } from "../cli/mandate-common.js";
import { decFormat } from "../util/decimal.js";
import { messageOf, type Handler } from "./context.js";
import { gauge, html, type Html } from "./html.js";

interface StatusView {
  mandate: { loaded: boolean; mandate_id?: string | null; expires_at?: string; expired?: boolean | null; hard_caps?: Mandate["hard_caps"]; universe?: Mandate["universe"]; flatten_on_halt?: boolean; reason?: string | null; file: string | null };
  halt: { halted: boolean; global: boolean; broker: boolean; error: string | null; detail: { reason?: string; by?: string; tripped_at?: string; scope?: string } | null };
  trades: { used_today: number | null; max_per_day: number | null; left_today: number | null; error: string | null };
  exposure: { gross_usd: string | null; headroom_usd: string | null; error?: string };
  rules: { valid: boolean; revision?: string; error?: string };
}

export const mandatePage: Handler = async ({ deps }) => {
  const now = deps.nowMs();
  const s = (await deps.status()) as unknown as StatusView;
  const pending = await deps.state.approvals.list({ status: "pending" }).then(
    (l) => l.length,
    (err: unknown) => messageOf(err),
  );
  const m = s.mandate;
  const parts: Html[] = [];

  parts.push(html`<div class="card${s.halt.halted ? " halted" : ""}" id="halt-state">${
    s.halt.halted
      ? html`<span class="state-bad">Trading is HALTED</span> (${s.halt.global ? "all brokers" : "this broker"})${s.halt.detail?.reason ? html`: ${s.halt.detail.reason}` : ""}${s.halt.error ? html` <span class="problem">${s.halt.error}</span>` : ""}. <a href="/halt">Halt page</a>`
      : html`<span class="state-ok">Not halted.</span> <a href="/halt">Halt page</a>`
  }${
    typeof pending === "string"
      ? html` · <span class="problem">approvals could not be read: ${pending}</span>`
      : pending > 0
        ? html` · <a href="/approvals">${pending} approval request${pending === 1 ? "" : "s"} waiting</a>`
        : ""
  }</div>`);

  if (!m.loaded || !m.hard_caps || !m.universe || !m.expires_at) {
    parts.push(html`<div class="card halted"><p class="state-bad">No valid mandate: every order is denied.</p><p>${m.reason ?? ""}</p><p><a href="/mandate/commit">Commit a mandate</a></p></div>`);
    return { type: "page", title: "Mandate", section: "mandate", body: html`${parts}` };
  }

  const c = m.hard_caps;
  const expiresMs = parseIsoTimestamp(m.expires_at);
  const load = await deps.state.mandate.load().catch(() => null);
  const createdMs = load?.ok && load.mandate.mandate_id === m.mandate_id ? parseIsoTimestamp(load.mandate.consent.created_at) : null;

  const gauges: Html[] = [];
  if (s.exposure.gross_usd !== null) {
    gauges.push(
      gauge("Exposure", Number(s.exposure.gross_usd), c.max_total_exposure_usd, `$${decFormat(s.exposure.gross_usd)} of ${formatValue(c.max_total_exposure_usd, "usd")}`, { highIsBad: true }),
    );
  } else {
    gauges.push(html`<div class="gauge"><span class="gauge-label">Exposure</span><span class="muted" id="exposure-not-read">not read: ${s.exposure.error ?? "unknown"}</span><span class="gauge-text">cap ${formatValue(c.max_total_exposure_usd, "usd")}</span></div>`);
  }
  if (s.trades.used_today !== null) {
    gauges.push(gauge("Trades today", s.trades.used_today, c.max_trades_per_day, `${s.trades.used_today} of ${c.max_trades_per_day} (UTC day)`, { highIsBad: true }));
  } else {
    gauges.push(html`<div class="gauge"><span class="gauge-label">Trades today</span><span class="problem">counter unreadable: ${s.trades.error ?? ""}</span><span></span></div>`);
  }
  if (expiresMs !== null) {
    const lifetime = createdMs !== null && expiresMs > createdMs ? expiresMs - createdMs : 30 * 86_400_000;
    gauges.push(gauge("Time left", expiresMs - now, lifetime, timeLeft(now, expiresMs), { highIsBad: false }));
  }

  const u = m.universe;
  parts.push(html`<div class="card" id="mandate">
<p>${m.expired ? html`<span class="state-bad">EXPIRED</span>` : html`<span class="state-ok">In force</span>`} until <strong>${m.expires_at}</strong> · <code>${m.mandate_id ?? "(no id)"}</code></p>
${gauges}
<table><tbody>
<tr><th>Funding</th><td>${formatValue(c.account_funding_usd, "usd")}</td></tr>
<tr><th>Largest order</th><td>${formatValue(c.max_order_notional_usd, "usd")} notional</td></tr>
<tr><th>Largest exposure</th><td>${formatValue(c.max_total_exposure_usd, "usd")} gross${s.exposure.headroom_usd !== null ? html` (headroom $${decFormat(s.exposure.headroom_usd)})` : ""}</td></tr>
<tr><th>Largest leverage</th><td>${formatValue(c.max_leverage, "ratio")}${c.max_leverage === 1 ? " (cash only)" : ""}</td></tr>
<tr><th>Trades per day</th><td>${c.max_trades_per_day}${s.trades.left_today !== null ? ` (${s.trades.left_today} left today)` : ""}</td></tr>
<tr><th>Instruments</th><td>${formatValue(c.allowed_instruments)}</td></tr>
<tr><th>Asset classes</th><td>${formatValue(u.asset_classes)}</td></tr>
<tr><th>Never trade</th><td>${formatValue(u.exclude_symbols)}</td></tr>
<tr><th>On halt</th><td>${m.flatten_on_halt ? "cancel orders and close positions" : "cancel orders only"}</td></tr>
<tr><th>Rules</th><td>${s.rules.valid ? html`revision <code>${s.rules.revision ?? ""}</code>` : html`<span class="problem">invalid: ${s.rules.error ?? ""}; every write is denied</span>`}</td></tr>
</tbody></table>
<p class="muted" id="mandate-where">${m.file ?? deps.state.where.mandate}</p>
<p><a href="/mandate/commit">Renew or replace it</a></p></div>`);
  return { type: "page", title: "Mandate", section: "mandate", body: html`${parts}` };
};
