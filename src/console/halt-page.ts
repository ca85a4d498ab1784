/**
 * The kill switch from the console. Halt is two steps (the form, then a
 * confirmation page) and trips the same switch as `bybit-mcp halt` with
 * by: "frontend", as Vibe-Trading's own UI does (on files the HALT file; on
 * PostgreSQL the bybit_mcp_halt row every host hears of, and this host's
 * HALT file too when its runtime root exists); then a halt_tripped record.
 * The switch goes first: a ledger that cannot be written must not keep
 * trading alive. Unhalt is the other way round, as in the CLI: the
 * halt_cleared record first, and if the ledger refuses it, trading stays
 * halted. Resting orders are not cancelled from here (that needs the
 * exchange client and its lock); the page says to use the CLI for that.
 */
import { isHalted } from "../state/halt.js";
import type { AuditInput } from "../state/audit.js";
import { messageOf, redirect, type ConsoleDeps, type Handler } from "./context.js";
import { html, postForm } from "./html.js";

type Scope = "global" | "broker";
const MAX_REASON = 300;

function scopeOf(text: string | null): Scope {
  return text === "global" ? "global" : "broker";
}

function haltRecord(deps: ConsoleDeps, kind: "halt_tripped" | "halt_cleared", intent: string, scope: Scope): AuditInput {
  return {
    kind,
    session_id: deps.config.sessionId,
    intent_normalized: intent,
    mandate_snapshot_ref: null,
    consent_record_ref: null,
    broker_request: null,
    broker_response: null,
    outcome: "accepted",
    gate_decision: null,
    server: deps.state.broker,
    remote_tool: "console",
    error: null,
    extra: { scope, broker: deps.state.broker, by: "frontend" },
  };
}

export const haltPage: Handler = async ({ deps, session }) => {
  const broker = deps.state.broker;
  const h = await deps.state.halt.read();
  const halted = isHalted(h);
  const d = h.detail;
  const state = halted
    ? html`<div class="card halted" id="halt-state"><p class="state-bad">Trading is HALTED</p>
<ul>${h.global ? html`<li>global switch on (all brokers): <code>${deps.state.where.halt("global")}</code></li>` : ""}${h.broker ? html`<li>switch on for broker ${broker}: <code>${deps.state.where.halt("broker")}</code></li>` : ""}${h.error ? html`<li class="problem">${h.error}</li>` : ""}</ul>
${d ? html`<p>Tripped ${d.tripped_at ?? "at an unknown time"} by ${d.by ?? "unknown"}${d.reason ? html`: ${d.reason}` : ""}</p>` : ""}
<p class="muted">New orders are refused; cancels still pass.</p>
${h.broker ? postForm("/unhalt", session.csrf, html`<button type="submit" class="primary">Unhalt broker ${broker}</button>`, { scope: "broker" }, "inline") : ""}
${h.global ? postForm("/unhalt", session.csrf, html`<button type="submit" class="primary">Unhalt all brokers</button>`, { scope: "global" }, "inline") : ""}</div>`
    : html`<div class="card" id="halt-state"><p class="state-ok">Not halted.</p></div>`;
  const form = postForm(
    "/halt",
    session.csrf,
    html`<label for="reason">Reason (recorded with the kill switch and in the ledger)</label><input type="text" id="reason" name="reason" maxlength="${String(MAX_REASON)}" required>
<label class="check"><input type="radio" name="scope" value="broker" checked> this broker (${broker})</label>
<label class="check"><input type="radio" name="scope" value="global"> all brokers (live/HALT, also stops Vibe-Trading's other brokers)</label>
<p><button type="submit" class="danger">Halt…</button></p>`,
  );
  return {
    type: "page",
    title: "Halt",
    section: "halt",
    body: html`${state}<div class="card"><h2>Halt trading</h2><p class="muted">The switch for this broker is <code id="halt-where">${deps.state.where.halt("broker")}</code>. You will be asked to confirm. Resting orders stay on the exchange: run <code>bybit-mcp halt --reason …</code> to cancel them too.</p>${form}</div>`,
  };
};

/** POST /halt: without confirm=yes, the confirmation page; with it, trip the switch and audit. */
export const haltAction: Handler = async ({ deps, session, form }) => {
  const reason = (form.get("reason") ?? "").trim().slice(0, MAX_REASON);
  const scope = scopeOf(form.get("scope"));
  if (reason === "") return redirect("/halt", "Give a reason for the halt.", true);
  const where = scope === "global" ? "all brokers" : `broker ${deps.state.broker}`;
  if (form.get("confirm") !== "yes") {
    return {
      type: "page",
      title: "Confirm halt",
      section: "halt",
      body: html`<div class="card halted"><p>Halt <strong>${where}</strong>: “${reason}”.</p><p>Every new order will be refused until someone unhalts.</p>
${postForm("/halt", session.csrf, html`<button type="submit" class="danger" id="confirm-halt">Confirm halt</button>`, { reason, scope, confirm: "yes" }, "inline")}<a href="/halt">Cancel</a></div>`,
    };
  }
  try {
    await deps.state.halt.trip(scope, "frontend", reason);
  } catch (err) {
    return redirect("/halt", `Could not halt: ${messageOf(err)}`, true);
  }
  deps.logger.warn("console: halt tripped", { scope, broker: deps.state.broker });
  try {
    await deps.state.ledger.append(haltRecord(deps, "halt_tripped", `halt ${where}: ${reason}`, scope));
  } catch (err) {
    return redirect("/halt", `Halted, but the ledger could not record it: ${messageOf(err)}`, true);
  }
  return redirect("/halt", `Halted ${where}: ${deps.state.where.halt(scope)}.`);
};

export const unhaltAction: Handler = async ({ deps, form }) => {
  const scope = scopeOf(form.get("scope"));
  try {
    if (!(await deps.state.halt.isSet(scope))) return redirect("/halt", `No ${scope} kill switch was set.`);
  } catch (err) {
    return redirect("/halt", `Could not read the kill switch, so it stays as it is: ${messageOf(err)}`, true);
  }
  try {
    await deps.state.ledger.append(haltRecord(deps, "halt_cleared", `unhalt ${scope === "global" ? "all brokers" : deps.state.broker}`, scope));
  } catch (err) {
    return redirect("/halt", `The ledger could not record the unhalt, so the kill switch stays on: ${messageOf(err)}`, true);
  }
  try {
    await deps.state.halt.clear(scope);
  } catch (err) {
    return redirect("/halt", `Could not clear the kill switch: ${messageOf(err)}`, true);
  }
  deps.logger.warn("console: halt cleared", { scope, broker: deps.state.broker });
  return redirect("/halt", `Kill switch cleared (${scope}).`);
};
