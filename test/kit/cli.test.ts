// The resty-ts CLI on a user's project: `new` scaffolds, `build` builds with resty-ts'
// guarantees (and fails on a diagnostic, a global write, a module outside plugins.* or an
// unresolved Lua module).
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { tempProject, ROOT } from "./project";

const project = tempProject();
afterAll(() => project.remove());
// Held in a variable: scripts/ is outside test/ (and its type-check program).
const buildScript = join(ROOT, "scripts", "build.mjs");
const { checkOutput } = await import(buildScript);

describe("resty-ts new", () => {
  it("scaffolds a plugin, its test, its spec and the project files", () => {
    const { status, output } = project.cli("new", "greeter");
    expect(status, output).toBe(0);
    for (const file of ["plugins/greeter/main.ts", "plugins/greeter/config.ts", "test/greeter.test.ts", "spec/greeter_spec.lua", "tstl.json", "tsconfig.json", "test/tsconfig.json", "vitest.config.mjs", ".busted", "plugins.ts", "plugins/lib/schema.ts", "plugins/lib/config.ts"]) {
      expect(existsSync(join(project.dir, file)), file).toBe(true);
    }
    expect(project.read("plugins/greeter/main.ts")).toContain('name: "greeter"');
    expect(JSON.parse(project.read("package.json")).scripts).toEqual({ build: "resty-ts build", check: "resty-ts check", test: "resty-ts build && vitest run" });
    expect(project.read("test/greeter.test.ts")).toContain('"X-Greeter"');
    expect(project.read("plugins/lib/schema.ts")).toBe(`${project.read("plugins/lib/schema.ts").split("\n")[0]}\n${readFileSync(join(ROOT, "plugins/lib/schema.ts"), "utf8")}`);
  });

  it("gives a test that type-checks against the harness declarations", { timeout: 120_000 }, () => {
    const prepack = spawnSync(process.execPath, [join(ROOT, "kit", "prepack.mjs")], { encoding: "utf8" });
    expect(prepack.status, prepack.stderr).toBe(0);
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "test"], { cwd: project.dir, encoding: "utf8" });
    expect(tsc.status, tsc.stdout).toBe(0);
  });

  it("refuses a name that is not a Lua module name, and an existing plugin", () => {
    let result = project.cli("new", "Bad-Name");
    expect(result.status).toBe(2);
    expect(result.output).toMatch(/"Bad-Name" is not a plugin name/);
    result = project.cli("new", "greeter");
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/plugins\/greeter already exists/);
  });
});

describe("resty-ts build", () => {
  it("builds plugins/<name>/main.lua returning the plugin table, with a passing busted spec", { timeout: 120_000 }, () => {
    const { status, output } = project.cli("build");
    expect(status, output).toBe(0);
    const main = project.read("build/lua/plugins/greeter/main.lua");
    expect(main).toMatch(/return ____exports\s*$/);
    expect(main).not.toMatch(/__TS__/);
    const busted = spawnSync("busted", ["--lua=luajit", "spec"], { cwd: project.dir, encoding: "utf8" });
    expect(busted.status, busted.stdout).toBe(0);
    expect(busted.stdout).toMatch(/2 successes \/ 0 failures/);
  });

  it("supplies the library modules the plugins import, and keeps a user's own file of that name", { timeout: 120_000 }, () => {
    expect(existsSync(join(project.dir, "plugins/lib/metrics.ts"))).toBe(false); // not imported
    project.write("plugins/lib/client.ts", "// mine\nexport const mine = 1;\n");
    project.write("plugins/greeter/extra.ts", 'import { mine } from "../lib/client";\nexport const extra = mine + 1;\n');
    const { status, output } = project.cli("build");
    expect(status, output).toBe(0);
    expect(output).toMatch(/kept your own plugins\/lib\/client.ts/);
    expect(project.read("plugins/lib/client.ts")).toBe("// mine\nexport const mine = 1;\n");
  });

  it("fails on a type error, naming file and line", { timeout: 120_000 }, () => {
    project.write("plugins/broken/main.ts", 'const n: number = "one";\nconst plugin: Plugin = { name: "broken" };\nexport = [plugin, n];\n');
    const { status, output } = project.cli("build", "broken");
    expect(status).toBe(1);
    expect(output).toMatch(/plugins\/broken\/main\.ts\(1,7\): error TS2322/);
  });

  it("fails when the output would write a global variable", { timeout: 120_000 }, () => {
    project.write("plugins/broken/main.ts", 'declare let hits: number;\nfunction log(this: void): void { hits = 1; }\nconst plugin: Plugin = { name: "broken", log };\nexport = plugin;\n');
    const { status, output } = project.cli("build", "broken");
    expect(status).toBe(1);
    expect(output).toMatch(/plugins\/broken\/main\.lua: writes the global variable "hits"/);
  });

  it("fails when a plugin pulls in a module outside plugins.* (it would collide with other Lua)", { timeout: 120_000 }, () => {
    project.write("helpers.ts", "export const shared = 1;\n");
    project.write("plugins/broken/main.ts", 'import { shared } from "../../helpers";\nconst plugin: Plugin = { name: "broken" };\nexport = [plugin, shared];\n');
    const { status, output } = project.cli("build", "broken");
    rmSync(join(project.dir, "build", "lua", "helpers.lua"), { force: true });
    expect(status).toBe(1);
    expect(output).toMatch(/helpers\.lua: module outside plugins\//);
  });

  it("fails on a Lua module TSTL cannot resolve, and on an @NoResolution: marker in the output", { timeout: 120_000 }, () => {
    project.write("plugins/broken/http.d.ts", 'declare module "resty.http" { export function request(this: void): unknown; }\n');
    project.write("plugins/broken/main.ts", 'import * as http from "resty.http";\nconst plugin: Plugin = { name: "broken" };\nexport = [plugin, http];\n');
    const { status, output } = project.cli("build", "broken");
    expect(status).toBe(1);
    expect(output).toMatch(/Could not resolve lua source files for require path 'resty\.http'/);
    project.write("marker/plugins/x.lua", 'local m = require("@NoResolution:resty.http")\nreturn m\n');
    expect(checkOutput(join(project.dir, "marker"))).toEqual(["plugins/x.lua: contains an @NoResolution: marker OpenResty cannot load"]);
  });
});
