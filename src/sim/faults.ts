/**
 * Fault switches: latency, clock skew and one-shot faults that the server
 * consumes per matching request. Tests use them to prove the client and the
 * gate fail closed; POST /__sim/faults sets the same shape over HTTP.
 */
import { FAULT_NAMES, type FaultConfig, type FaultName, type NextFault, type SimFaults } from "./types.js";

export class FaultSwitches implements SimFaults {
  private latencyMs = 0;
  private clockSkewMs = 0;
  private queue: Array<{ fault: FaultName; path?: string; remaining: number }> = [];

  set(config: FaultConfig): void {
    const checked = validateFaultConfig(config);
    if (checked.latencyMs !== undefined) this.latencyMs = checked.latencyMs;
    if (checked.clockSkewMs !== undefined) this.clockSkewMs = checked.clockSkewMs;
    for (const n of checked.next ?? []) {
      this.queue.push({ fault: n.fault, path: n.path, remaining: n.count ?? 1 });
    }
  }

  clear(): void {
    this.latencyMs = 0;
    this.clockSkewMs = 0;
    this.queue = [];
  }

  get(): FaultConfig {
    return {
      latencyMs: this.latencyMs,
      clockSkewMs: this.clockSkewMs,
      next: this.queue.map((q) => ({ fault: q.fault, ...(q.path === undefined ? {} : { path: q.path }), count: q.remaining })),
    };
  }

  latency(): number {
    return this.latencyMs;
  }

  skew(): number {
    return this.clockSkewMs;
  }

  /** The first queued fault whose path prefix matches, consumed once; undefined if none. */
  take(path: string): FaultName | undefined {
    const i = this.queue.findIndex((q) => q.path === undefined || path.startsWith(q.path));
    if (i < 0) return undefined;
    const entry = this.queue[i]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.queue.splice(i, 1);
    return entry.fault;
  }
}

/** Checks a FaultConfig from a test or an HTTP body; throws a TypeError naming the bad field. */
export function validateFaultConfig(input: unknown): FaultConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new TypeError("fault config must be an object");
  const c = input as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!["latencyMs", "clockSkewMs", "next"].includes(k)) throw new TypeError(`unknown fault field: ${k}`);
  }
  const out: FaultConfig = {};
  if (c.latencyMs !== undefined) {
    if (!Number.isInteger(c.latencyMs) || (c.latencyMs as number) < 0) throw new TypeError("latencyMs must be an integer >= 0");
    out.latencyMs = c.latencyMs as number;
  }
  if (c.clockSkewMs !== undefined) {
    if (!Number.isInteger(c.clockSkewMs)) throw new TypeError("clockSkewMs must be an integer");
    out.clockSkewMs = c.clockSkewMs as number;
  }
  if (c.next !== undefined) {
    if (!Array.isArray(c.next)) throw new TypeError("next must be an array");
    out.next = c.next.map((n, i) => validateNext(n, i));
  }
  return out;
}

function validateNext(n: unknown, i: number): NextFault {
  if (typeof n !== "object" || n === null) throw new TypeError(`next[${i}] must be an object`);
  const e = n as Record<string, unknown>;
  if (!FAULT_NAMES.includes(e.fault as FaultName)) throw new TypeError(`next[${i}].fault must be one of ${FAULT_NAMES.join(", ")}`);
  if (e.path !== undefined && typeof e.path !== "string") throw new TypeError(`next[${i}].path must be a string`);
  if (e.count !== undefined && (!Number.isInteger(e.count) || (e.count as number) < 1)) {
    throw new TypeError(`next[${i}].count must be an integer >= 1`);
  }
  return { fault: e.fault as FaultName, ...(e.path === undefined ? {} : { path: e.path as string }), ...(e.count === undefined ? {} : { count: e.count as number }) };
}
