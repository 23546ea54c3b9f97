// The examples (examples/<name>/, each laid out as a user's project) copied into a temporary
// folder whose node_modules links resty-ts to this package, as a user's project installs it,
// built with `resty-ts build` and tested in real nginx by their own test files (which import
// "resty-ts/harness" as a user's test does). Nothing is built or linked inside the repository.
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { tempProject, ROOT } from "./project";

const names = ["hello_world", "request_id"];
const project = tempProject();
afterAll(() => project.remove());
// What `resty-ts build` supplies and builds is left out: the copy starts as a user's checkout.
const generated = /\/(build|node_modules|plugins\.ts|plugins\/lib)(\/|$)/;
for (const name of names) {
  cpSync(join(ROOT, "examples", name), join(project.dir, name), { recursive: true, filter: (path) => !generated.test(path.slice(ROOT.length)) });
}

// Paths held in variables: these modules live outside test/ (and its type-check program).
const kitBuild = join(ROOT, "kit", "build.mjs");
const { buildProject } = await import(kitBuild);
const kitCheck = join(ROOT, "kit", "check", "analyze.mjs");
const { checkProject } = await import(kitCheck);

beforeAll(() => {
  for (const name of names) {
    expect(buildProject({ projectDir: join(project.dir, name), log: () => {} }), `build of examples/${name}`).toBe(0);
  }
}, 120_000);

it("have no finding from resty-ts check (phases, slow constructs)", () => {
  for (const name of names) expect(checkProject({ projectDir: join(project.dir, name) }), `examples/${name}`).toEqual([]);
});

it("request_id's busted spec passes under LuaJIT", () => {
  const busted = spawnSync("busted", ["--lua=luajit", "spec"], { cwd: join(project.dir, "request_id"), encoding: "utf8" });
  expect(busted.status, busted.stdout).toBe(0);
  expect(busted.stdout).toMatch(/3 successes \/ 0 failures/);
});

// Each example's own tests, registered in this file.
for (const name of names) await import(join(project.dir, name, "test", `${name}.test.ts`));
