// `npm run bench`: every benchmark in bench/ (each prints its own medians and ratios).
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const skip = new Set(["gateway.mjs", "run.mjs", "traces.mjs"]);
let failed = 0;
for (const file of readdirSync(here).filter((f) => f.endsWith(".mjs") && !skip.has(f)).sort()) {
  if (only.length > 0 && !only.some((name) => file.startsWith(name))) continue;
  const result = spawnSync("node", [join(here, file)], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
