import { describe, expect, it } from "vitest";
import { makeSimCommand, parseFaultFlag, simCommand } from "../../src/cli/sim.js";
import type { CliIo } from "../../src/cli/types.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const sink: CliIo = { env: {}, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
  return { sink, out, err };
}

describe("bybit-mcp sim", () => {
  it("--help prints usage and exits 0", async () => {
    const { sink, out } = io();
    expect(await simCommand(["--help"], sink)).toBe(0);
    expect(out.join("")).toMatch(/Usage: bybit-mcp sim/);
  });

  it.each([
    [["--port", "99999"]],
    [["--port", "abc"]],
    [["--bogus"]],
    [["--fault", "explode"]],
    [["--fault", "hang:v5/order"]],
    [["--fault", "hang:/v5/order:0"]],
    [["--latency-ms", "-1"]],
    [["--latency-ms=-1"]],
    [["positional"]],
  ])("bad flags %j exit 2 with one line on stderr", async (argv) => {
    const { sink, err } = io();
    expect(await simCommand(argv, sink)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]!.trim().split("\n")).toHaveLength(1);
  });

  it("parses NAME[:PATH[:COUNT]]", () => {
    expect(parseFaultFlag("hang")).toEqual({ fault: "hang" });
    expect(parseFaultFlag("drop_after_process:/v5/order/create:2")).toEqual({ fault: "drop_after_process", path: "/v5/order/create", count: 2 });
  });

  it("starts, prints URL, key and secret on stderr, applies flags, and stops cleanly", async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const { sink, err } = io();
    const run = makeSimCommand(() => stopped)(
      ["--port", "0", "--no-drift", "--no-rate-limits", "--clock-skew-ms", "30000", "--fault", "ret10016:/v5/market/tickers"],
      sink,
    );
    while (err.length === 0) await new Promise((r) => setTimeout(r, 10));
    const info = JSON.parse(err[0]!) as { url: string; apiKey: string; apiSecret: string };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.apiKey).toBe("sim-demo-key");
    expect(info.apiSecret).toBe("sim-demo-secret");

    const tick = (await (await fetch(`${info.url}/v5/market/tickers?category=linear`)).json()) as { retCode: number };
    expect(tick.retCode).toBe(10016);
    const time = (await (await fetch(`${info.url}/v5/market/time`)).json()) as { time: number };
    expect(time.time - Date.now()).toBeGreaterThan(25_000);

    stop();
    expect(await run).toBe(0);
    await expect(fetch(`${info.url}/v5/market/time`)).rejects.toThrow();
  });
});
