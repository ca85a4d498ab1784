/**
 * Converting exact decimals to the doubles rules compare, without ever
 * crossing a cap: amounts compared against a cap ("<= cap") round up to the
 * next double, amounts compared against a floor round down.
 */
import { decAdd, decCmp, decDiv, decMul, decToNumber, toDecimalString } from "../util/decimal.js";

/**
 * The nearest double at or above an exact decimal. Amounts compared against a
 * cap ("<= cap") round up, so float conversion can never turn a breach by a
 * hair into a pass; amounts compared against a floor round down.
 */
export function upNumber(exact: string): number {
  const n = decToNumber(exact);
  return decCmp(toDecimalString(n), exact) < 0 ? nextDouble(n, 1) : n;
}
export function downNumber(exact: string): number {
  const n = decToNumber(exact);
  return decCmp(toDecimalString(n), exact) > 0 ? nextDouble(n, -1) : n;
}
function nextDouble(n: number, dir: 1 | -1): number {
  if (n === 0) return dir * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, (n > 0) === (dir > 0) ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/** a / b (both positive) to `digits` places, rounded up. */
export function decDivUp(a: string, b: string, digits: number): string {
  const q = decDiv(a, b, digits);
  return decCmp(decMul(q, b), a) < 0 ? decAdd(q, `0.${"0".repeat(digits - 1)}1`) : q;
}

