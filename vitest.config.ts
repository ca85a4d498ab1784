// `npm test` runs `vitest run --dir test` with this config: the globalSetup finds (or starts) PostgreSQL for the run.
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // dist/ holds the compiled copies of the tests after a build: a bare `vitest run test/x` would run them twice.
    exclude: [...configDefaults.exclude, "dist/**"],
    globalSetup: ["test/helpers/pg-global-setup.ts"],
  },
});
