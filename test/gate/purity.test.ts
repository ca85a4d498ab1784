/**
 * The gate is pure: no module under src/gate/ reads or writes files (the
 * loaders sit with the state layer), so a decision depends on its inputs only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/package-root.js";

const GATE = join(packageRoot(), "src", "gate");
/** Schemas come in as JSON modules (data, bundled). State modules that are pure functions (Python-compatible JSON, the broker-key rule). */
const PURE_STATE = new Set(["../state/pyjson.js", "../state/paths.js"]);

describe("src/gate/ does no I/O", () => {
  for (const file of readdirSync(GATE).filter((f) => f.endsWith(".ts"))) {
    it(file, () => {
      const text = readFileSync(join(GATE, file), "utf8");
      const imports = [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
      expect(imports.filter((i) => /^node:(fs|net|http|https|child_process)/.test(i) || i === "undici"), file).toEqual([]);
      expect(imports.filter((i) => i.startsWith("../") && !i.endsWith(".json") && !i.startsWith("../util/") && i !== "../errors.js" && !PURE_STATE.has(i)), file).toEqual([]);
    });
  }
});
