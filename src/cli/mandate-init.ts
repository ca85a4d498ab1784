/**
 * `bybit-mcp mandate init`: commit a mandate without hand-writing JSON.
 * On a terminal it asks for each cap (flags given become the defaults),
 * shows a plain summary and asks to confirm; with --yes it takes the flags
 * as they are (for scripts). With neither a terminal nor --yes it refuses:
 * consent is never assumed.
 */
import { UsageError } from "../errors.js";
import { parse } from "./args.js";
import { reportCommit, termsLines, withMandateContext } from "./mandate-common.js";
import { FIELDS, termsOf, warnings, type FieldName, type FieldValues } from "./mandate-terms.js";
import { askValid, confirm, interactive, terminalPrompter, type Prompter } from "./prompt.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp mandate init [flags] [--yes] [--replace]

Commits a mandate in Vibe-Trading's format: the consent record
live/<broker>/consent/cr_<id>.json first, then live/<broker>/mandate.json
(mode 0600), then a mandate_committed record in the audit ledger.

On a terminal it asks for each value (flags given become the defaults),
shows a summary and asks you to confirm. With --yes it commits the flags
as given, without asking (for scripts).

  --funding USD          account funding for the agent          (required with --yes)
  --max-order USD        largest single order notional          (required with --yes)
  --max-exposure USD     largest total gross exposure           (required with --yes)
  --trades-per-day N     most orders per UTC day                (required with --yes)
  --max-leverage X       largest leverage, 1 = cash only        (default 1)
  --instruments LIST     comma list of equity, etf, option, crypto, forex, cfd (default crypto)
  --asset-classes LIST   comma list of us_equity, us_etf, hk_equity, cn_equity,
                         in_equity, crypto, forex                (default crypto)
  --exclude LIST         symbols never to trade, e.g. DOGEUSDT  (default none)
  --days N               days until it expires, 1 to 366        (default 30)
  --flatten-on-halt      on halt, also close positions (default: cancel orders only)
  --yes                  commit without asking
  --replace              overwrite a mandate that is still in force

Exit 0 committed, 1 refused (one in force without --replace, declined, or
not written), 2 bad usage.
`;

const STRING_FLAGS = ["funding", "max-order", "max-exposure", "max-leverage", "trades-per-day", "instruments", "asset-classes", "exclude", "days"] as const;
const OPTIONS = {
  ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: "string" as const }])),
  "flatten-on-halt": { type: "boolean" as const },
  yes: { type: "boolean" as const },
  replace: { type: "boolean" as const },
};

export const mandateInitCommand: CliCommand = async (argv, io) => {
  const { values } = parse("mandate init", argv, OPTIONS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  const flags = values as Record<string, string | boolean | undefined>;
  // Every flag given is checked first, so a typo fails before any question.
  const given = parseFlags(flags);
  if (!flags.yes && !interactive()) {
    throw new UsageError("mandate init: no terminal to ask for consent on; pass the caps as flags and --yes to commit them (see --help)");
  }
  return withMandateContext("mandate init", io, async (ctx) => {
  const replace = flags.replace === true;
  const onDisk = await ctx.state.mandate.current(Date.now());
  if (onDisk.blocking && !replace) {
    io.stderr(`mandate init: ${onDisk.blocking}; pass --replace to overwrite it\n`);
    return EXIT.CHECK_FAILED;
  }
  let answers: FieldValues | null;
  if (flags.yes) answers = fromFlags(given);
  else {
    const p = terminalPrompter();
    try {
      answers = await ask(p, given, onDisk.id);
    } finally {
      p.close();
    }
    if (answers === null) {
      io.stderr("mandate init: not confirmed; nothing was written\n");
      return EXIT.CHECK_FAILED;
    }
  }
  const { terms, days } = termsOf(answers);
  const outcome = await ctx.state.mandate.commit(terms, { days, action: "init", replace, sessionId: ctx.config.sessionId, source: "cli" });
  return reportCommit("mandate init", outcome, io, days);
  });
};

type Given = Partial<Record<FieldName, { text: string; value: unknown }>>;

function parseFlags(flags: Record<string, string | boolean | undefined>): Given {
  const given: Given = {};
  for (const [name, field] of Object.entries(FIELDS) as [FieldName, (typeof FIELDS)[FieldName]][]) {
    const raw = flags[field.flag];
    if (raw === undefined) continue;
    const text = typeof raw === "boolean" ? (raw ? "yes" : "no") : raw;
    const r = field.parse(text);
    if ("problem" in r) throw new UsageError(`mandate init: --${field.flag} ${r.problem}`);
    given[name] = { text, value: r.value };
  }
  return given;
}

function fromFlags(given: Given): FieldValues {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(FIELDS) as [FieldName, (typeof FIELDS)[FieldName]][]) {
    const g = given[name];
    if (g) out[name] = g.value;
    else if (field.requiredWithYes) throw new UsageError(`mandate init: --${field.flag} is required with --yes`);
    else out[name] = (field.parse(field.dflt) as { value: unknown }).value;
  }
  return out as FieldValues;
}

/** The questions, the summary and the confirmation; null when declined or the input ended. */
async function ask(p: Prompter, given: Given, replacing: string | null): Promise<FieldValues | null> {
  p.say("Commit a trading mandate: the limits every order from the agent must stay within.\nPress Enter to take the value in brackets.\n\n");
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(FIELDS) as [FieldName, (typeof FIELDS)[FieldName]][]) {
    const v = await askValid<unknown>(p, field.prompt, given[name]?.text ?? field.dflt, field.parse);
    if (v === null) return null;
    out[name] = v;
  }
  const answers = out as FieldValues;
  const { terms, days } = termsOf(answers);
  p.say(`\nThe mandate, for ${days} day${days === 1 ? "" : "s"}:\n${termsLines(terms).join("\n")}\n`);
  for (const w of warnings(terms)) p.say(`  note: ${w}\n`);
  if (replacing) p.say(`  This replaces the mandate ${replacing}.\n`);
  return (await confirm(p, "\nCommit this mandate?")) ? answers : null;
}
