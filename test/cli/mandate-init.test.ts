/**
 * `bybit-mcp mandate init` with flags, through the built CLI: what it writes
 * passes our own validator and the rules Vibe-Trading's loader and commit
 * apply (agent/src/live/mandate/store.py, commit.py), it refuses bad flags
 * with one line naming the flag, and it never overwrites a mandate in force
 * without --replace.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseIsoTimestamp } from "../../src/gate/time.js";
import { CLI, assertBuilt } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

const FLAGS = ["--funding", "5000", "--max-order", "500", "--max-exposure", "2500", "--max-leverage", "1", "--trades-per-day", "20", "--instruments", "crypto", "--asset-classes", "crypto", "--exclude", "DOGEUSDT", "--days", "30"];

const runtimes: Runtime[] = [];
afterEach(() => {
  for (const r of runtimes.splice(0)) r.cleanup();
});

function runtime(): Runtime {
  const rt = tempRuntime();
  runtimes.push(rt);
  return rt;
}

function cli(rt: Runtime, args: string[], env: Record<string, string> = {}) {
  assertBuilt();
  return spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", VIBE_RUNTIME_ROOT: rt.root, ...env },
    input: "",
    encoding: "utf8",
    timeout: 20_000,
  });
}

function consentFiles(rt: Runtime): string[] {
  const dir = join(rt.broker, "consent");
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
}

function ledger(rt: Runtime): Record<string, unknown>[] {
  const file = join(rt.live, "audit.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("mandate init with flags", () => {
  it("writes a mandate that `mandate validate` accepts, with the caps given", () => {
    const rt = runtime();
    const r = cli(rt, ["mandate", "init", ...FLAGS, "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^committed mandate_[0-9a-f]{32} for broker bybit/);
    const v = cli(rt, ["mandate", "validate"]);
    expect(v.stderr).toBe("");
    expect(v.status).toBe(0);
    expect(v.stdout).toContain("valid mandate for broker bybit");
    expect(v.stdout).toContain("max order $500.00");
    expect(v.stdout).toContain("exclude DOGEUSDT");
    const m = JSON.parse(readFileSync(join(rt.broker, "mandate.json"), "utf8"));
    expect(m.hard_caps).toEqual({
      account_funding_usd: 5000,
      max_order_notional_usd: 500,
      max_total_exposure_usd: 2500,
      max_leverage: 1,
      allowed_instruments: ["crypto"],
      max_trades_per_day: 20,
    });
    expect(m.universe).toEqual({ asset_classes: ["crypto"], min_market_cap_usd: null, min_avg_daily_volume_usd: null, exclude_symbols: ["DOGEUSDT"] });
    expect(m.flatten_on_halt).toBe(false);
    expect(cli(rt, ["mandate", "show"]).stdout).toMatch(/in force[\s\S]*29 days 23 hours left/);
  });

  it("passes Vibe-Trading's loader and commit rules: layout, key order, ids, token formula, 0600, the consent record", () => {
    const rt = runtime();
    expect(cli(rt, ["mandate", "init", ...FLAGS, "--flatten-on-halt", "--yes"]).status).toBe(0);
    const mandateFile = join(rt.broker, "mandate.json");
    const text = readFileSync(mandateFile, "utf8");
    const m = JSON.parse(text);
    // commit.py's document order, written as json.dumps(..., ensure_ascii=False) on one line.
    expect(Object.keys(m)).toEqual(["schema_version", "mandate_id", "hard_caps", "universe", "flatten_on_halt", "consent"]);
    expect(text).not.toContain("\n");
    expect(text).toContain('"account_funding_usd": 5000.0');
    expect(text).toContain('"max_trades_per_day": 20}');
    expect(m.schema_version).toBe(1);
    expect(m.mandate_id).toMatch(/^mandate_[0-9a-f]{32}$/);
    expect(m.flatten_on_halt).toBe(true);
    expect(Object.keys(m.consent)).toEqual(["created_at", "consent_token_sha256", "broker", "account_ref", "expires_at"]);
    expect(m.consent.broker).toBe("bybit");
    expect(m.consent.account_ref).toBe("");
    // datetime.isoformat() with "+00:00" written as "Z"; expiry = created + 30 days.
    expect(m.consent.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/);
    const created = parseIsoTimestamp(m.consent.created_at)!;
    expect(parseIsoTimestamp(m.consent.expires_at)! - created).toBe(30 * 86_400_000);
    expect(Math.abs(Date.now() - created)).toBeLessThan(60_000);
    // store.py's types: floats for money and leverage, int trades, enum members, strings.
    for (const k of ["account_funding_usd", "max_order_notional_usd", "max_total_exposure_usd", "max_leverage"]) expect(typeof m.hard_caps[k]).toBe("number");
    expect(Number.isInteger(m.hard_caps.max_trades_per_day)).toBe(true);
    for (const i of m.hard_caps.allowed_instruments) expect(["equity", "etf", "option", "crypto", "forex", "cfd"]).toContain(i);
    for (const a of m.universe.asset_classes) expect(["us_equity", "us_etf", "hk_equity", "cn_equity", "in_equity", "crypto", "forex"]).toContain(a);
    expect(Object.keys(m.universe)).toEqual(["asset_classes", "min_market_cap_usd", "min_avg_daily_volume_usd", "exclude_symbols"]);

    const files = consentFiles(rt);
    expect(files).toHaveLength(1);
    const crFile = files[0]!;
    const cr = JSON.parse(readFileSync(crFile, "utf8"));
    expect(crFile.endsWith(`${cr.consent_record_id}.json`)).toBe(true);
    expect(cr.consent_record_id).toMatch(/^cr_[0-9a-f]{32}$/);
    expect(Object.keys(cr).slice(0, 14)).toEqual([
      "consent_record_id", "mandate_id", "proposal_id", "selected_ordinal", "adjustments", "consent_ack", "session_id",
      "broker", "account_ref", "resolved_profile", "flatten_on_halt", "ceilings_ref", "created_at", "expires_at",
    ]);
    expect(cr).toMatchObject({ mandate_id: m.mandate_id, consent_ack: true, broker: "bybit", account_ref: "", flatten_on_halt: true, created_at: m.consent.created_at, expires_at: m.consent.expires_at });
    expect(cr.proposal_id).toMatch(/^mp_[0-9a-f]{32}$/);
    expect(cr.resolved_profile).toMatchObject({ max_order_usd: 500, daily_trade_cap: 20, leverage: 1, instruments: ["crypto"], exclude_symbols: ["DOGEUSDT"] });
    const token = createHash("sha256").update(`${cr.proposal_id}|${cr.selected_ordinal}|${cr.consent_record_id}|${cr.created_at}`).digest("hex");
    expect(m.consent.consent_token_sha256).toBe(token);

    for (const f of [mandateFile, crFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    // The consent record is written before the mandate (evidence before authority).
    expect(statSync(crFile).mtimeMs).toBeLessThanOrEqual(statSync(mandateFile).mtimeMs);
    // Python itself parses both, with floats where store.py calls float() and the times fromisoformat reads.
    const py = spawnSync("python3", ["-c", PY_LOADER, mandateFile], { encoding: "utf8" });
    expect(py.stderr).toBe("");
    expect(py.stdout.trim()).toBe("ok");
  });

  it("appends one mandate_committed record as Vibe-Trading writes it, and the chain verifies", () => {
    const rt = runtime();
    expect(cli(rt, ["mandate", "init", ...FLAGS, "--yes"]).status).toBe(0);
    const m = JSON.parse(readFileSync(join(rt.broker, "mandate.json"), "utf8"));
    const recs = ledger(rt);
    expect(recs).toHaveLength(1);
    const rec = recs[0]!;
    expect(Object.keys(rec).slice(0, 14)).toEqual([
      "audit_id", "ts", "session_id", "kind", "intent_normalized", "mandate_snapshot_ref", "consent_record_ref",
      "broker_request", "broker_response", "outcome", "gate_decision", "server", "remote_tool", "error",
    ]);
    expect(rec).toMatchObject({ kind: "mandate_committed", outcome: "accepted", gate_decision: null, server: "bybit", error: null, mandate_id: m.mandate_id, mandate_snapshot_ref: m.consent.consent_token_sha256, action: "init" });
    expect(rec.intent_normalized).toContain("max order $500.00");
    const v = cli(rt, ["audit", "verify"]);
    expect(v.status).toBe(0);
  });

  it("refuses to overwrite a mandate in force without --replace, and replaces it with", () => {
    const rt = runtime();
    expect(cli(rt, ["mandate", "init", ...FLAGS, "--yes"]).status).toBe(0);
    const before = readFileSync(join(rt.broker, "mandate.json"), "utf8");
    const again = cli(rt, ["mandate", "init", ...FLAGS, "--max-order", "100", "--yes"]);
    expect(again.status).toBe(1);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);
    expect(again.stderr).toMatch(/in force until .*--replace/);
    expect(readFileSync(join(rt.broker, "mandate.json"), "utf8")).toBe(before);
    expect(consentFiles(rt)).toHaveLength(1);
    expect(ledger(rt)).toHaveLength(1);

    const replaced = cli(rt, ["mandate", "init", ...FLAGS, "--max-order", "100", "--yes", "--replace"]);
    expect(replaced.status).toBe(0);
    const m = JSON.parse(readFileSync(join(rt.broker, "mandate.json"), "utf8"));
    expect(m.hard_caps.max_order_notional_usd).toBe(100);
    expect(replaced.stdout).toContain(`replaces:       ${JSON.parse(before).mandate_id}`);
    expect(consentFiles(rt)).toHaveLength(2);
    expect(ledger(rt).map((r) => r.replaced_mandate_id)).toEqual([null, JSON.parse(before).mandate_id]);
  });

  it("writes over an expired mandate without --replace, but not over an unreadable one", () => {
    const rt = runtime();
    const past = Date.now() - 40 * 86_400_000;
    rt.writeMandate({ consent: { created_at: new Date(past).toISOString(), expires_at: new Date(past + 30 * 86_400_000).toISOString() } });
    expect(cli(rt, ["mandate", "init", ...FLAGS, "--yes"]).status).toBe(0);
    writeFileSync(join(rt.broker, "mandate.json"), '{"schema_version": 2}');
    const r = cli(rt, ["mandate", "init", ...FLAGS, "--yes"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exists but is not a valid mandate.*--replace/);
    expect(readFileSync(join(rt.broker, "mandate.json"), "utf8")).toBe('{"schema_version": 2}');
  });

  const badFlags: [string, string[]][] = [
    ["funding", ["--funding", "abc"]],
    ["funding", ["--funding", "0"]],
    ["max-order", ["--max-order", "-5"]],
    ["max-leverage", ["--max-leverage", "0"]],
    ["trades-per-day", ["--trades-per-day", "2.5"]],
    ["instruments", ["--instruments", "crypto,stocks"]],
    ["asset-classes", ["--asset-classes", ""]],
    ["exclude", ["--exclude", "DOGE USDT"]],
    ["days", ["--days", "0"]],
    ["days", ["--days", "400"]],
  ];
  it.each(badFlags)("a bad --%s is bad usage: exit 2, one line naming it, nothing written", (flag, bad) => {
    const rt = runtime();
    const r = cli(rt, ["mandate", "init", ...FLAGS, ...bad, "--yes"]);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`--${flag}`);
    expect(existsSync(join(rt.broker, "mandate.json"))).toBe(false);
    expect(consentFiles(rt)).toHaveLength(0);
  });

  it("with --yes every money cap must be given; the rest default (cash only, crypto, 30 days)", () => {
    const rt = runtime();
    const r = cli(rt, ["mandate", "init", "--funding", "5000", "--max-order", "500", "--trades-per-day", "20", "--yes"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--max-exposure is required with --yes");
    expect(cli(rt, ["mandate", "init", "--funding", "5000", "--max-order", "500", "--max-exposure", "2500", "--trades-per-day", "20", "--yes"]).status).toBe(0);
    const m = JSON.parse(readFileSync(join(rt.broker, "mandate.json"), "utf8"));
    expect(m.hard_caps.max_leverage).toBe(1);
    expect(m.hard_caps.allowed_instruments).toEqual(["crypto"]);
    expect(m.universe.exclude_symbols).toEqual([]);
    expect(parseIsoTimestamp(m.consent.expires_at)! - parseIsoTimestamp(m.consent.created_at)!).toBe(30 * 86_400_000);
  });

  it("without a terminal and without --yes it refuses and says to pass --yes", () => {
    const rt = runtime();
    const r = cli(rt, ["mandate", "init", ...FLAGS]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--yes");
    expect(existsSync(join(rt.broker, "mandate.json"))).toBe(false);
    const renew = cli(rt, ["mandate", "renew"]);
    expect(renew.status).toBe(2);
    expect(renew.stderr).toContain("--yes");
  });

  it("an invalid broker key is a configuration error naming BYBIT_BROKER_KEY", () => {
    const rt = runtime();
    const r = cli(rt, ["mandate", "init", ...FLAGS, "--yes"], { BYBIT_BROKER_KEY: "../x" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("BYBIT_BROKER_KEY");
  });

  it("mandate show says plainly when there is no mandate or it has expired (exit 1)", () => {
    const rt = runtime();
    const none = cli(rt, ["mandate", "show"]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("no mandate file");
    const past = Date.now() - 40 * 86_400_000;
    rt.writeMandate({ consent: { created_at: new Date(past).toISOString(), expires_at: new Date(past + 30 * 86_400_000).toISOString() } });
    const old = cli(rt, ["mandate", "show"]);
    expect(old.status).toBe(1);
    expect(old.stdout).toMatch(/EXPIRED[\s\S]*\(expired 10 days 0 hours ago\)[\s\S]*consent record: not found/);
  });

  it("--help on init, renew and show", () => {
    const rt = runtime();
    for (const cmd of ["init", "renew", "show"]) {
      const r = cli(rt, ["mandate", cmd, "--help"]);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`Usage: bybit-mcp mandate ${cmd}`);
    }
  });
});

/** What store.py's _parse_mandate does to the file, and fromisoformat on the times (Python 3.11). */
const PY_LOADER = String.raw`
import json, sys
from datetime import datetime, timezone
m = json.load(open(sys.argv[1], encoding="utf-8"))
c = m["hard_caps"]; u = m["universe"]; k = m["consent"]
for f in ("account_funding_usd", "max_order_notional_usd", "max_total_exposure_usd", "max_leverage"):
    assert isinstance(c[f], float), f
assert isinstance(c["max_trades_per_day"], int)
assert int(m["schema_version"]) == 1
for f in ("created_at", "consent_token_sha256", "broker", "account_ref", "expires_at"):
    assert isinstance(k[f], str), f
for f in ("min_market_cap_usd", "min_avg_daily_volume_usd"):
    assert u[f] is None or isinstance(u[f], float), f
created = datetime.fromisoformat(k["created_at"]); expires = datetime.fromisoformat(k["expires_at"])
assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
assert (expires - created).days == 30
assert isinstance(m["flatten_on_halt"], bool)
print("ok")
`;
