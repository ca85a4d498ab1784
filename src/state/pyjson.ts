/**
 * JSON exactly as Python's `json` module writes it, because Vibe-Trading
 * reads our state files and recomputes hashes over what it parses.
 *
 * Numbers: Python keeps int and float apart (`10000` vs `10000.0`); JS has one
 * number type. The rule here keeps every file self-consistent with Python:
 *  - a JS number with an integer value is written as an integer literal
 *    (`1`, never `1.0`; 1e21 as `1000000000000000000000`), so Python parses
 *    an int and re-serializes the same digits;
 *  - any other finite JS number is written as Python's float repr (`0.1`,
 *    `1e-05`, `1.2345678901234568e+20`), so Python parses a float whose repr
 *    is those same characters;
 *  - NaN and ±Infinity are written as `null` (JSON has no such values, and JS
 *    readers of our files would choke on Python's `NaN`);
 *  - a bigint is written as an integer literal.
 * Reading files that Python wrote (parsePyJson) keeps float-ness: `10000.0`
 * parses to a PyFloat, which prints back as `10000.0`, so hashes Vibe-Trading
 * computed over floats verify here.
 *
 * Strings: with ensureAscii every UTF-16 unit outside space..tilde is
 * `\uXXXX` (lower-case hex, astral characters as surrogate pairs), as Python
 * does. Without it, only `"`, `\` and control characters are escaped, as in
 * Python, plus one deliberate difference: U+0085, U+2028 and U+2029 are also
 * escaped, because Vibe-Trading's chain append splits the file with
 * str.splitlines(), which breaks a line on those characters and would then
 * refuse the whole ledger. The parsed string is the same either way.
 */

/** A number that Python parsed (or would parse) as a float: prints with Python's float repr. */
export class PyFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

export interface DumpOptions {
  sortKeys: boolean;
  ensureAscii: boolean;
  /** Between items: Python's default is ", ", canonical is ",". */
  itemSep: string;
  /** Between key and value: Python's default is ": ", canonical is ":". */
  keySep: string;
}

/** `json.dumps(value, ensure_ascii=False)`: what Vibe-Trading writes to its files. */
export const PY_DEFAULT: DumpOptions = Object.freeze({ sortKeys: false, ensureAscii: false, itemSep: ", ", keySep: ": " });
/** `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`. */
export const PY_CANONICAL: DumpOptions = Object.freeze({ sortKeys: true, ensureAscii: true, itemSep: ",", keySep: ":" });

