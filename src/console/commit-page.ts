/**
 * Commit and renew a mandate from the console, with the CLI's own pieces:
 * the field parsers of `mandate init` (src/cli/mandate-terms.ts), so the
 * same text is accepted or refused with the same sentence, and
 * the state's commit (deps.state.mandate.commit): on files Vibe-Trading's
 * consent record, mandate.json and the mandate_committed record under the
 * order lock; on PostgreSQL a new mandate version, its consent record and
 * the ledger record in one transaction under the shared lock.
 *
 * Consent is explicit, as on the terminal: the form leads to a summary in
 * words, and only its Commit button (confirm=yes) writes anything. Renew
 * shows the caps it keeps and names the mandate id it renews, so a mandate
 * replaced meanwhile (by the CLI, another console) is refused, not renewed.
 */
import { termsLines } from "../cli/mandate-common.js";
import { FIELDS, termsOf as termsOfAnswers, warnings, type FieldName, type FieldValues } from "../cli/mandate-terms.js";
import type { Mandate } from "../gate/types.js";
import { DEFAULT_LIFETIME_DAYS, type CommitOutcome, type MandateTerms } from "../state/consent.js";
import { messageOf, redirect, type ConsoleDeps, type Handler, type Reply } from "./context.js";
import { html, postForm, type Html } from "./html.js";

const NAMES = Object.keys(FIELDS) as FieldName[];

/** The form's text for each field: the mandate in force, else the CLI's defaults. */
function defaults(m: Mandate | null): Record<FieldName, string> {
  const out = Object.fromEntries(NAMES.map((n) => [n, FIELDS[n].dflt])) as Record<FieldName, string>;
  if (!m) return out;
  const c = m.hard_caps;
  out.funding = String(c.account_funding_usd);
  out.maxOrder = String(c.max_order_notional_usd);
  out.maxExposure = String(c.max_total_exposure_usd);
  out.maxLeverage = String(c.max_leverage);
  out.tradesPerDay = String(c.max_trades_per_day);
  out.instruments = c.allowed_instruments.join(",");
  out.assetClasses = m.universe.asset_classes.join(",");
  out.exclude = m.universe.exclude_symbols.join(",") || "none";
  out.flattenOnHalt = m.flatten_on_halt ? "yes" : "no";
  return out;
}

function textOf(form: URLSearchParams, name: FieldName): string {
  // A checkbox sends its value only when ticked.
  if (name === "flattenOnHalt") return form.get(FIELDS.flattenOnHalt.flag) === "yes" ? "yes" : "no";
  return form.get(FIELDS[name].flag) ?? "";
}

function parseForm(form: URLSearchParams): { texts: Record<FieldName, string>; values: FieldValues | null; problems: Partial<Record<FieldName, string>> } {
  const texts = {} as Record<FieldName, string>;
  const values: Record<string, unknown> = {};
  const problems: Partial<Record<FieldName, string>> = {};
  for (const n of NAMES) {
    texts[n] = textOf(form, n);
    const r = FIELDS[n].parse(texts[n]);
    if ("problem" in r) problems[n] = r.problem;
    else values[n] = r.value;
  }
  return { texts, values: Object.keys(problems).length === 0 ? (values as FieldValues) : null, problems };
}

function commitForm(csrf: string, texts: Record<FieldName, string>, problems: Partial<Record<FieldName, string>>, replace: { needed: string | null; checked: boolean }): Html {
  const inputs = NAMES.map((n) => {
    const f = FIELDS[n];
    const problem = problems[n] ? html`<div class="problem" data-problem="${f.flag}">${f.prompt} ${problems[n]}</div>` : "";
    if (n === "flattenOnHalt") {
      return html`<label class="check"><input type="checkbox" name="${f.flag}" value="yes"${texts[n] === "yes" ? html` checked` : ""}> On halt, also close positions (not only cancel orders)</label>${problem}`;
    }
    return html`<label for="f-${f.flag}">${f.prompt}</label><input type="text" id="f-${f.flag}" name="${f.flag}" value="${texts[n]}">${problem}`;
  });
  const replaceBox = replace.needed
    ? html`<div class="card halted"><p>${replace.needed}.</p><label class="check"><input type="checkbox" name="replace" value="yes"${replace.checked ? html` checked` : ""}> Replace it</label></div>`
    : "";
  return postForm("/mandate/commit", csrf, html`${inputs}${replaceBox}<p><button type="submit" class="primary">Review…</button></p>`);
}

function renewCard(m: Mandate, csrf: string): Html {
  const terms = keptTerms(m);
  return html`<div class="card" id="renew"><h2>Renew</h2><p>Renew <code>${m.mandate_id ?? "the mandate"}</code> (expires ${m.consent.expires_at}) with the same caps:</p><pre>${termsLines(terms).join("\n")}</pre>${postForm(
    "/mandate/renew",
    csrf,
    html`<label for="renew-days">Days from now</label><input type="number" id="renew-days" name="days" min="1" max="366" value="${String(DEFAULT_LIFETIME_DAYS)}"><p><button type="submit" class="primary">Renew with these caps</button></p>`,
    { expect: m.mandate_id ?? "" },
  )}</div>`;
}

