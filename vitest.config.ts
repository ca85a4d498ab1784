// `npm test` runs `vitest run --dir test` with this config: the globalSetup finds (or starts) PostgreSQL for the run.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/helpers/pg-global-setup.ts"],
  },
});