/** Python's `json.dumps` with the given options (see the module comment for numbers). */
export function pyDumps(value: unknown, options: DumpOptions = PY_DEFAULT): string {
  const out: string[] = [];
  write(value, options, out, new Set());
  return out.join("");
}

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`, byte for byte. */
export function canonicalJson(value: unknown): string {
  return pyDumps(value, PY_CANONICAL);
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const sign = v < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa = "", expText = "0"] = Math.abs(v).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return "null";
  if (Number.isInteger(v)) return Number.isSafeInteger(v) ? String(v === 0 ? 0 : v) : BigInt(v).toString();
  return pyFloatRepr(v);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};
const ESCAPE_ASCII = /[^ -~]|["\\]/g;
// Control characters, quote, backslash, NEL/LS/PS (see module comment) and lone surrogates.
// eslint-disable-next-line no-control-regex
const ESCAPE_UNICODE = /[\u0000-\u001f"\\\u0085\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeUnit(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short !== undefined) return short;
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function escapeAsciiChar(ch: string): string {
  // With /g and no /u, each match is one UTF-16 unit, so astral characters become surrogate pairs.
  return escapeUnit(ch);
}

function quote(s: string, ensureAscii: boolean): string {
  return ensureAscii ? `"${s.replace(ESCAPE_ASCII, escapeAsciiChar)}"` : `"${s.replace(ESCAPE_UNICODE, escapeUnit)}"`;
}

/** Python sorts str keys by code point; JS's default sort compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above every BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function write(value: unknown, o: DumpOptions, out: string[], seen: Set<object>): void {
  if (value === null || value === undefined) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "string":
      out.push(quote(value, o.ensureAscii));
      return;
    case "number":
      out.push(formatNumber(value));
      return;
    case "bigint":
      out.push(value.toString());
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "object":
      break;
    default:
      out.push("null");
      return;
  }
  if (value instanceof PyFloat) {
    // Only parsed files hold PyFloats: print them as Python would, NaN included.
    out.push(pyFloatRepr(value.value));
    return;
  }
  const obj = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === "function") {
    write(obj.toJSON(), o, out, seen);
    return;
  }
  if (seen.has(obj)) throw new TypeError("cannot serialize a circular structure");
  seen.add(obj);
  if (Array.isArray(obj)) {
    out.push("[");
    obj.forEach((item, i) => {
      if (i > 0) out.push(o.itemSep);
      write(item, o, out, seen);
    });
    out.push("]");
  } else {
    let keys = Object.keys(obj).filter((k) => isSerializable(obj[k]));
    if (o.sortKeys) keys = keys.sort(compareCodePoints);
    out.push("{");
    keys.forEach((k, i) => {
      if (i > 0) out.push(o.itemSep);
      out.push(quote(k, o.ensureAscii), o.keySep);
      write(obj[k], o, out, seen);
    });
    out.push("}");
  }
  seen.delete(obj);
}

/** Object members JSON.stringify would drop (undefined, functions, symbols) are dropped here too. */
function isSerializable(v: unknown): boolean {
  return v !== undefined && typeof v !== "function" && typeof v !== "symbol";
}

/**
 * Parse JSON as Python's json.loads does, keeping what JSON.parse loses:
 * float literals (`10000.0`, `1e5`) become PyFloat, integers beyond 2^53
 * become bigint. Accepts Python's NaN/Infinity/-Infinity literals. Throws
 * SyntaxError on anything else Python would reject (raw control characters
 * in strings, trailing commas, trailing data).
 */
export function parsePyJson(text: string): unknown {
  const p = new Parser(text);
  p.ws();
  const value = p.value();
  p.ws();
  if (p.i !== text.length) p.fail("extra data");
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  value(): unknown {
    const c = this.s[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    for (const [lit, val] of LITERALS) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return val;
      }
    }
    return this.number();
  }

  number(): unknown {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail("expecting value");
    this.i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return new PyFloat(Number(m[0]));
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  }

  object(): Record<string, unknown> {
    this.i++;
    const obj: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expecting property name enclosed in double quotes");
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expecting ':' delimiter");
      this.i++;
      this.ws();
      const v = this.value();
      // Python dicts keep the first position and the last value of a repeated key, as JS objects do.
      if (key === "__proto__") Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[key] = v;
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return obj;
      if (c !== ",") this.fail("expecting ',' delimiter");
    }
  }

  array(): unknown[] {
    this.i++;
    const arr: unknown[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return arr;
    }
    for (;;) {
      this.ws();
      arr.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return arr;
      if (c !== ",") this.fail("expecting ',' delimiter");
    }
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = "";
    let start = i;
    for (;;) {
      if (i >= s.length) {
        this.i = i;
        this.fail("unterminated string");
      }
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(start, i);
        this.i = i + 1;
        return out;
      }
      if (c < 0x20) {
        this.i = i;
        this.fail("invalid control character");
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += s.slice(start, i);
      const e = s[i + 1];
      if (e === "u") {
        const hex = s.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.i = i;
          this.fail("invalid \\uXXXX escape");
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const mapped = e === undefined ? undefined : UNESCAPES[e];
        if (mapped === undefined) {
          this.i = i;
          this.fail("invalid escape");
        }
        out += mapped;
        i += 2;
      }
      start = i;
    }
  }
}

const LITERALS: [string, unknown][] = [
  ["true", true],
  ["false", false],
  ["null", null],
  ["NaN", new PyFloat(NaN)],
  ["Infinity", new PyFloat(Infinity)],
  ["-Infinity", new PyFloat(-Infinity)],
];

const UNESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
