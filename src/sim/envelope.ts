/**
 * The v5 envelope and the business error the handlers throw. Bybit answers
 * business and auth errors with HTTP 200 and a retCode, so a thrown
 * RetCodeError becomes `{retCode, retMsg, result: {}, retExtInfo: {}, time}`.
 */

export class RetCodeError extends Error {
  constructor(
    readonly retCode: number,
    readonly retMsg: string,
  ) {
    super(`${retCode} ${retMsg}`);
    this.name = "RetCodeError";
  }
}

export interface Envelope {
  retCode: number;
  retMsg: string;
  result: unknown;
  retExtInfo: Record<string, unknown>;
  time: number;
}

export function okEnvelope(result: unknown, time: number): Envelope {
  return { retCode: 0, retMsg: "OK", result, retExtInfo: {}, time };
}

export function errorEnvelope(retCode: number, retMsg: string, time: number): Envelope {
  return { retCode, retMsg, result: {}, retExtInfo: {}, time };
}

/** 10001 with Bybit's "params error: ..." wording. */
export function paramsError(detail: string): RetCodeError {
  return new RetCodeError(10001, `params error: ${detail}`);
}

export const ILLEGAL_CATEGORY = (): RetCodeError => new RetCodeError(10001, "Illegal category");
export const SYMBOL_INVALID = (): RetCodeError => paramsError("symbol invalid");

/** Opaque pagination cursor: base64 of the offset into the result list. */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o=${offset}`, "utf8").toString("base64url");
}

/** Offset for a cursor from encodeCursor; "" or missing = 0; anything else is 10001. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^o=(\d+)$/.exec(text);
  if (!m) throw paramsError("cursor invalid");
  return Number(m[1]);
}

/** One page of `items` and the cursor of the next ("" on the last page). */
export function paginate<T>(items: T[], limit: number, cursor: string | undefined): { page: T[]; nextPageCursor: string } {
  const offset = decodeCursor(cursor);
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? encodeCursor(offset + limit) : "";
  return { page, nextPageCursor: next };
}

/**
 * Integer parameter within [min, max]; `fallback` when absent. Bybit
 * answers 10001 for a limit out of range.
 */
export function intParam(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw paramsError(`${name} invalid`);
  const n = Number(value);
  if (n < min || n > max) throw paramsError(`${name} must be between ${min} and ${max}`);
  return n;
}

/** Optional ms timestamp parameter. */
export function msParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw paramsError(`${name} invalid`);
  return Number(value);
}
