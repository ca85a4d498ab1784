/**
 * Exact decimal arithmetic on strings, for money: quantities and prices are
 * kept as decimal strings end to end and multiplied with BigInt, so nothing
 * like `0.30000000000000004` or `1e-7` is ever forwarded to the exchange.
 */

/** A decimal as an integer coefficient and a count of fraction digits. */
interface Scaled {
  coef: bigint;
  scale: number;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;
const EXP_RE = /^([+-]?)(\d+)(?:\.(\d*))?[eE]([+-]?\d+)$/;

/** Thrown (as a TypeError) when a value is not a finite decimal. */
export class DecimalFormatError extends TypeError {
  readonly code = "E_DECIMAL";
}

/**
 * Canonical decimal string for a JSON number or a decimal string: no
 * exponent, no trailing fraction zeros, no leading zeros, no "-0".
 * Numbers use their shortest round-trip form, so `0.1` stays "0.1".
 * Throws DecimalFormatError on NaN, Infinity, empty or malformed input.
 */
export function toDecimalString(value: string | number): string {
  return format(parse(value));
}

/** True when `value` is a finite decimal (string or number). */
export function isDecimal(value: unknown): value is string | number {
  if (typeof value !== "string" && typeof value !== "number") return false;
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

export function decMul(a: string | number, b: string | number): string {
  const x = parse(a);
  const y = parse(b);
  return format({ coef: x.coef * y.coef, scale: x.scale + y.scale });
}

export function decAdd(a: string | number, b: string | number): string {
  const [x, y] = align(parse(a), parse(b));
  return format({ coef: x.coef + y.coef, scale: x.scale });
}

export function decSub(a: string | number, b: string | number): string {
  const [x, y] = align(parse(a), parse(b));
  return format({ coef: x.coef - y.coef, scale: x.scale });
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function decCmp(a: string | number, b: string | number): -1 | 0 | 1 {
  const [x, y] = align(parse(a), parse(b));
  return x.coef < y.coef ? -1 : x.coef > y.coef ? 1 : 0;
}

export function decMax(a: string | number, b: string | number): string {
  return decCmp(a, b) >= 0 ? toDecimalString(a) : toDecimalString(b);
}

export function decAbs(a: string | number): string {
  const x = parse(a);
  return format({ coef: x.coef < 0n ? -x.coef : x.coef, scale: x.scale });
}

/**
 * a / b rounded half-up to `digits` fraction digits (for percentages and
 * ratios shown to people; never for quantities sent to the exchange).
 */
export function decDiv(a: string | number, b: string | number, digits = 8): string {
  const x = parse(a);
  const y = parse(b);
  if (y.coef === 0n) throw new DecimalFormatError("division by zero");
  // x/y = (xc / 10^xs) / (yc / 10^ys); scale the numerator so the quotient has `digits` fraction digits.
  const shift = digits + y.scale - x.scale;
  let num = x.coef;
  let den = y.coef;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  const neg = num < 0n !== den < 0n;
  if (num < 0n) num = -num;
  if (den < 0n) den = -den;
  let q = num / den;
  if ((num % den) * 2n >= den) q += 1n;
  return format({ coef: neg ? -q : q, scale: digits });
}

/** Nearest double, for comparisons in rules and for display; never sent to the exchange. */
export function decToNumber(a: string | number): number {
  return Number(toDecimalString(a));
}

/** True when `value` is an exact multiple of `step` (qty steps, tick sizes). */
export function decIsMultiple(value: string | number, step: string | number): boolean {
  const [x, y] = align(parse(value), parse(step));
  if (y.coef === 0n) return true;
  return x.coef % y.coef === 0n;
}

/** Fixed-point rendering with exactly `digits` fraction digits, rounded half-up ("1250" -> "1,250.00" with grouping). */
export function decFormat(a: string | number, digits = 2, group = true): string {
  const x = parse(a);
  let coef = x.coef;
  if (x.scale > digits) {
    const div = 10n ** BigInt(x.scale - digits);
    const neg = coef < 0n;
    let q = (neg ? -coef : coef) / div;
    if (((neg ? -coef : coef) % div) * 2n >= div) q += 1n;
    coef = neg ? -q : q;
  } else {
    coef *= 10n ** BigInt(digits - x.scale);
  }
  const neg = coef < 0n;
  const digitsStr = (neg ? -coef : coef).toString().padStart(digits + 1, "0");
  let intPart = digitsStr.slice(0, digitsStr.length - digits);
  const frac = digitsStr.slice(digitsStr.length - digits);
  if (group) intPart = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${intPart}${digits > 0 ? `.${frac}` : ""}`;
}

function parse(value: string | number): Scaled {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new DecimalFormatError(`not a finite number: ${value}`);
    text = String(value);
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    throw new DecimalFormatError(`not a decimal: ${typeof value}`);
  }
  const m = DECIMAL_RE.exec(text);
  if (m) {
    const frac = m[3] ?? "";
    const coef = BigInt(`${m[2]}${frac}`);
    return { coef: m[1] === "-" ? -coef : coef, scale: frac.length };
  }
  const e = EXP_RE.exec(text);
  if (e && typeof value === "number") {
    // Only JSON numbers may arrive in exponent form (1e-7); strings must be plain decimals.
    const frac = e[3] ?? "";
    let coef = BigInt(`${e[2]}${frac}`);
    let scale = frac.length - Number(e[4]);
    if (scale < 0) {
      coef *= 10n ** BigInt(-scale);
      scale = 0;
    }
    return { coef: e[1] === "-" ? -coef : coef, scale };
  }
  throw new DecimalFormatError(`not a plain decimal: ${JSON.stringify(text).slice(0, 40)}`);
}

function align(a: Scaled, b: Scaled): [Scaled, Scaled] {
  if (a.scale === b.scale) return [a, b];
  if (a.scale < b.scale) return [{ coef: a.coef * 10n ** BigInt(b.scale - a.scale), scale: b.scale }, b];
  return [a, { coef: b.coef * 10n ** BigInt(a.scale - b.scale), scale: a.scale }];
}

function format(x: Scaled): string {
  let { coef, scale } = x;
  while (scale > 0 && coef % 10n === 0n) {
    coef /= 10n;
    scale -= 1;
  }
  const neg = coef < 0n;
  const digits = (neg ? -coef : coef).toString();
  if (scale === 0) return neg && digits !== "0" ? `-${digits}` : digits;
  const padded = digits.padStart(scale + 1, "0");
  const out = `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
  return neg ? `-${out}` : out;
}
