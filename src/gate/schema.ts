/**
 * The gate's JSON Schemas (2020-12, imported as JSON modules from schemas/,
 * so the gate does no file I/O), and the translation of ajv's errors into
 * FieldProblems: a dot path and one sentence a person can act on.
 *
 * The validators are compiled at build time into standalone code
 * (src/build/prebuild-schemas.ts writes dist/bin/schema-validators.cjs): the
 * server loads that instead of compiling with Ajv at its first order, as
 * long as it was made from the very schemas bundled here (their sha256).
 * Any doubt, a missing or mismatched file, compiles with Ajv as before.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from "ajv/dist/2020.js";
import type { FieldProblem } from "../errors.js";
import { packageRoot } from "../util/package-root.js";
import mandateSchema from "../../schemas/mandate.schema.json" with { type: "json" };
import rulesSchema from "../../schemas/rules.schema.json" with { type: "json" };
import { parseIsoTimestamp } from "./time.js";

// Ajv and ajv-formats are CommonJS and needed only when a validator is compiled here, so they
// load on demand (the prebuilt validators need neither).
const require = createRequire(import.meta.url);

/** The schemas, bundled as modules: the gate reads no files. */
const SCHEMAS: Record<string, { $id: string }> = { "mandate.schema.json": mandateSchema, "rules.schema.json": rulesSchema };

/** Every validator the code asks for: schemas/<name> or one of its $defs, under a standalone export name. */
export const VALIDATORS = [
  { key: "mandate", name: "mandate.schema.json" },
  { key: "rules_manifest", name: "rules.schema.json", def: "manifest" },
  { key: "rules_ruleFile", name: "rules.schema.json", def: "ruleFile" },
] as const;

/** The Ajv reference of a validator: the schema's $id, with the $defs pointer. */
export function validatorRef(name: string, def?: string): string {
  const schema = SCHEMAS[name];
  if (!schema) throw new Error(`no schema ${name}`);
  return def ? `${schema.$id}#/$defs/${def}` : schema.$id;
}

/** Formats the schemas use beyond JSON Schema's own (Vibe-Trading writes "...Z"; Python also accepts "+00:00" and no offset = UTC). */
export const FORMATS = {
  "iso-timestamp": { type: "string" as const, validate: (s: string) => parseIsoTimestamp(s) !== null },
};

/** The options every validator is compiled with, here or at build time. */
export const AJV_OPTIONS: Options = { allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true };

/** sha256 over the schemas as bundled: the prebuilt validators name the one they were made from. */
export function schemasSha256(): string {
  const h = createHash("sha256");
  for (const name of Object.keys(SCHEMAS).sort()) h.update(name).update("\0").update(JSON.stringify(SCHEMAS[name])).update("\0");
  return h.digest("hex");
}

export function prebuiltValidatorsPath(): string {
  return join(packageRoot(), "dist", "bin", "schema-validators.cjs");
}

/** What dist/bin/schema-validators.cjs exports. */
export interface PrebuiltValidators {
  format: 1;
  schemas_sha256: string;
  /** `require` resolves Ajv's runtime helpers (from this module, wherever the file is). */
  build(formats: typeof FORMATS, require: NodeJS.Require): Record<string, ValidateFunction>;
}

/** An Ajv set up as the gate's validators are (also the build's, with code options added). */
export function newAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: AjvClass } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = require("ajv-formats") as (ajv: Ajv2020) => Ajv2020;
  const ajv = new AjvClass({ ...AJV_OPTIONS, ...extra });
  addFormats(ajv);
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format);
  for (const schema of Object.values(SCHEMAS)) ajv.addSchema(schema);
  return ajv;
}

/**
 * The standalone validators in `file` when they were made from the schemas
 * bundled here; null for anything else (missing, unreadable, another format,
 * other schemas).
 */
export function loadPrebuiltValidators(file: string = prebuiltValidatorsPath()): Record<string, ValidateFunction> | null {
  try {
    const mod = require(file) as PrebuiltValidators;
    if (mod.format !== 1 || mod.schemas_sha256 !== schemasSha256()) return null;
    const built = mod.build(FORMATS, require);
    return VALIDATORS.every((v) => typeof built[v.key] === "function") ? built : null;
  } catch {
    return null;
  }
}

