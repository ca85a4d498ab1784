/**
 * The schema validators compiled at build time (Ajv standalone code in
 * dist/bin/schema-validators.cjs): the gate uses them only when they were made
 * from the schemas it bundles, and they judge every document exactly as Ajv
 * compiling the same schema in this process does.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { exampleMandate } from "../../src/demo/mandate.js";
import { compileHere, loadPrebuiltValidators, prebuiltValidatorsPath, schemaValidator, validatorSource } from "../../src/gate/schema.js";
import { validateMandate } from "../../src/gate/mandate.js";
import { defaultRulesDir } from "../../src/state/rules-files.js";

/** Copies of `doc` with one thing wrong each: every leaf retyped, emptied or dropped, and an unknown key at every level. */
function mutations(doc: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (node: unknown, set: (v: unknown) => unknown) => {
    for (const bad of [null, "x", -1, 1.5, true, [], {}, "", "2026-13-40T99:00:00Z"]) out.push(set(bad));
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, (nv) => set(node.map((x, j) => (j === i ? nv : x)))));
      out.push(set([...node, node[0] ?? "extra"]));
      return;
    }
    const obj = node as Record<string, unknown>;
    out.push(set({ ...obj, not_a_field: 1 }));
    for (const k of Object.keys(obj)) {
      const { [k]: _dropped, ...rest } = obj;
      out.push(set(rest));
      walk(obj[k], (nv) => set({ ...obj, [k]: nv }));
    }
  };
  walk(doc, (v) => v);
  return [doc, ...out];
}

function sameVerdicts(name: string, def: string | undefined, docs: unknown[]): number {
  const prebuilt = schemaValidator(name, def);
  const here = compileHere(name, def);
  expect(prebuilt).not.toBe(here);
  let failures = 0;
  for (const doc of docs) {
    const a = prebuilt(doc);
    const errorsA = structuredClone(prebuilt.errors ?? null);
    const b = here(doc);
    expect({ valid: a, errors: errorsA }).toEqual({ valid: b, errors: structuredClone(here.errors ?? null) });
    if (!a) failures++;
  }
  return failures;
}

describe("prebuilt schema validators", () => {
  it("the build wrote them for the bundled schemas, and the gate validates with them", () => {
    expect(loadPrebuiltValidators()).not.toBeNull();
    expect(validatorSource()).toBe("prebuilt");
  });

  it("judge every mandate as Ajv compiling the schema here does, errors included", () => {
    const docs = mutations(exampleMandate());
    const failures = sameVerdicts("mandate.schema.json", undefined, docs);
    // The corpus is mostly broken mandates, and the example itself is valid.
    expect(failures).toBeGreaterThan(docs.length / 2);
    expect(validateMandate(exampleMandate(), { brokerKey: "bybit" }).ok).toBe(true);
  });

  it("judge every rule file and manifest as Ajv compiling the schema here does", () => {
    const dir = defaultRulesDir();
    const files = readdirSync(dir).filter((n) => n.endsWith(".yaml"));
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const doc = parseYaml(readFileSync(join(dir, f), "utf8")) as unknown;
      const def = f === "ruleset.yaml" ? "manifest" : "ruleFile";
      const docs = mutations(doc).slice(0, 400);
      expect(sameVerdicts("rules.schema.json", def, docs)).toBeGreaterThan(0);
    }
  });

  it("are not used when made from other schemas, in another format, or unreadable", () => {
    const dir = mkdtempSync(join(tmpdir(), "schema-validators-"));
    const original = readFileSync(prebuiltValidatorsPath(), "utf8");
    const variant = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const copy = join(dir, "same.cjs");
    copyFileSync(prebuiltValidatorsPath(), copy);
    expect(loadPrebuiltValidators(copy)).not.toBeNull();
    expect(loadPrebuiltValidators(variant("other.cjs", original.replace(/schemas_sha256 = "[0-9a-f]{64}"/, `schemas_sha256 = "${"0".repeat(64)}"`)))).toBeNull();
    expect(loadPrebuiltValidators(variant("format.cjs", original.replace("exports.format = 1;", "exports.format = 2;")))).toBeNull();
    expect(loadPrebuiltValidators(variant("broken.cjs", "exports.format = ;"))).toBeNull();
    expect(loadPrebuiltValidators(variant("empty.cjs", original.replace(/exports\.build = [\s\S]*$/, "exports.build = () => ({});")))).toBeNull();
    expect(loadPrebuiltValidators(join(dir, "missing.cjs"))).toBeNull();
  });
});
