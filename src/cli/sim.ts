/**
 * `bybit-mcp sim`: runs the simulated Bybit v5 exchange in the foreground
 * until SIGINT or SIGTERM, printing its base URL and demo key and secret
 * as one JSON line on stderr. Only parses arguments and wires.
 */
import { parseArgs } from "node:util";
import { FAULT_NAMES, type FaultName, type NextFault, type SimOptions, startSim } from "../sim/index.js";
import { type CliCommand, EXIT } from "./types.js";

const USAGE = `Usage: bybit-mcp sim [options]

Runs a simulated Bybit v5 exchange on loopback (for tests, the demo and rehearsal).

Options:
  --port N                 port to listen on (default 8002; 0 = any free port)
  --host HOST              address to bind (default 127.0.0.1)
  --state FILE             keep orders, positions and wallet in FILE across restarts
  --latency-ms N           delay every /v5 answer by N ms
  --clock-skew-ms N        offset the server clock by N ms (may be negative)
  --fault NAME[:PATH[:COUNT]]
                           queue a one-shot fault (repeatable); NAME is one of
                           ${FAULT_NAMES.join(", ")}
  --no-drift               keep mark prices fixed
  --no-rate-limits         do not answer 10006 when a UID exceeds its limits
  --help                   show this help
`;

class UsageProblem extends Error {}

function integer(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageProblem(`${flag} must be an integer between ${min} and ${max}, got "${value}"`);
  }
  return Number(value);
}

/** NAME[:PATH[:COUNT]], e.g. "drop_after_process:/v5/order/create:1". */
export function parseFaultFlag(text: string): NextFault {
  const [name, path, count, ...rest] = text.split(":");
  if (rest.length > 0 || !FAULT_NAMES.includes(name as FaultName)) {
    throw new UsageProblem(`--fault must be NAME[:PATH[:COUNT]] with NAME one of ${FAULT_NAMES.join(", ")}, got "${text}"`);
  }
  const fault: NextFault = { fault: name as FaultName };
  if (path) {
    if (!path.startsWith("/")) throw new UsageProblem(`--fault path must start with "/", got "${path}"`);
    fault.path = path;
  }
  if (count !== undefined) fault.count = integer(count, "--fault COUNT", 1, 1_000_000);
  return fault;
}

interface Parsed {
  help: boolean;
  options: SimOptions;
  latencyMs?: number;
  clockSkewMs?: number;
  faults: NextFault[];
}

function parse(argv: string[]): Parsed {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        state: { type: "string" },
        "latency-ms": { type: "string" },
        "clock-skew-ms": { type: "string" },
        fault: { type: "string", multiple: true },
        "no-drift": { type: "boolean" },
        "no-rate-limits": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    // parseArgs explains some mistakes over several lines; the contract is one line.
    throw new UsageProblem((err instanceof Error ? err.message : String(err)).split("\n")[0]!.trim());
  }
  if (values.host !== undefined && values.host.trim() === "") throw new UsageProblem("--host must not be empty");
  if (values.state !== undefined && values.state.trim() === "") throw new UsageProblem("--state must name a file");
  return {
    help: values.help === true,
    options: {
      port: integer(values.port, "--port", 0, 65535) ?? 8002,
      host: values.host ?? "127.0.0.1",
      ...(values.state === undefined ? {} : { stateFile: values.state }),
      markDrift: values["no-drift"] !== true,
      rateLimits: values["no-rate-limits"] !== true,
    },
    latencyMs: integer(values["latency-ms"], "--latency-ms", 0, 600_000),
    clockSkewMs: integer(values["clock-skew-ms"], "--clock-skew-ms", -86_400_000, 86_400_000),
    faults: (values.fault ?? []).map(parseFaultFlag),
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

/** The command with an injectable stop signal (tests pass their own). */
export function makeSimCommand(waitForStop: () => Promise<void> = waitForSignal): CliCommand {
  return async (argv, io) => {
    let parsed: Parsed;
    try {
      parsed = parse(argv);
    } catch (err) {
      io.stderr(`bybit-mcp sim: ${err instanceof Error ? err.message : String(err)} (see --help)\n`);
      return EXIT.USAGE;
    }
    if (parsed.help) {
      io.stdout(USAGE);
      return EXIT.OK;
    }
    let sim;
    try {
      sim = await startSim(parsed.options);
    } catch (err) {
      io.stderr(`bybit-mcp sim: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
      return EXIT.USAGE;
    }
    sim.faults.set({
      ...(parsed.latencyMs === undefined ? {} : { latencyMs: parsed.latencyMs }),
      ...(parsed.clockSkewMs === undefined ? {} : { clockSkewMs: parsed.clockSkewMs }),
      next: parsed.faults,
    });
    const stopped = waitForStop();
    io.stderr(
      `${JSON.stringify({
        msg: "bybit-mcp sim listening",
        url: sim.url,
        apiKey: sim.apiKey,
        apiSecret: sim.apiSecret,
        ...(parsed.options.stateFile ? { stateFile: parsed.options.stateFile } : {}),
        hint: `BYBIT_BASE_URL=${sim.url} BYBIT_API_KEY=${sim.apiKey} BYBIT_API_SECRET=${sim.apiSecret}`,
      })}\n`,
    );
    await stopped;
    await sim.close();
    io.stderr(`${JSON.stringify({ msg: "bybit-mcp sim stopped" })}\n`);
    return EXIT.OK;
  };
}

export const simCommand: CliCommand = makeSimCommand();