let ajv: Ajv2020 | undefined;
let prebuilt: Record<string, ValidateFunction> | null | undefined;
/** Each validator asked for, as resolved (prebuilt or compiled here). */
const resolved = new Map<string, ValidateFunction>();

/** Where the validators come from in this process: the build's standalone code, or Ajv compiling here. */
export function validatorSource(): "prebuilt" | "compiled" {
  prebuilt ??= loadPrebuiltValidators();
  return prebuilt ? "prebuilt" : "compiled";
}

/** The validator for schemas/<name> (cached), optionally a $defs entry of it: prebuilt when it can be, else compiled. */
export function schemaValidator(name: string, def?: string): ValidateFunction {
  const key = `${name}#${def ?? ""}`;
  const hit = resolved.get(key);
  if (hit) return hit;
  const known = VALIDATORS.find((v) => v.name === name && (v as { def?: string }).def === def);
  if (known && validatorSource() === "prebuilt") {
    const fn = (prebuilt as Record<string, ValidateFunction>)[known.key] as ValidateFunction;
    resolved.set(key, fn);
    return fn;
  }
  const fn = compileHere(name, def);
  resolved.set(key, fn);
  return fn;
}

/** The validator compiled by Ajv in this process (the fallback, and what tests compare the prebuilt ones with). */
export function compileHere(name: string, def?: string): ValidateFunction {
  const ref = validatorRef(name, def);
  ajv ??= newAjv();
  const fn = ajv.getSchema(ref);
  if (!fn) throw new Error(`schema ${name}#${def ?? ""} not found`);
  return fn;
}

/** JSON pointer "/hard_caps/allowed_instruments/1" -> "hard_caps.allowed_instruments[1]". */
export function pointerToPath(pointer: string, child?: string): string {
  let out = "";
  const parts = pointer === "" ? [] : pointer.slice(1).split("/");
  if (child !== undefined) parts.push(child);
  for (const raw of parts) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(part) ? `[${part}]` : out === "" ? part : `.${part}`;
  }
  return out === "" ? "(root)" : out;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * FieldProblems for ajv errors, one per path and sentence, in document order.
 * `unknownKey` words the sentence for a key the schema does not know.
 */
export function ajvProblems(
  errors: ErrorObject[] | null | undefined,
  data: unknown,
  unknownKey: (path: string, parentPath: string) => string,
  hints: Record<string, string> = {},
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string) => {
    const key = `${path}\n${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
    }
  };
  for (const e of errors ?? []) {
    const path = pointerToPath(e.instancePath);
    const value = valueAt(data, e.instancePath);
    const got = ` (got ${shown(value)})`;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case "required": {
        const child = pointerToPath(e.instancePath, String(p.missingProperty));
        push(child, `${child} is required.`);
        break;
      }
      case "additionalProperties": {
        const child = pointerToPath(e.instancePath, String(p.additionalProperty));
        push(child, unknownKey(child, path));
        break;
      }
      case "type": {
        const t = String(p.type).replace(",", " or ");
        push(path, `${path} must be ${t === "integer" ? "a whole number" : `of type ${t}`}${got}.`);
        break;
      }
      case "const":
        push(path, `${path} must be ${shown(p.allowedValue)}${got}.`);
        break;
      case "enum":
        push(path, `${path} must be one of ${(p.allowedValues as unknown[]).map(String).join(", ")}${got}.`);
        break;
      case "exclusiveMinimum":
        push(path, `${path} must be greater than ${String(p.limit)}${got}.`);
        break;
      case "minimum":
        push(path, `${path} must be at least ${String(p.limit)}${got}.`);
        break;
      case "minLength":
        push(path, `${path} must not be empty.`);
        break;
      case "minItems":
        push(path, `${path} must have at least ${String(p.limit)} item(s).`);
        break;
      case "pattern":
        push(path, `${path} ${hints[path] ?? "does not have the expected form"}${got}.`);
        break;
      case "format":
        push(path, `${path} ${hints[path] ?? `must be a ${String(p.format)} value`}${got}.`);
        break;
      default:
        push(path, `${path} ${e.message ?? "is invalid"}${got}.`);
    }
  }
  return out;
}

function valueAt(data: unknown, pointer: string): unknown {
  if (pointer === "") return data;
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
