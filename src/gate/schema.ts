/**
 * One ajv (JSON Schema 2020-12) instance for the gate's schemas (imported as
 * JSON modules from schemas/, so the gate does no file I/O), and the
 * translation of ajv's errors into FieldProblems: a dot path and one sentence
 * a person can act on.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { FieldProblem } from "../errors.js";
import mandateSchema from "../../schemas/mandate.schema.json" with { type: "json" };
import rulesSchema from "../../schemas/rules.schema.json" with { type: "json" };
import { parseIsoTimestamp } from "./time.js";

// ajv-formats is CommonJS; under NodeNext its default import is the plugin itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The schemas, bundled as modules: the gate reads no files. */
const SCHEMAS: Record<string, { $id: string }> = { "mandate.schema.json": mandateSchema, "rules.schema.json": rulesSchema };

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
  addFormats(ajv);
  // Vibe-Trading writes "...Z"; Python also accepts "+00:00" and no offset (= UTC).
  ajv.addFormat("iso-timestamp", { type: "string", validate: (s: string) => parseIsoTimestamp(s) !== null });
  return ajv;
}

/** The compiled validator for schemas/<name> (cached), optionally a $defs entry of it. */
export function schemaValidator(name: string, def?: string): ValidateFunction {
  const key = `${name}#${def ?? ""}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const a = instance();
  const schema = SCHEMAS[name];
  if (!schema) throw new Error(`no schema ${name}`);
  if (!a.getSchema(schema.$id)) a.addSchema(schema);
  const fn = a.getSchema(def ? `${schema.$id}#/$defs/${def}` : schema.$id);
  if (!fn) throw new Error(`schema ${key} not found`);
  compiled.set(key, fn);
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
