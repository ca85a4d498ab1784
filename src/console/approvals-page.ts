/**
 * The approvals inbox and the page of one request (/approvals/<id>, where a
 * URL-mode elicitation sends the user). Each shows the order and the breach
 * in words, and for a pending request Approve and Reject. The URL alone
 * grants nothing: like every page it needs the console session, and the
 * decision is a CSRF-checked POST. The store re-reads the request under its
 * lock, so a request decided or expired meanwhile (another console, the
 * CLI) is refused with its own sentence. The requests live where the
 * console's state does (deps.state: the runtime root, or PostgreSQL).
 */
import { timeLeft } from "../cli/mandate-common.js";
import { APPROVAL_ID_RE, type ApprovalRequest } from "../state/approvals.js";
import { messageOf, redirect, type Handler } from "./context.js";
import { html, postForm, type Html } from "./html.js";

function statusBadge(r: ApprovalRequest): Html {
  const cls = r.status === "pending" ? "pending" : r.status === "approved" || r.status === "consumed" ? "ok" : "bad";
  return html`<span class="badge ${cls}" data-status="${r.status}">${r.status}</span>`;
}

function breaches(r: ApprovalRequest): Html {
  return html`<ul class="breaches">${r.breaches.map(
    (b) => html`<li>${b.detail} <span class="muted">(${b.limit}: limit ${String(b.limit_value ?? "none")}, attempted ${String(b.attempted_value ?? "unknown")})</span></li>`,
  )}</ul>`;
}

function decideForms(r: ApprovalRequest, csrf: string): Html {
  if (r.status !== "pending") return html``;
  const action = `/approvals/${r.id}`;
  return html`<div class="decide">${postForm(`${action}/approve`, csrf, html`<button type="submit" class="primary">Approve this one order</button>`, {}, "inline")}${postForm(
    `${action}/reject`,
    csrf,
    html`<button type="submit" class="danger">Reject</button>`,
    {},
    "inline",
  )}</div>`;
}

function summary(r: ApprovalRequest, now: number, csrf: string, link: boolean): Html {
  const expires = Date.parse(r.expires_at);
  return html`<div class="card approval" id="${r.id}" data-approval="${r.id}">
<p>${statusBadge(r)} <strong>${r.intent_normalized}</strong> · ${link ? html`<a href="/approvals/${r.id}"><code>${r.id}</code></a>` : html`<code>${r.id}</code>`}</p>
<p>${r.reason}</p>${breaches(r)}
<p class="muted">${r.order.remote_tool} · price tolerance ${r.price_tolerance_pct}% · ${r.status === "pending" ? `expires in ${timeLeft(now, expires).replace(/^expired .*/, "0 minutes")}` : `expires ${r.expires_at}`}${r.decided_by ? ` · decided by ${r.decided_by} at ${r.decided_at ?? "?"}` : ""}${r.consumed_by ? ` · used by ${r.consumed_by}` : ""}</p>
${decideForms(r, csrf)}</div>`;
}

export const approvalsPage: Handler = async ({ deps, session }) => {
  const now = deps.nowMs();
  const all = await deps.state.approvals.list();
  const pending = all.filter((r) => r.status === "pending");
  const done = all.filter((r) => r.status !== "pending").slice(0, 50);
  return {
    type: "page",
    title: "Approvals",
    section: "approvals",
    body: html`<p class="muted">An order the mandate paused waits here. Approving lets the agent's identical retry through once; nothing else changes.</p>
<h2>Waiting (${pending.length})</h2>${pending.length === 0 ? html`<p class="muted" id="no-pending">No request is waiting.</p>` : pending.map((r) => summary(r, now, session.csrf, true))}
<h2>Decided, used or expired</h2>${done.length === 0 ? html`<p class="muted">None yet.</p>` : done.map((r) => summary(r, now, session.csrf, true))}`,
  };
};

export const approvalPage: Handler = async ({ deps, session, path }) => {
  const id = path.slice("/approvals/".length);
  const r = APPROVAL_ID_RE.test(id) ? await deps.state.approvals.get(id) : null;
  if (!r) return { type: "page", status: 404, title: "No such approval request", section: "approvals", body: html`<p>There is no approval request <code>${id}</code> for broker ${deps.state.broker}.</p><p><a href="/approvals">All requests</a></p>` };
  return {
    type: "page",
    title: "Approval request",
    section: "approvals",
    body: html`${summary(r, deps.nowMs(), session.csrf, false)}<div class="card"><h2>The exact order</h2><pre>${JSON.stringify(r.order.body, null, 2)}</pre>
<p class="muted">Created ${r.created_at} · decision ${r.decision_id}</p></div><p><a href="/approvals">All requests</a></p>`,
  };
};

/** POST /approvals/<id>/approve|reject. */
export const decideAction: Handler = async ({ deps, path, form }) => {
  const m = /^\/approvals\/([^/]+)\/(approve|reject)$/.exec(path);
  const id = m?.[1] ?? "";
  const verdict = m?.[2] === "approve" ? "approved" : "rejected";
  const back = APPROVAL_ID_RE.test(id) ? `/approvals/${id}` : "/approvals";
  try {
    const note = form.get("note") ?? undefined;
    const r = await deps.state.approvals.decide(id, verdict, "console", note);
    deps.logger.info("console: approval decided", { approval_id: r.id, verdict });
    return redirect(back, verdict === "approved" ? `Approved ${r.id}: the identical retry goes through once.` : `Rejected ${r.id}.`);
  } catch (err) {
    return redirect(back, messageOf(err), true);
  }
};
