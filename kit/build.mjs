// `resty-ts build`: compiles a project's plugins to build/lua/plugins/<name>/main.lua with
// resty-ts' guarantees, by scripts/build.mjs (the same build and output checks resty-ts uses).
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { build } from "../scripts/build.mjs";
import { syncLibrary } from "./sync.mjs";

/**
 * Builds the project in `projectDir` (its tstl.json); `plugins` limits the build to those
 * plugin folders (plus the dispatcher and plugins/lib). Returns the exit status.
 * @param {{ projectDir: string, plugins?: string[], log?: (line: string) => void }} options
 */
export function buildProject({ projectDir, plugins = [], log = console.log }) {
  if (!existsSync(join(projectDir, "tstl.json"))) {
    console.error(`resty-ts build: no tstl.json in ${projectDir} (run \`npx resty-ts new <name>\` first)`);
    return 2;
  }
  const { written, kept } = syncLibrary(projectDir);
  if (written.length > 0) log(`resty-ts: supplied ${written.join(", ")}`);
  for (const file of kept) log(`resty-ts: kept your own ${file} (it has no resty-ts copy marker)`);
  // tstl comes from the project's own node_modules (a peer dependency of resty-ts).
  const bin = join(projectDir, "node_modules", ".bin");
  if (existsSync(bin)) process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ""}`;
  const status = build({ projectDir, plugins });
  if (status === 0) log(`resty-ts: built ${join(projectDir, "build", "lua")}`);
  return status;
}
