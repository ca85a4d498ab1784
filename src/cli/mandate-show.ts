/**
 * `bybit-mcp mandate show`: the committed mandate in words — caps, universe,
 * when it was committed, when it expires and how long is left, and where its
 * files are. Reads files only: no API key, no network.
 */
import { parseIsoTimestamp } from "../gate/time.js";
import { parse } from "./args.js";
import { termsLines, timeLeft, withMandateContext } from "./mandate-common.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp mandate show

Prints the committed mandate of the configured broker plainly: caps,
universe, created and expiry times, time left, and the files.
Exit 0 when a mandate is in force, 1 when there is none, it is invalid or
it has expired.
`;

export const mandateShowCommand: CliCommand = async (argv, io) => {
  const { values } = parse("mandate show", argv, {});
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  return withMandateContext("mandate show", io, async ({ state }) => {
  const load = await state.mandate.load();
  if (!load.ok) {
    io.stderr(`mandate show: ${load.reason}\n`);
    for (const p of load.problems) io.stderr(`  ${p.path}: ${p.message}\n`);
    return EXIT.CHECK_FAILED;
  }
  const m = load.mandate;
  const nowMs = Date.now();
  const expires = parseIsoTimestamp(m.consent.expires_at) ?? 0;
  const expired = nowMs >= expires;
  const consent = m.mandate_id ? await state.mandate.consentRecord(m.mandate_id) : null;
  io.stdout(
    [
      `mandate ${m.mandate_id ?? "(no id)"} for broker ${m.consent.broker}: ${expired ? "EXPIRED - orders pause until it is renewed" : "in force"}`,
      `  created:        ${m.consent.created_at}`,
      `  expires:        ${m.consent.expires_at} (${timeLeft(nowMs, expires)}${expired ? "" : " left"})`,
      ...termsLines({ hard_caps: m.hard_caps, universe: m.universe, flatten_on_halt: m.flatten_on_halt === true, option_limits: m.option_limits }),
      `  ${state.backend === "files" ? "file:          " : "stored in:     "} ${state.where.mandate}`,
      `  consent record: ${consent ?? "not found"}`,
      `  consent token:  sha256 ${m.consent.consent_token_sha256}`,
      "",
    ].join("\n"),
  );
  return expired ? EXIT.CHECK_FAILED : EXIT.OK;
  });
};
