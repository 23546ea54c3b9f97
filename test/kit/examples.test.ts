// The examples (examples/<name>/, each laid out as a user's project) built with `resty-ts build`
// and tested in real nginx by their own test files, which import "resty-ts/harness" as a
// user's test does: examples/node_modules/resty-ts links to this package.
import { beforeAll, expect } from "vitest";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProject } from "../../kit/build.mjs";

const examples = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
const link = join(examples, "node_modules", "resty-ts");
if (!existsSync(link)) {
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync("../..", link);
}

beforeAll(() => {
  for (const name of ["hello_world", "request_id"]) {
    expect(buildProject({ projectDir: join(examples, name), log: () => {} }), `build of examples/${name}`).toBe(0);
  }
}, 120_000);

await import("../../examples/hello_world/test/hello_world.test.ts");
await import("../../examples/request_id/test/request_id.test.ts");
