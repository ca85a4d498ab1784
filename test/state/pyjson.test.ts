/**
 * canonicalJson / pyDumps / pyFloatRepr / parsePyJson against python3 itself:
 * the bytes must be Python's, or Vibe-Trading's hashes and parsers disagree.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, parsePyJson, pyDumps, PyFloat } from "../../src/state/index.js";
import { pyFloatRepr } from "../../src/state/pyjson.js";
import { py } from "./helpers.js";

/** Python's output for each JSON document on stdin (one per line), using the given dumps call. */
function pythonDumps(docs: string[], call: string): string[] {
  const script = `
import json, sys
for line in sys.stdin.read().split("\\n"):
    if line:
        print((${call})(json.loads(line)))`;
  return py(script, [], docs.join("\n")).split("\n").slice(0, docs.length);
}
const CANON = 'lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True)';
const DEFAULT = "lambda v: json.dumps(v, ensure_ascii=False)";

describe("pyFloatRepr", () => {
  it("matches Python's repr at the format boundaries", () => {
    const values = [0.1, 1e16, 1e15, 123456789012345.6, 0.0001, 0.00001, 1.2345678901234568e20, 5e-324, 1e22, 1.7976931348623157e308, -2.5, 100.5, 1e-7];
    const expected = py(`import sys\nfor v in sys.argv[1:]: print(repr(float(v)))`, values.map(String)).trim().split("\n");
    expect(values.map(pyFloatRepr)).toEqual(expected);
    expect(pyFloatRepr(-0)).toBe("-0.0");
  });

  it("matches Python's repr for random doubles", () => {
    const values = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), 2000);
    const expected = py(`import sys\nfor v in sys.stdin.read().split(): print(repr(float.fromhex(v)))`, [], values.map(toHex).join(" "));
    expect(values.map(pyFloatRepr).join("\n")).toBe(expected.trim());
  });
});

describe("canonicalJson", () => {
  it("equals Python's sort_keys/compact/ensure_ascii dumps for non-ASCII, floats and nesting", () => {
    const docs = [
      { b: 1, a: [1.5, "é", "😀", { z: null, y: true }], "\u00e9": "\u2028\u007f\u0001\"\\" },
      { notional: 100.25, tiny: 1e-7, big: 1.2345678901234568e20, neg: -0.5, int: 10000 },
      { "😀": 1, "\uffff": 2, a: { c: { d: [] }, b: {} } },
    ];
    // Fed to Python as we write them (pyDumps), since that is what Vibe-Trading parses.
    expect(docs.map(canonicalJson)).toEqual(pythonDumps(docs.map((d) => pyDumps(d)), CANON));
  });

  it("equals Python for random JSON values (fast-check)", () => {
    const values = fc.sample(fc.jsonValue({ stringUnit: "grapheme" }), 300);
    const jsonLines = values.map((v) => pyDumps(v));
    expect(values.map(canonicalJson)).toEqual(pythonDumps(jsonLines, CANON));
    // The one intended difference: NEL/LS/PS escaped (see "keeps non-ASCII raw" below).
    const escapeLineBreaks = (t: string) => t.replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    expect(jsonLines).toEqual(pythonDumps(jsonLines, DEFAULT).map(escapeLineBreaks));
  });

  it("prints integer-valued JS numbers as ints, other numbers as Python floats, non-finite as null", () => {
    expect(canonicalJson({ a: 1, b: 10000, c: 0.5, d: 1e21, e: NaN, f: -0 })).toBe('{"a":1,"b":10000,"c":0.5,"d":1000000000000000000000,"e":null,"f":0}');
  });
});

describe("pyDumps (Python's json.dumps(ensure_ascii=False))", () => {
  it("keeps non-ASCII raw but escapes NEL, LS and PS so str.splitlines() cannot split a line", () => {
    const s = pyDumps({ a: "é\u2028\u0085\u2029😀" });
    expect(s).toBe('{"a": "é\\u2028\\u0085\\u2029😀"}');
    const check = `import json,sys\ns=sys.stdin.read()\nprint(json.loads(s)["a"]=="\\u00e9\\u2028\\u0085\\u2029\\U0001F600", len(s.splitlines()))`;
    expect(py(check, [], s).trim()).toBe("True 1");
  });
});

describe("parsePyJson", () => {
  it("keeps the floats Python wrote, so they print back identically", () => {
    const line = py(`import json\nprint(json.dumps({"cap": 10000.0, "n": 3, "x": 1e-05, "big": 12345678901234567890, "s": "\\u00e9"}, ensure_ascii=False))`).trim();
    const parsed = parsePyJson(line) as Record<string, unknown>;
    expect(parsed.cap).toBeInstanceOf(PyFloat);
    expect(parsed.big).toBe(12345678901234567890n);
    expect(pyDumps(parsed)).toBe(line);
    expect(canonicalJson(parsed)).toBe(pythonDumps([line], CANON)[0]);
  });

  it("rejects what Python rejects", () => {
    for (const bad of ['{"a":1,}', '{"a":"\u0001"}', "[1] x", "{'a':1}", '{"a":01}']) {
      expect(() => parsePyJson(bad), bad).toThrow(SyntaxError);
    }
  });
});

function toHex(v: number): string {
  // float.fromhex input: exact, so Python sees the very same double.
  if (Object.is(v, -0)) return "-0x0p+0";
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, v);
  const bits = buf.getBigUint64(0);
  const sign = bits >> 63n ? "-" : "";
  const exp = Number((bits >> 52n) & 0x7ffn);
  const mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) return `${sign}0x0.${mant.toString(16).padStart(13, "0")}p-1022`;
  return `${sign}0x1.${mant.toString(16).padStart(13, "0")}p${exp - 1023}`;
}
