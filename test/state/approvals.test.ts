/**
 * The approvals store: files on disk are the truth (0600, atomic), a
 * request moves pending -> approved|rejected -> consumed once, expiry reads
 * through, anything malformed is no request, and racing processes cannot
 * both win a transition.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ApprovalError, StateError } from "../../src/errors.js";
import { ApprovalStore, orderHash, type ApprovalInput, type ApprovalOrder, type RuntimePaths } from "../../src/state/index.js";
import { compiledStateModule, nodeChild, py, tempPaths } from "./helpers.js";

const T0 = Date.parse("2026-12-01T12:00:00.000Z");

const ORDER: ApprovalOrder = {
  tool: "place_order",
  remote_tool: "bybit_place_order",
  body: { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.0125", price: "ü" },
};

function input(over: Partial<ApprovalInput> = {}): ApprovalInput {
  return {
    decision_id: "dec_1",
    intent_normalized: "buy $1,250.00 BTCUSDT (linear)",
    reason: "order notional $1,250.00 exceeds max_order_notional_usd $1,000.00",
    order: ORDER,
    breaches: [{ limit: "max_order_notional_usd", kind: "notional", limit_value: 1000, attempted_value: "1250.00", detail: "order notional $1,250.00 exceeds $1,000.00" }],
    price_tolerance_pct: "1",
    ...over,
  };
}

function store(p: RuntimePaths, clock = { now: T0 }, ttlMs = 600_000) {
  return new ApprovalStore(p, { ttlMs, nowMs: () => clock.now });
}

describe("ApprovalStore.create", () => {
  it("writes one pending request 0600 under approvals/, with the order's canonical hash", () => {
    const p = tempPaths();
    const r = store(p).create(input());
    expect(r.id).toMatch(/^apr_[0-9a-f]{32}$/);
    expect(r).toMatchObject({ broker: "bybit", status: "pending", created_at: "2026-12-01T12:00:00.000Z", expires_at: "2026-12-01T12:10:00.000Z", decision_id: "dec_1" });
    const file = join(p.approvals, `${r.id}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(p.approvals).filter((n) => !n.startsWith("."))).toEqual([`${r.id}.json`]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(r);
    // Python's own canonical dump is the oracle for the hash the retry must match.
    const pyHash = py(
      `import hashlib, json, sys
o = json.loads(sys.stdin.read())
print(hashlib.sha256(json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()).hexdigest())`,
      [],
      JSON.stringify(ORDER),
    ).trim();
    expect(r.order_hash).toBe(pyHash);
    expect(orderHash(ORDER)).toBe(pyHash);
    expect(orderHash({ ...ORDER, body: { ...ORDER.body, qty: "0.0126" } })).not.toBe(pyHash);
  });

  it("refuses an order body that carries orderLinkId (a retry gets a new one, so it could never match)", () => {
    const p = tempPaths();
    expect(() => store(p).create(input({ order: { ...ORDER, body: { ...ORDER.body, orderLinkId: "x" } } }))).toThrow(StateError);
    expect(() => store(p).create(input({ breaches: [] }))).toThrow(StateError);
  });
});

describe("ApprovalStore.get and list", () => {
  it("returns null for ids that are not ids, never touching a path", () => {
    const p = tempPaths();
    const s = store(p);
    const r = s.create(input());
    writeFileSync(join(p.brokerDir, "x.json"), readFileSync(join(p.approvals, `${r.id}.json`)));
    for (const id of ["../x", `${r.id}/../${r.id}`, r.id.toUpperCase(), `${r.id}0`, "apr_", ""]) expect(s.get(id), id).toBeNull();
    expect(s.get(`apr_${"0".repeat(32)}`)).toBeNull();
    expect(s.get(r.id)?.id).toBe(r.id);
  });

  it("reads garbage, a wrong id, a hand-edited order and a FIFO as no request (and does not hang)", () => {
    const p = tempPaths();
    const s = store(p);
    const [a, b, c, d] = [s.create(input()), s.create(input()), s.create(input()), s.create(input())];
    const f = (id: string) => join(p.approvals, `${id}.json`);
    writeFileSync(f(a.id), "{not json");
    writeFileSync(f(b.id), JSON.stringify({ ...b, id: c.id }));
    writeFileSync(f(c.id), JSON.stringify({ ...c, order: { ...c.order, body: { ...c.order.body, qty: "5" } } }));
    execFileSync("rm", [f(d.id)]);
    execFileSync("mkfifo", [f(d.id)]);
    for (const r of [a, b, c, d]) expect(s.get(r.id), r.id).toBeNull();
    expect(s.list()).toEqual([]);
    expect(() => s.decide(c.id, "approved", "cli")).toThrow(ApprovalError);
  });

  it("reads pending and approved requests past expires_at as expired, without rewriting them", () => {
    const p = tempPaths();
    const clock = { now: T0 };
    const s = store(p, clock);
    const pending = s.create(input());
    const approved = s.create(input());
    s.decide(approved.id, "approved", "cli");
    const rejected = s.create(input());
    s.decide(rejected.id, "rejected", "cli");
    clock.now = T0 + 600_000 - 1;
    expect(s.get(pending.id)?.status).toBe("pending");
    clock.now = T0 + 600_000;
    expect(s.get(pending.id)?.status).toBe("expired");
    expect(s.get(approved.id)?.status).toBe("expired");
    expect(s.get(rejected.id)?.status).toBe("rejected");
    expect(JSON.parse(readFileSync(join(p.approvals, `${pending.id}.json`), "utf8")).status).toBe("pending");
    expect(s.list({ status: "expired" }).map((r) => r.id).sort()).toEqual([pending.id, approved.id].sort());
    expect(s.list({ status: "pending" })).toEqual([]);
  });

  it("lists newest first, filters by status, and is empty before the directory exists", () => {
    const p = tempPaths();
    const clock = { now: T0 };
    const s = store(p, clock);
    expect(s.list()).toEqual([]);
    const first = s.create(input());
    clock.now += 1000;
    const second = s.create(input());
    clock.now += 1000;
    const third = s.create(input());
    s.decide(second.id, "rejected", "console");
    expect(s.list().map((r) => r.id)).toEqual([third.id, second.id, first.id]);
    expect(s.list({ status: "pending" }).map((r) => r.id)).toEqual([third.id, first.id]);
    expect(s.list({ status: "rejected" }).map((r) => r.id)).toEqual([second.id]);
  });
});

describe("ApprovalStore.decide", () => {
  it("approves a pending request once, recording who, when and the note", () => {
    const p = tempPaths();
    const clock = { now: T0 };
    const s = store(p, clock);
    const r = s.create(input());
    clock.now += 5000;
    const d = s.decide(r.id, "approved", "cli", "  ok for today  ");
    expect(d).toMatchObject({ status: "approved", decided_by: "cli", decided_at: "2026-12-01T12:00:05.000Z", decided_note: "ok for today" });
    expect(store(p, clock).get(r.id)).toEqual(d);
    const again = (() => {
      try {
        s.decide(r.id, "rejected", "console");
      } catch (e) {
        return e;
      }
    })();
    expect(again).toBeInstanceOf(ApprovalError);
    expect(again).toMatchObject({ code: "E_APPROVAL", status: "approved", message: `${r.id} was already approved; nothing was changed` });
    expect(s.get(r.id)?.status).toBe("approved");
  });

  it("refuses a verdict on an order other than the one the person was shown", () => {
    const p = tempPaths();
    const s = store(p);
    const r = s.create(input());
    expect(() => s.decide(r.id, "approved", "console", undefined, orderHash({ ...ORDER, body: { ...ORDER.body, qty: "9" } }))).toThrow(
      `${r.id} no longer holds the order you were shown; nothing was changed`,
    );
    expect(s.get(r.id)?.status).toBe("pending");
    expect(s.decide(r.id, "approved", "console", undefined, r.order_hash).status).toBe("approved");
  });

  it("refuses an unknown id and an expired request, and writes the expiry down as its final status", () => {
    const p = tempPaths();
    const clock = { now: T0 };
    const s = store(p, clock);
    const r = s.create(input());
    expect(() => s.decide(`apr_${"a".repeat(32)}`, "approved", "cli")).toThrow(/^there is no approval request apr_a+ for broker bybit$/);
    expect(() => s.decide("../etc", "approved", "cli")).toThrow(/is not an approval id/);
    clock.now = T0 + 600_000;
    expect(() => s.decide(r.id, "approved", "cli")).toThrow(`${r.id} expired at 2026-12-01T12:10:00.000Z`);
    expect(JSON.parse(readFileSync(join(p.approvals, `${r.id}.json`), "utf8")).status).toBe("expired");
  });
});

describe("ApprovalStore.consume", () => {
  it("uses an approved request exactly once, recording the decision that used it", () => {
    const p = tempPaths();
    const clock = { now: T0 };
    const s = store(p, clock);
    const r = s.create(input());
    expect(() => s.consume(r.id, "dec_2")).toThrow(`${r.id} has not been approved yet`);
    s.decide(r.id, "approved", "console");
    clock.now += 1000;
    const c = s.consume(r.id, "dec_2");
    expect(c).toMatchObject({ status: "consumed", consumed_by: "dec_2", consumed_at: "2026-12-01T12:00:01.000Z", decided_by: "console" });
    expect(() => s.consume(r.id, "dec_3")).toThrow(`${r.id} was already used by dec_2`);
    expect(s.get(r.id)?.consumed_by).toBe("dec_2");
  });

  it("refuses a rejected request and an approved one past its expiry", () => {
    const p = tempPaths();
    const clock = { now: T0 };
    const s = store(p, clock);
    const rejected = s.create(input());
    s.decide(rejected.id, "rejected", "cli");
    expect(() => s.consume(rejected.id, "dec_2")).toThrow(`${rejected.id} was already rejected`);
    const late = s.create(input());
    s.decide(late.id, "approved", "cli");
    clock.now = T0 + 600_000;
    const err = (() => {
      try {
        s.consume(late.id, "dec_2");
      } catch (e) {
        return e as ApprovalError;
      }
    })();
    expect(err?.status).toBe("expired");
    expect(s.get(late.id)?.status).toBe("expired");
  });
});

describe("ApprovalStore across processes", () => {
  /** Start `n` Node processes that each run `call` on the same request at the same instant. */
  async function race(p: RuntimePaths, n: number, call: (i: number) => string): Promise<string[]> {
    const mod = pathToFileURL(join(compiledStateModule(), "..", "approvals.js")).href;
    const idx = pathToFileURL(compiledStateModule()).href;
    const startAt = Date.now() + 400;
    const runs = Array.from({ length: n }, (_, i) =>
      nodeChild(`
        const { ApprovalStore } = await import(${JSON.stringify(mod)});
        const { runtimePaths } = await import(${JSON.stringify(idx)});
        const s = new ApprovalStore(runtimePaths(${JSON.stringify(p.root)}, "bybit"));
        while (Date.now() < ${startAt}) {}
        try { ${call(i)}; console.log("won"); } catch (e) { console.log(e.code); }`),
    );
    return (await Promise.all(runs)).map((r) => r.stdout.trim() || r.stderr);
  }

  it("two or more processes racing to consume one approval: exactly one wins", async () => {
    const p = tempPaths();
    const s = new ApprovalStore(p);
    const r = s.create(input());
    s.decide(r.id, "approved", "cli");
    const results = await race(p, 6, (i) => `s.consume(${JSON.stringify(r.id)}, "dec_child_${i}")`);
    expect(results.filter((x) => x === "won")).toHaveLength(1);
    expect(results.filter((x) => x === "E_APPROVAL")).toHaveLength(5);
    const winner = results.indexOf("won");
    expect(s.get(r.id)).toMatchObject({ status: "consumed", consumed_by: `dec_child_${winner}` });
  }, 20_000);

  it("an approve racing a reject: exactly one verdict lands", async () => {
    const p = tempPaths();
    const s = new ApprovalStore(p);
    const r = s.create(input());
    const results = await race(p, 6, (i) => `s.decide(${JSON.stringify(r.id)}, ${i % 2 ? '"approved"' : '"rejected"'}, "cli", "child ${i}")`);
    expect(results.filter((x) => x === "won")).toHaveLength(1);
    const winner = results.indexOf("won");
    expect(s.get(r.id)).toMatchObject({ status: winner % 2 ? "approved" : "rejected", decided_note: `child ${winner}` });
  }, 20_000);
});
