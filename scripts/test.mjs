#!/usr/bin/env node
// `npm test`: type checks, build, busted specs under LuaJIT, then the vitest suites in real nginx.
// Extra arguments go to vitest (`npm test -- test/real_ip`).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => resolve(root, "node_modules", ".bin", name);

function step(title, command, args) {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status || 1);
  }
}

step("type check (plugins and types; tests, harness and tools)", bin("tsc"), ["-b", "tsconfig.json"]);
step("build", "node", ["scripts/build.mjs"]);
step("busted specs (LuaJIT)", "busted", ["--lua=luajit", "spec"]);
// The JSON report gives the closing count line; vitest's own summary is above it.
const report = resolve(root, "build", "vitest-report.json");
rmSync(report, { force: true });
const vitest = spawnSync(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
if (existsSync(report)) {
  const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, "utf8"));
  console.log(`\nvitest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
}
if (vitest.status !== 0) {
  console.error(`\nvitest (real nginx) failed (exit ${vitest.status ?? vitest.signal}).`);
  process.exit(vitest.status || 1);
}
