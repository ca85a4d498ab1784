/**
 * Per-UID, per-endpoint limits over fixed one-second windows, as Bybit's
 * v5 rate-limit table gives them (spot order create/cancel allow 20, other
 * writes 10, private reads 50). Every private answer carries the
 * X-Bapi-Limit headers; the request over the limit gets 10006.
 */
import type { Category } from "./types.js";

const READ_LIMIT = 50;
const WRITE_LIMIT = 10;

/** Requests per second for an endpoint and category. */
export function limitFor(path: string, category: Category | undefined): number {
  switch (path) {
    case "/v5/order/create":
    case "/v5/order/cancel":
      return category === "spot" ? 20 : WRITE_LIMIT;
    case "/v5/order/amend":
    case "/v5/order/cancel-all":
    case "/v5/position/set-leverage":
    case "/v5/position/trading-stop":
      return WRITE_LIMIT;
    default:
      return READ_LIMIT;
  }
}

export interface LimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private readonly enforce: boolean) {}

  /** Counts one request of `uid` to `path` at `nowMs` and says whether it is within the limit. */
  hit(uid: string, path: string, category: Category | undefined, nowMs: number): LimitVerdict {
    const limit = limitFor(path, category);
    // Spot and derivatives writes are limited separately, as on Bybit.
    const key = `${uid}|${path}|${category === "spot" ? "spot" : "deriv"}`;
    const start = Math.floor(nowMs / 1000) * 1000;
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, used: 0 };
      this.windows.set(key, w);
    }
    w.used += 1;
    const allowed = !this.enforce || w.used <= limit;
    return {
      allowed,
      headers: {
        "X-Bapi-Limit": String(limit),
        "X-Bapi-Limit-Status": String(Math.max(limit - w.used, 0)),
        "X-Bapi-Limit-Reset-Timestamp": String(start + 1000),
      },
    };
  }
}
