#!/usr/bin/env node
// Run before `npm pack` / `npm publish`: writes dist/harness/nginx.d.mts, the declarations of
// the test harness users import as "resty-ts/harness" (generated from its JSDoc types).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PACKAGE_ROOT } from "./paths.mjs";

const tsc = createRequire(join(PACKAGE_ROOT, "package.json")).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [
  tsc, join(PACKAGE_ROOT, "harness", "nginx.mjs"),
  "--ignoreConfig", "--allowJs", "--declaration", "--emitDeclarationOnly", "--skipLibCheck",
  "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--types", "node",
  "--outDir", join(PACKAGE_ROOT, "dist", "harness"),
], { stdio: "inherit", cwd: PACKAGE_ROOT });
process.exit(result.status ?? 1);
