#!/usr/bin/env node
// `npm test`: type checks, build, busted specs under LuaJIT, then the vitest suites in real nginx.
// Extra arguments go to vitest (`npm test -- test/real_ip`).
import { spawnSync } from "node:child_process";
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
step("vitest (real nginx)", bin("vitest"), ["run", ...process.argv.slice(2)]);
