/**
 * The ledger timeline: the newest records first, filterable by kind, under
 * a badge that says whether the hash chain verifies (the same walk as
 * `bybit-mcp audit verify`). Read-only; the filter is a GET form.
 */
import { AUDIT_KINDS, type AuditRecord } from "../state/audit.js";
import { messageOf, type Handler } from "./context.js";
import { html, type Html } from "./html.js";

const SHOWN = 200;

function row(r: AuditRecord): Html {
  const approval = typeof r.approval_id === "string" ? r.approval_id : null;
  const outcome = r.status ?? r.outcome;
  return html`<tr data-kind="${r.kind}"><td><code>${r.ts}</code></td><td>${r.kind}</td><td>${outcome}</td><td>${r.intent_normalized ?? ""}${
    r.error ? html`<div class="problem">${r.error}</div>` : ""
  }${approval ? html`<div class="muted">approval <a href="/approvals/${approval}"><code>${approval}</code></a></div>` : ""}</td><td>${r.remote_tool}</td><td><code>${r.audit_id}</code></td></tr>`;
}

export const ledgerPage: Handler = ({ deps, query }) => {
  const asked = query.get("kind") ?? "";
  const kind = (AUDIT_KINDS as readonly string[]).includes(asked) ? asked : undefined;
  let badge: Html;
  try {
    const v = deps.ledger.verify();
    badge = v.ok
      ? html`<span class="badge ok" id="chain-badge" data-chain="ok">chain verified: ${v.records} record${v.records === 1 ? "" : "s"}</span>`
      : html`<span class="badge bad" id="chain-badge" data-chain="broken">chain BROKEN at seq ${String(v.brokenAtSeq ?? "?")}: ${v.reason ?? ""}</span>`;
  } catch (err) {
    badge = html`<span class="badge bad" id="chain-badge" data-chain="error">chain not verified: ${messageOf(err)}</span>`;
  }
  let rows: Html[];
  let problem: Html = html``;
  try {
    rows = deps.ledger.tail(SHOWN, kind).reverse().map(row);
  } catch (err) {
    rows = [];
    problem = html`<p class="problem">The ledger could not be read: ${messageOf(err)}</p>`;
  }
  const filters = html`<p class="filters">Kind: <a href="/ledger"${kind === undefined ? html` class="here"` : ""}>all</a>${AUDIT_KINDS.map(
    (k) => html`<a href="/ledger?kind=${k}"${k === kind ? html` class="here"` : ""}>${k}</a>`,
  )}</p>`;
  return {
    type: "page",
    title: "Ledger",
    section: "ledger",
    body: html`<p>${badge} <span class="muted">${deps.paths.audit}</span></p>${filters}${problem}
<table id="timeline"><thead><tr><th>time (UTC)</th><th>kind</th><th>outcome</th><th>what</th><th>by</th><th>audit id</th></tr></thead><tbody>${
      rows.length === 0 ? html`<tr><td colspan="6" class="muted">No records${kind ? ` of kind ${kind}` : ""}.</td></tr>` : rows
    }</tbody></table><p class="muted">Newest first; the last ${SHOWN} shown. <code>bybit-mcp audit tail</code> reads them all.</p>`,
  };
};
