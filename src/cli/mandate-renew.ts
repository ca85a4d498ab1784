/**
 * `bybit-mcp mandate renew [--days N]`: the same caps under a new consent
 * record, a new mandate id and a new expiry. Renewing extends the agent's
 * authority, so it is confirmed like init: asked on a terminal, --yes for a
 * script. The commit only goes through if the mandate on disk is still the
 * one whose caps were shown.
 */
import { UsageError } from "../errors.js";
import { DEFAULT_LIFETIME_DAYS, type MandateTerms } from "../state/consent.js";
import { parse } from "./args.js";
import { withMandateContext, reportCommit, termsLines } from "./mandate-common.js";
import { FIELDS } from "./mandate-terms.js";
import { confirm, interactive, terminalPrompter } from "./prompt.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp mandate renew [--days N] [--yes]

Renews the committed mandate: the same caps and universe, a new consent
record and mandate id, and an expiry N days from now (default ${DEFAULT_LIFETIME_DAYS}).
Works on an expired mandate too. On a terminal it shows the caps and asks
you to confirm; --yes renews without asking. A mandate_committed record is
written to the audit ledger.
Exit 0 renewed, 1 no valid mandate to renew or declined, 2 bad usage.
`;

export const mandateRenewCommand: CliCommand = async (argv, io) => {
  const { values } = parse("mandate renew", argv, { days: { type: "string" }, yes: { type: "boolean" } });
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  let days = DEFAULT_LIFETIME_DAYS;
  if (values.days !== undefined) {
    const r = FIELDS.days.parse(values.days);
    if ("problem" in r) throw new UsageError(`mandate renew: --days ${r.problem}`);
    days = r.value;
  }
  if (!values.yes && !interactive()) throw new UsageError("mandate renew: no terminal to ask for consent on; pass --yes to renew (see --help)");
  return withMandateContext("mandate renew", io, async (ctx) => {
  const load = await ctx.state.mandate.load();
  if (!load.ok) {
    io.stderr(`mandate renew: nothing to renew: ${load.reason.replace(/^no valid mandate: /, "")}\n`);
    return EXIT.CHECK_FAILED;
  }
  const m = load.mandate;
  const terms: MandateTerms = {
    hard_caps: structuredClone(m.hard_caps),
    universe: structuredClone(m.universe),
    flatten_on_halt: m.flatten_on_halt === true,
    ...(m.option_limits !== undefined ? { option_limits: structuredClone(m.option_limits) } : {}),
  };
  if (!values.yes) {
    const p = terminalPrompter();
    let ok: boolean;
    try {
      p.say(`Renew ${m.mandate_id ?? "the mandate"} (expires ${m.consent.expires_at}) for ${days} more day${days === 1 ? "" : "s"}, with:\n${termsLines(terms).join("\n")}\n`);
      ok = await confirm(p, "\nRenew?");
    } finally {
      p.close();
    }
    if (!ok) {
      io.stderr("mandate renew: not confirmed; nothing was written\n");
      return EXIT.CHECK_FAILED;
    }
  }
  const outcome = await ctx.state.mandate.commit(terms, {
    days,
    action: "renew",
    replace: true,
    // A mandate without an id (hand-written) can be renewed, but then nothing pins it.
    ...(m.mandate_id !== undefined ? { expectMandateId: m.mandate_id } : {}),
    accountRef: m.consent.account_ref,
    sessionId: ctx.config.sessionId,
    source: "cli",
  });
  return reportCommit("mandate renew", outcome, io, days);
  });
};
