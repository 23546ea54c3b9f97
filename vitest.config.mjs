import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["harness/vitest-setup.mjs"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two test files at a time, each with its own nginx on its own ports.
    maxWorkers: 2,
    pool: "forks",
  },
});