/** The terms of the mandate in force, kept as they are on renew (option_limits included). */
function keptTerms(m: Mandate): MandateTerms {
  return {
    hard_caps: structuredClone(m.hard_caps),
    universe: structuredClone(m.universe),
    flatten_on_halt: m.flatten_on_halt === true,
    ...(m.option_limits !== undefined ? { option_limits: structuredClone(m.option_limits) } : {}),
  };
}

async function loaded(deps: ConsoleDeps): Promise<Mandate | null> {
  const load = await deps.state.mandate.load();
  return load.ok ? load.mandate : null;
}

export const commitPage: Handler = async ({ deps, session }) => {
  const [m, { blocking }] = await Promise.all([loaded(deps), deps.state.mandate.current(deps.nowMs())]);
  return {
    type: "page",
    title: "Commit / renew",
    section: "commit",
    body: html`${m ? renewCard(m, session.csrf) : ""}<div class="card"><h2>${m ? "Commit new caps" : "Commit a mandate"}</h2><p class="muted">The limits every order from the agent must stay within. You will see a summary before anything is written to <code id="mandate-where">${deps.state.where.mandate}</code>.</p>${commitForm(
      session.csrf,
      defaults(m),
      {},
      { needed: blocking, checked: false },
    )}</div>`,
  };
};

function outcomeReply(o: CommitOutcome, what: string): Reply {
  if (o.status === "refused") return redirect("/mandate/commit", `${what} refused: ${o.reason}`, true);
  return redirect("/", `Committed ${o.mandateId}: in force until ${o.expiresAt}. Ledger record ${o.record.audit_id}.`);
}

/** POST /mandate/commit: the form with its problems, the summary to confirm, or (confirm=yes) the commit. */
export const commitAction: Handler = async ({ deps, session, form }) => {
  const { texts, values, problems } = parseForm(form);
  const replace = form.get("replace") === "yes";
  const { blocking } = await deps.state.mandate.current(deps.nowMs());
  if (!values) {
    return { type: "page", status: 400, title: "Commit a mandate", section: "commit", body: html`<div class="card">${commitForm(session.csrf, texts, problems, { needed: blocking, checked: replace })}</div>` };
  }
  const { terms, days } = termsOfAnswers(values);
  if (form.get("confirm") !== "yes") {
    const hidden: Record<string, string> = Object.fromEntries(NAMES.map((n) => [FIELDS[n].flag, texts[n]]));
    if (replace) hidden.replace = "yes";
    hidden.confirm = "yes";
    return {
      type: "page",
      title: "Confirm the mandate",
      section: "commit",
      body: html`<div class="card" id="summary"><p>The mandate, for ${days} day${days === 1 ? "" : "s"}:</p><pre>${termsLines(terms).join("\n")}</pre>${warnings(terms).map((w) => html`<p class="problem">note: ${w}</p>`)}${
        blocking ? html`<p class="${replace ? "" : "problem"}">${blocking}${replace ? "; it will be replaced." : "; tick “Replace it” on the form to overwrite it."}</p>` : ""
      }${postForm("/mandate/commit", session.csrf, html`<button type="submit" class="primary" id="confirm-commit">Commit this mandate</button>`, hidden, "inline")}<a href="/mandate/commit">Back</a></div>`,
    };
  }
  try {
    const o = await deps.state.mandate.commit(terms, { days, action: "init", replace, sessionId: deps.config.sessionId, source: "console" });
    return outcomeReply(o, "Commit");
  } catch (err) {
    return redirect("/mandate/commit", `Nothing was committed: ${messageOf(err)}`, true);
  }
};

/** POST /mandate/renew: the same caps, a new consent record, expiry `days` from now. */
export const renewAction: Handler = async ({ deps, form }) => {
  const d = FIELDS.days.parse(form.get("days") ?? "");
  if ("problem" in d) return redirect("/mandate/commit", `Days ${d.problem}.`, true);
  const m = await loaded(deps);
  if (!m) return redirect("/mandate/commit", "There is no valid mandate to renew.", true);
  const expect = form.get("expect") ?? "";
  if ((m.mandate_id ?? "") !== expect) return redirect("/mandate/commit", `The mandate in force is no longer ${expect || "the one shown"}; nothing was written. Check it and try again.`, true);
  try {
    const o = await deps.state.mandate.commit(keptTerms(m), {
      days: d.value,
      action: "renew",
      replace: true,
      ...(m.mandate_id !== undefined ? { expectMandateId: m.mandate_id } : {}),
      accountRef: m.consent.account_ref,
      sessionId: deps.config.sessionId,
      source: "console",
    });
    return outcomeReply(o, "Renew");
  } catch (err) {
    return redirect("/mandate/commit", `Nothing was renewed: ${messageOf(err)}`, true);
  }
};
