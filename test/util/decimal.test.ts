import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decAdd, decCmp, decDiv, decFormat, decIsMultiple, decMul, decSub, isDecimal, toDecimalString } from "../../src/util/decimal.js";

describe("decimal", () => {
  it("never forwards exponent notation or float noise", () => {
    expect(toDecimalString(1e-7)).toBe("0.0000001");
    expect(toDecimalString(1e21)).toBe("1000000000000000000000");
    expect(decMul("0.1", "3")).toBe("0.3");
    expect(decAdd(0.1, 0.2)).toBe("0.3");
    expect(toDecimalString("0010.500")).toBe("10.5");
    expect(toDecimalString("-0.0")).toBe("0");
  });

  it("rejects what is not a plain decimal", () => {
    for (const bad of ["", "1e5", "abc", "1.2.3", "NaN", "Infinity", " ", "0x10"]) expect(isDecimal(bad)).toBe(false);
    expect(isDecimal(Number.NaN)).toBe(false);
    expect(() => toDecimalString(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });

  it("compares, subtracts, divides and formats exactly", () => {
    expect(decCmp("1000", "1000.00")).toBe(0);
    expect(decCmp("1000.000001", "1000")).toBe(1);
    expect(decSub("1", "1.5")).toBe("-0.5");
    expect(decDiv("1", "3", 4)).toBe("0.3333");
    expect(decDiv("2", "3", 2)).toBe("0.67");
    expect(decFormat("1250")).toBe("1,250.00");
    expect(decFormat("-0.005")).toBe("-0.01");
    expect(decIsMultiple("0.003", "0.001")).toBe(true);
    expect(decIsMultiple("0.0035", "0.001")).toBe(false);
  });

  it("multiplication matches BigInt arithmetic on random scaled integers", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.nat(8), fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.nat(8), (a, as, b, bs) => {
        const x = `${a < 0n ? "-" : ""}${scaled(a < 0n ? -a : a, as)}`;
        const y = scaled(b, bs);
        const product = decMul(x, y);
        expect(decCmp(product, decMul(y, x))).toBe(0);
        // (x*y) - x*y == 0 through the subtraction path too
        expect(decSub(product, decMul(x, y))).toBe("0");
      }),
    );
  });
});

function scaled(n: bigint, scale: number): string {
  const s = n.toString().padStart(scale + 1, "0");
  return scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
}
