// The examples (examples/<name>/, each laid out as a user's project) built with `resty-ts build`
// and tested in real nginx by their own test files, which import "resty-ts/harness" as a
// user's test does: examples/node_modules/resty-ts links to this package.
import { beforeAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const examples = join(root, "examples");
const names = ["hello_world", "request_id"];

const link = join(examples, "node_modules", "resty-ts");
if (!existsSync(link)) {
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync("../..", link);
}

// Paths held in variables: these modules live outside test/ (and its type-check program).
const kitBuild = join(root, "kit", "build.mjs");
const { buildProject } = await import(kitBuild);

beforeAll(() => {
  for (const name of names) {
    expect(buildProject({ projectDir: join(examples, name), log: () => {} }), `build of examples/${name}`).toBe(0);
  }
}, 120_000);

it("request_id's busted spec passes under LuaJIT", () => {
  const busted = spawnSync("busted", ["--lua=luajit", "spec"], { cwd: join(examples, "request_id"), encoding: "utf8" });
  expect(busted.status, busted.stdout).toBe(0);
  expect(busted.stdout).toMatch(/3 successes \/ 0 failures/);
});

// Each example's own tests, registered in this file.
for (const name of names) await import(join(examples, name, "test", `${name}.test.ts`));
