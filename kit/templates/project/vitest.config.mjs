import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each test starts its own nginx; give a loaded machine time.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
