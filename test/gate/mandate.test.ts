import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mandateValidateCommand } from "../../src/cli/mandate-validate.js";
import { validateMandate } from "../../src/gate/index.js";
import { createHash } from "node:crypto";
import { loadMandate, loadMandateAsync, readMandateFile, readMandateFileAsync } from "../../src/state/mandate-file.js";
import { mkfifoWithWatchdog } from "../state/helpers.js";
import { parseIsoTimestamp } from "../../src/gate/time.js";
import { packageRoot } from "../../src/util/package-root.js";
import { captureIo } from "./helpers.js";

const STANDARD = join(packageRoot(), "test", "fixtures", "mandates", "standard.json");
const tmp = mkdtempSync(join(tmpdir(), "gate-mandate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = () => JSON.parse(readFileSync(STANDARD, "utf8")) as Record<string, Record<string, unknown>>;
const opts = { brokerKey: "bybit" };

/** Write `text` as a mandate file and load it. */
function loadText(text: string) {
  const file = join(tmp, `m-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, text, { mode: 0o600 });
  return loadMandate(file, opts);
}
function problemsOf(edit: (m: Record<string, Record<string, unknown>>) => void) {
  const m = base();
  edit(m);
  const load = validateMandate(m, opts);
  expect(load.ok).toBe(false);
  return load.ok ? [] : load.problems;
}

describe("mandate loading", () => {
  it("loads what Vibe-Trading's commit writes, unchanged: floats, microseconds, Z, empty account_ref, mandate_id, option_limits null", () => {
    const text = readFileSync(STANDARD, "utf8");
    expect(text).toContain("2000.0");
    const load = loadMandate(STANDARD, opts);
    expect(load.ok).toBe(true);
    if (load.ok) {
      expect(load.mandate.hard_caps.max_order_notional_usd).toBe(1000);
      expect(load.mandate.consent.account_ref).toBe("");
      expect(Object.isFrozen(load.mandate.hard_caps)).toBe(true);
    }
  });

  it("accepts every enum value Vibe-Trading has today, and an option_limits object", () => {
    const m = base();
    m.hard_caps!.allowed_instruments = ["equity", "etf", "option", "crypto", "forex", "cfd"];
    m.universe!.asset_classes = ["us_equity", "us_etf", "hk_equity", "cn_equity", "in_equity", "crypto", "forex"];
    (m as Record<string, unknown>).option_limits = { max_premium_per_order_usd: 100.0, max_loss_per_order_usd: 100.0, max_premium_per_day_usd: 300.0, max_loss_per_day_usd: 300.0, allow_naked_short: false };
    expect(validateMandate(m, opts).ok).toBe(true);
  });

  it("is not invalid when expired (expiry is a gate step)", () => {
    const m = base();
    m.consent!.expires_at = "2020-01-02T00:00:00";
    m.consent!.created_at = "2020-01-01T00:00:00+00:00";
    expect(validateMandate(m, opts).ok).toBe(true);
  });

  it("compares the broker trimmed and lower-cased", () => {
    expect(validateMandate(base(), { brokerKey: "  ByBit " }).ok).toBe(true);
  });

  it.each([
    ["missing file", () => loadMandate(join(tmp, "absent.json"), opts), "(file)", /no mandate file/],
    ["bad JSON", () => loadText("{ \"schema_version\": 1,"), "(file)", /not valid JSON/],
    ["NaN written by Python", () => loadText(readFileSync(STANDARD, "utf8").replace("2000.0", "NaN")), "(file)", /not valid JSON/],
    ["root not an object", () => validateMandate([1, 2], opts), "(root)", /must be of type object/],
  ])("%s -> invalid at %s", (_name, load, path, message) => {
    const l = load();
    expect(l.ok).toBe(false);
    if (!l.ok) {
      expect(l.problems[0]!.path).toBe(path);
      expect(l.problems[0]!.message).toMatch(message);
      expect(l.reason).toMatch(/^no valid mandate: /);
    }
  });

  it.each<[string, (m: Record<string, Record<string, unknown>>) => void, string, RegExp]>([
    ["wrong type", (m) => (m.hard_caps!.max_leverage = "2"), "hard_caps.max_leverage", /must be of type number \(got "2"\)/],
    ["string false for a boolean", (m) => ((m as Record<string, unknown>).flatten_on_halt = "false"), "flatten_on_halt", /must be of type boolean/],
    ["unknown instrument", (m) => (m.hard_caps!.allowed_instruments = ["crypto", "stocks"]), "hard_caps.allowed_instruments[1]", /must be one of equity, etf, option, crypto, forex, cfd \(got "stocks"\)/],
    ["unknown asset class", (m) => (m.universe!.asset_classes = ["eu_equity"]), "universe.asset_classes[0]", /must be one of/],
    ["unknown cap", (m) => (m.hard_caps!.max_daily_loss_usd = 100), "hard_caps.max_daily_loss_usd", /^hard_caps\.max_daily_loss_usd is not enforced by this version\.$/],
    ["unknown universe key", (m) => (m.universe!.min_price_usd = 1), "universe.min_price_usd", /is not enforced by this version/],
    ["wrong schema_version", (m) => ((m as Record<string, unknown>).schema_version = 2), "schema_version", /must be 1 \(got 2\)/],
    ["negative cap", (m) => (m.hard_caps!.max_order_notional_usd = -5), "hard_caps.max_order_notional_usd", /must be greater than 0 \(got -5\)/],
    ["zero funding", (m) => (m.hard_caps!.account_funding_usd = 0), "hard_caps.account_funding_usd", /must be greater than 0/],
    ["fractional trades", (m) => (m.hard_caps!.max_trades_per_day = 2.5), "hard_caps.max_trades_per_day", /whole number/],
    ["negative trades", (m) => (m.hard_caps!.max_trades_per_day = -1), "hard_caps.max_trades_per_day", /at least 0/],
    ["missing required key", (m) => delete m.universe!.min_market_cap_usd, "universe.min_market_cap_usd", /is required/],
    ["short consent token", (m) => (m.consent!.consent_token_sha256 = "abc"), "consent.consent_token_sha256", /64 hex characters/],
    ["bad timestamp", (m) => (m.consent!.expires_at = "next tuesday"), "consent.expires_at", /ISO-8601/],
    ["impossible date", (m) => (m.consent!.expires_at = "2025-02-30T00:00:00Z"), "consent.expires_at", /ISO-8601/],
    ["expiry before creation", (m) => (m.consent!.expires_at = "2025-05-01T00:00:00Z"), "consent.expires_at", /must be after consent\.created_at/],
    ["another broker", (m) => (m.consent!.broker = "robinhood"), "consent.broker", /"robinhood" but this server trades for broker "bybit"/],
    ["unknown top-level key", (m) => ((m as Record<string, unknown>).max_drawdown = 0.1), "max_drawdown", /not a field of mandate schema 1/],
  ])("%s -> invalid at its field path", (_name, edit, path, message) => {
    const problems = problemsOf(edit);
    const p = problems.find((x) => x.path === path);
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(p!.message).toMatch(message);
  });

  it.each(["-99:99", "+24:00", "+23:60", "-2400"])("refuses the offset %s (beyond ±23:59) in timestamps and in the mandate", (offset) => {
    expect(parseIsoTimestamp(`2027-06-01T12:00:00${offset}`)).toBeNull();
    const problems = problemsOf((m) => (m.consent!.expires_at = `2027-06-01T12:00:00${offset}`));
    expect(problems.find((p) => p.path === "consent.expires_at")?.message).toMatch(/ISO-8601/);
  });

  it("accepts the extreme real offsets ±23:59", () => {
    expect(parseIsoTimestamp("2025-06-01T12:00:00+23:59")).toBe(Date.UTC(2025, 5, 1, 12) - (23 * 60 + 59) * 60_000);
    expect(parseIsoTimestamp("2025-06-01T12:00:00-2359")).toBe(Date.UTC(2025, 5, 1, 12) + (23 * 60 + 59) * 60_000);
  });

  it.each([".", "..", "a.b", ""])("is invalid for the broker key %j (trading stays halted)", (brokerKey) => {
    const load = validateMandate(base(), { brokerKey });
    expect(load.ok).toBe(false);
    if (!load.ok) expect(load.problems.find((p) => p.path === "consent.broker")?.message).toMatch(/BYBIT_BROKER_KEY is unusable/);
  });

  it("parses timestamps without an offset as UTC, never local time", () => {
    expect(parseIsoTimestamp("2025-06-01T12:00:00")).toBe(Date.UTC(2025, 5, 1, 12));
    expect(parseIsoTimestamp("2025-06-01T12:00:00.123456Z")).toBe(Date.UTC(2025, 5, 1, 12, 0, 0, 123));
    expect(parseIsoTimestamp("2025-06-01T14:00:00+02:00")).toBe(Date.UTC(2025, 5, 1, 12));
    expect(parseIsoTimestamp("2025-06-01")).toBeNull();
  });
});

describe("mandate file safety (sync and async loaders)", () => {
  const loaders = [
    ["sync", async (file: string) => loadMandate(file, opts)],
    ["async", (file: string) => loadMandateAsync(file, opts)],
  ] as const;

  it.each(loaders)("%s: a FIFO at mandate.json fails at once, named, instead of hanging", async (_n, load) => {
    const file = join(mkdtempSync(join(tmp, "fifo-")), "mandate.json");
    mkfifoWithWatchdog(file);
    const started = Date.now();
    const l = await load(file);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(l.ok).toBe(false);
    if (!l.ok) expect(l.reason).toBe(`no valid mandate: ${file} is a FIFO, not a regular file.`);
  });

  it.each(loaders)("%s: a symlink to /dev/zero fails as a device", async (_n, load) => {
    const file = join(mkdtempSync(join(tmp, "zero-")), "mandate.json");
    symlinkSync("/dev/zero", file);
    const l = await load(file);
    expect(l.ok).toBe(false);
    if (!l.ok) expect(l.reason).toContain(`${file} is a character device, not a regular file`);
  });

  it.each(loaders)("%s: a mandate writable by group or others is refused, naming the mode and chmod 600", async (_n, load) => {
    const file = join(mkdtempSync(join(tmp, "mode-")), "mandate.json");
    writeFileSync(file, readFileSync(STANDARD, "utf8"));
    for (const mode of [0o664, 0o602, 0o620]) {
      chmodSync(file, mode);
      const l = await load(file);
      expect(l.ok).toBe(false);
      if (!l.ok) {
        expect(l.reason).toContain(`(mode ${mode.toString(8).padStart(4, "0")})`);
        expect(l.reason).toContain(`chmod 600 ${file}`);
      }
    }
    for (const mode of [0o600, 0o644, 0o400]) {
      chmodSync(file, mode);
      expect((await load(file)).ok, mode.toString(8)).toBe(true);
    }
  });

  it.each(loaders)("%s: a missing file says so, and a file over 1 MiB is refused unread", async (_n, load) => {
    const missing = await load(join(tmp, "nope.json"));
    expect(!missing.ok && missing.reason).toMatch(/no mandate file at/);
    const big = join(mkdtempSync(join(tmp, "big-")), "mandate.json");
    writeFileSync(big, " ".repeat((1 << 20) + 1), { mode: 0o600 });
    const l = await load(big);
    expect(!l.ok && l.reason).toMatch(/larger than 1 MiB/);
  });
});

describe("readMandateFile", () => {
  it.each([
    ["sync", async (f: string) => readMandateFile(f, opts)],
    ["async", (f: string) => readMandateFileAsync(f, opts)],
  ] as const)("%s: hashes exactly the bytes it validated, and refuses a writable file like loadMandate", async (_n, read) => {
    const file = join(mkdtempSync(join(tmp, "hash-")), "mandate.json");
    const bytes = readFileSync(STANDARD);
    writeFileSync(file, bytes, { mode: 0o600 });
    const r = await read(file);
    expect(r.load.ok).toBe(true);
    expect(r.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    chmodSync(file, 0o666);
    const w = await read(file);
    expect(!w.load.ok && w.load.reason).toContain("chmod 600");
    expect((await read(join(tmp, "none.json"))).sha256).toBeNull();
  });

  it.each([
    ["sync", async (f: string, o = opts) => readMandateFile(f, o)],
    ["async", (f: string, o = opts) => readMandateFileAsync(f, o)],
  ] as const)("%s: every read decides on the bytes now in the file, for the broker asked about", async (_n, read) => {
    const file = join(mkdtempSync(join(tmp, "reread-")), "mandate.json");
    const m = base();
    writeFileSync(file, JSON.stringify(m), { mode: 0o600 });
    const first = await read(file);
    const again = await read(file);
    expect(again.sha256).toBe(first.sha256);
    expect(again.load.ok && again.load.mandate.hard_caps.max_order_notional_usd).toBe(m.hard_caps!.max_order_notional_usd);
    // Same size, same second: new bytes are validated, not remembered.
    const raised = JSON.stringify({ ...m, hard_caps: { ...m.hard_caps, max_order_notional_usd: 9 } });
    writeFileSync(file, raised, { mode: 0o600 });
    const now = await read(file);
    expect(now.sha256).not.toBe(first.sha256);
    expect(now.load.ok && now.load.mandate.hard_caps.max_order_notional_usd).toBe(9);
    writeFileSync(file, JSON.stringify({ ...m, hard_caps: { ...m.hard_caps, surprise_cap: 1 } }), { mode: 0o600 });
    expect((await read(file)).load.ok).toBe(false);
    writeFileSync(file, raised, { mode: 0o600 });
    const otherBroker = await read(file, { brokerKey: "okx" });
    expect(!otherBroker.load.ok && otherBroker.load.reason).toContain("broker");
  });
});

describe("bybit-mcp mandate validate", () => {
  it("prints a summary and exits 0 for a valid file", async () => {
    const io = captureIo({});
    expect(await mandateValidateCommand([STANDARD], io)).toBe(0);
    expect(io.out()).toContain("valid mandate for broker bybit");
    expect(io.out()).toContain("max order $1,000.00");
  });

  it("finds the default file under the runtime root and broker, and exits 1 listing each bad field", async () => {
    const root = join(tmp, "runtime");
    mkdirSync(join(root, "live", "acct2"), { recursive: true });
    const m = base();
    m.hard_caps!.max_leverage = -1;
    m.consent!.broker = "ACCT2";
    m.universe!.exclude_symbols = "BTC" as unknown as string[];
    writeFileSync(join(root, "live", "acct2", "mandate.json"), JSON.stringify(m), { mode: 0o600 });
    const io = captureIo({ VIBE_TRADING_HOME: root, BYBIT_BROKER_KEY: " Acct2 " });
    expect(await mandateValidateCommand([], io)).toBe(1);
    expect(io.err()).toContain(join(root, "live", "acct2", "mandate.json"));
    expect(io.err()).toMatch(/hard_caps\.max_leverage: hard_caps\.max_leverage must be greater than 0/);
    expect(io.err()).toMatch(/universe\.exclude_symbols: .*must be of type array/);
  });

  it("prefers VIBE_RUNTIME_ROOT and exits 1 on a missing file, 2 on a bad broker key", async () => {
    const io = captureIo({ VIBE_RUNTIME_ROOT: join(tmp, "empty"), VIBE_TRADING_HOME: join(tmp, "runtime") });
    expect(await mandateValidateCommand([], io)).toBe(1);
    expect(io.err()).toContain(join(tmp, "empty", "live", "bybit", "mandate.json"));
    await expect(mandateValidateCommand([], captureIo({ BYBIT_BROKER_KEY: "../x" }))).rejects.toThrow(/not a valid broker key/);
    await expect(mandateValidateCommand([], captureIo({ BYBIT_BROKER_KEY: "." }))).rejects.toThrow(/not a valid broker key/);
  });

  it("exits 1 at once for a FIFO or a group-writable file, naming why", async () => {
    const root = mkdtempSync(join(tmp, "cli-fifo-"));
    mkdirSync(join(root, "live", "bybit"), { recursive: true });
    const file = join(root, "live", "bybit", "mandate.json");
    mkfifoWithWatchdog(file);
    const io = captureIo({ VIBE_RUNTIME_ROOT: root });
    expect(await mandateValidateCommand([], io)).toBe(1);
    expect(io.err()).toContain(`(file): ${file} is a FIFO, not a regular file.`);
    const writable = join(root, "m.json");
    writeFileSync(writable, readFileSync(STANDARD, "utf8"));
    chmodSync(writable, 0o664);
    const io2 = captureIo({});
    expect(await mandateValidateCommand([writable], io2)).toBe(1);
    expect(io2.err()).toContain(`mode 0664); run chmod 600 ${writable}`);
  });
});
