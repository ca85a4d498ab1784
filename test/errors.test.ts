/**
 * Every error code the server can hand out is in the one catalogue, with a
 * description; callers match on these codes.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/errors.js";
import { packageRoot } from "../src/util/package-root.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("error catalogue", () => {
  it("lists every E_ code used under src/ (the simulator's own aside), each with a description", () => {
    const used = new Set<string>();
    for (const file of sources(join(packageRoot(), "src"))) {
      if (file.includes(`${join("src", "sim")}`)) continue;
      for (const m of readFileSync(file, "utf8").matchAll(/"(E_[A-Z_]+)"/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(10);
    for (const code of used) expect(ERROR_CODES, code).toHaveProperty(code);
    for (const [code, text] of Object.entries(ERROR_CODES)) expect(text.length, code).toBeGreaterThan(10);
  });
});
