/**
 * commitMandate in process: the failure paths the CLI tests cannot reach —
 * a ledger that refuses the record leaves the previous mandate in place, a
 * renew whose mandate changed underneath is refused, bad terms are refused
 * with the field, and an order holding the lock keeps the mandate unchanged.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleMandate } from "../../src/demo/mandate.js";
import { loadMandate } from "../../src/state/mandate-file.js";
import { AuditError, LockError } from "../../src/errors.js";
import { AuditLedger, withOrderLock, type RuntimePaths } from "../../src/state/index.js";
import { commitMandate, consentToken, pythonIsoUtc, type CommitOptions, type MandateTerms } from "../../src/state/consent.js";
import { tempPaths } from "./helpers.js";

const TERMS: MandateTerms = {
  hard_caps: { account_funding_usd: 5000, max_order_notional_usd: 500, max_total_exposure_usd: 2500, max_leverage: 1, allowed_instruments: ["crypto"], max_trades_per_day: 20 },
  universe: { asset_classes: ["crypto"], min_market_cap_usd: null, min_avg_daily_volume_usd: null, exclude_symbols: ["DOGEUSDT"] },
  flatten_on_halt: false,
};

function opts(p: RuntimePaths, o: Partial<CommitOptions> = {}): CommitOptions {
  return { days: 30, action: "init", sessionId: "s_test", source: "cli", ledger: new AuditLedger(p), ...o };
}

function seedMandate(p: RuntimePaths, o: Parameters<typeof exampleMandate>[0] = {}): string {
  const text = JSON.stringify(exampleMandate(o));
  mkdirSync(p.brokerDir, { recursive: true });
  writeFileSync(p.mandate, text, { mode: 0o600 });
  return text;
}

describe("commitMandate", () => {
  it("commits and returns what it wrote; the file loads as the gate loads it", async () => {
    const p = tempPaths();
    const nowMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const o = await commitMandate(p, TERMS, opts(p, { nowMs, days: 7 }));
    if (o.status !== "committed") throw new Error(o.reason);
    expect(o.createdAt).toBe("2026-01-02T03:04:05.678000Z");
    expect(o.expiresAt).toBe("2026-01-09T03:04:05.678000Z");
    const load = loadMandate(p.mandate, { brokerKey: "bybit" });
    expect(load.ok && load.mandate.mandate_id).toBe(o.mandateId);
    expect(load.ok && load.mandate.consent.consent_token_sha256).toBe(o.consentTokenSha256);
    expect(o.record.kind).toBe("mandate_committed");
  });

  it("puts the previous mandate back when the ledger refuses the record", async () => {
    const p = tempPaths();
    const before = seedMandate(p);
    writeFileSync(p.auditChain, "not a chain line\n");
    await expect(commitMandate(p, TERMS, opts(p, { replace: true }))).rejects.toBeInstanceOf(AuditError);
    expect(readFileSync(p.mandate, "utf8")).toBe(before);
  });

  it("leaves no mandate when there was none and the ledger refuses", async () => {
    const p = tempPaths();
    mkdirSync(p.live, { recursive: true });
    writeFileSync(p.auditChain, "not a chain line\n");
    await expect(commitMandate(p, TERMS, opts(p))).rejects.toBeInstanceOf(AuditError);
    expect(existsSync(p.mandate)).toBe(false);
  });

  it("refuses a renew when the mandate on disk is no longer the one shown", async () => {
    const p = tempPaths();
    const before = seedMandate(p);
    const o = await commitMandate(p, TERMS, opts(p, { action: "renew", replace: true, expectMandateId: "mandate_other" }));
    expect(o).toMatchObject({ status: "refused", code: "changed" });
    expect(readFileSync(p.mandate, "utf8")).toBe(before);
    expect(existsSync(join(p.brokerDir, "consent"))).toBe(false);
  });

  it("refuses terms that do not make a valid mandate, naming the field", async () => {
    const p = tempPaths();
    const bad = { ...TERMS, hard_caps: { ...TERMS.hard_caps, max_order_notional_usd: -1 } };
    const o = await commitMandate(p, bad, opts(p));
    expect(o.status).toBe("refused");
    expect(o.status === "refused" && o.problems?.map((x) => x.path)).toContain("hard_caps.max_order_notional_usd");
    expect((await commitMandate(p, TERMS, opts(p, { days: 0 }))).status).toBe("refused");
    expect(existsSync(p.mandate)).toBe(false);
  });

  it("waits for an order holding the lock, and gives up with LockError leaving everything unchanged", async () => {
    const p = tempPaths();
    const before = seedMandate(p, { consent: { expires_at: new Date(Date.now() - 1000).toISOString(), created_at: new Date(Date.now() - 86_400_000).toISOString() } });
    await withOrderLock(p, { timeoutMs: 1000 }, async () => {
      await expect(commitMandate(p, TERMS, opts(p, { lockTimeoutMs: 50 }))).rejects.toBeInstanceOf(LockError);
    });
    expect(readFileSync(p.mandate, "utf8")).toBe(before);
    expect(existsSync(join(p.brokerDir, "consent"))).toBe(false);
    // Once the lock is free the same commit goes through (the old one had expired).
    expect((await commitMandate(p, TERMS, opts(p))).status).toBe("committed");
    expect(readdirSync(join(p.brokerDir, "consent"))).toHaveLength(1);
  });

  it("keeps option_limits on renew, before flatten_on_halt", async () => {
    const p = tempPaths();
    const limits = { max_premium_per_order_usd: 10, max_loss_per_order_usd: 10, max_premium_per_day_usd: 20, max_loss_per_day_usd: 20 };
    const o = await commitMandate(p, { ...TERMS, option_limits: limits }, opts(p));
    expect(o.status).toBe("committed");
    const m = JSON.parse(readFileSync(p.mandate, "utf8"));
    expect(m.option_limits).toEqual(limits);
    expect(Object.keys(m)).toEqual(["schema_version", "mandate_id", "hard_caps", "universe", "option_limits", "flatten_on_halt", "consent"]);
  });
});

describe("the formats commit.py uses", () => {
  it("pythonIsoUtc prints datetime.isoformat() with Z: microseconds, none when zero", () => {
    expect(pythonIsoUtc(Date.UTC(2026, 5, 1, 12, 0, 0, 5))).toBe("2026-06-01T12:00:00.005000Z");
    expect(pythonIsoUtc(Date.UTC(2026, 5, 1, 12, 0, 0, 0))).toBe("2026-06-01T12:00:00Z");
  });

  it("consentToken is sha256 of proposal|ordinal|record|created", () => {
    // sha256("mp_a|1|cr_b|2026-06-01T12:00:00Z"), computed with Python's hashlib.
    expect(consentToken("mp_a", 1, "cr_b", "2026-06-01T12:00:00Z")).toBe("2098afe91ca9948bb0c98f3d1c1b057d65b75626fa05057bae2f3cdda9bf84af");
  });
});
