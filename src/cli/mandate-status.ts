/**
 * `bybit-mcp mandate status`: the same status the MCP tool gives, for a person.
 */
import { loadConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { buildDeps } from "./serve.js";
import { parse } from "./args.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp mandate status [--json]

Shows whether a mandate is loaded (or why not), caps and expiry, trades left
today, gross exposure and headroom (needs BYBIT_API_KEY), halt state and the
rules revision. Exit 1 when no valid mandate is in force or trading is halted.
`;

export const mandateStatusCommand: CliCommand = async (argv, io) => {
  const { values } = parse("mandate status", argv, { json: { type: "boolean" } });
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  const config = loadConfig(io.env);
  const deps = buildDeps(config, silentLogger);
  try {
    const s = await (await deps.trading()).status();
    if (values.json) io.stdout(`${JSON.stringify(s, null, 2)}\n`);
    else {
      io.stdout(`${s.summary}\n`);
      const m = s.mandate as { loaded: boolean; hard_caps?: Record<string, unknown> };
      if (m.hard_caps) for (const [k, v] of Object.entries(m.hard_caps)) io.stdout(`  ${k}: ${JSON.stringify(v)}\n`);
    }
    const ok = (s.mandate as { loaded: boolean; expired?: boolean }).loaded && !(s.mandate as { expired?: boolean }).expired && !(s.halt as { halted: boolean }).halted;
    return ok ? EXIT.OK : EXIT.CHECK_FAILED;
  } finally {
    await deps.close();
  }
};
