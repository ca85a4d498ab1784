/**
 * The ledger timeline: the newest records first, filterable by kind, under
 * a badge that says whether the hash chain verifies (the same walk as
 * `bybit-mcp audit verify`). Read-only; the filter is a GET form.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CliState } from "../cli/state.js";
import { AUDIT_KINDS, type AuditRecord, type VerifyResult } from "../state/audit.js";
import { messageOf, type ConsoleDeps, type Handler } from "./context.js";
import { html, type Html } from "./html.js";

const SHOWN = 200;

/**
 * Files: the walk is O(records) (about 90 ms for 1,400), so its answer is kept
 * while every chain file (the live one and each sealed segment) has the same
 * inode, size, mtime and ctime; ctime moves on any write and cannot be set
 * back, so a file edited since is walked again. Any doubt (a stat failing)
 * walks again.
 *
 * PostgreSQL: walked on every load. The table has no stamp like ctime that
 * every change must move: a record count (or the last seq) stays the same
 * when a row is edited in place, and a cache keyed on it would show an
 * edited chain as verified. The walk reads the rows the page would read
 * anyway, and a person loads this page, not a loop.
 */
const verified = new WeakMap<CliState, { key: string; result: VerifyResult }>();

function chainKey(live: string): string | null {
  try {
    return readdirSync(live)
      .filter((n) => /^audit_chain(\.\d+)?\.jsonl$/.test(n))
      .sort()
      .map((n) => {
        const st = statSync(join(live, n), { bigint: true });
        return `${n}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      })
      .join("|");
  } catch {
    return null;
  }
}

async function verifyChain(deps: ConsoleDeps): Promise<VerifyResult> {
  const { state } = deps;
  if (state.backend !== "files") return state.ledger.verify();
  const key = chainKey(state.paths.live);
  const hit = verified.get(state);
  if (key !== null && hit && hit.key === key) return hit.result;
  const result = await state.ledger.verify();
  // Only a key taken before the walk and unchanged after it may stand for the walk's answer.
  if (key !== null && chainKey(state.paths.live) === key) verified.set(state, { key, result });
  return result;
}

function row(r: AuditRecord): Html {
  const approval = typeof r.approval_id === "string" ? r.approval_id : null;
  const outcome = r.status ?? r.outcome;
  return html`<tr data-kind="${r.kind}"><td><code>${r.ts}</code></td><td>${r.kind}</td><td>${outcome}</td><td>${r.intent_normalized ?? ""}${
    r.error ? html`<div class="problem">${r.error}</div>` : ""
  }${approval ? html`<div class="muted">approval <a href="/approvals/${approval}"><code>${approval}</code></a></div>` : ""}</td><td>${r.remote_tool}</td><td><code>${r.audit_id}</code></td></tr>`;
}

export const ledgerPage: Handler = async ({ deps, query }) => {
  const asked = query.get("kind") ?? "";
  const kind = (AUDIT_KINDS as readonly string[]).includes(asked) ? asked : undefined;
  let badge: Html;
  try {
    const v = await verifyChain(deps);
    badge = v.ok
      ? html`<span class="badge ok" id="chain-badge" data-chain="ok">chain verified: ${v.records} record${v.records === 1 ? "" : "s"}</span>`
      : html`<span class="badge bad" id="chain-badge" data-chain="broken">chain BROKEN at seq ${String(v.brokenAtSeq ?? "?")}: ${v.reason ?? ""}</span>`;
  } catch (err) {
    badge = html`<span class="badge bad" id="chain-badge" data-chain="error">chain not verified: ${messageOf(err)}</span>`;
  }
  let rows: Html[];
  let problem: Html = html``;
  try {
    rows = (await deps.state.ledger.tail(SHOWN, kind)).reverse().map(row);
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
    body: html`<p>${badge} <span class="muted" id="ledger-where">${deps.state.where.ledger}</span></p>${filters}${problem}
<table id="timeline"><thead><tr><th>time (UTC)</th><th>kind</th><th>outcome</th><th>what</th><th>by</th><th>audit id</th></tr></thead><tbody>${
      rows.length === 0 ? html`<tr><td colspan="6" class="muted">No records${kind ? ` of kind ${kind}` : ""}.</td></tr>` : rows
    }</tbody></table><p class="muted">Newest first; the last ${SHOWN} shown. <code>bybit-mcp audit tail</code> reads them all.</p>`,
  };
};
