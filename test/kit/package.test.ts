// The npm package as users get it: what `npm pack` ships, and that the declarations' entry
// point (package.json "types") brings in every declaration file of types/.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./project";

const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
  entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]);

describe("the resty-ts package", () => {
  it("ships the CLI, kit, declarations, harness, library sources, docs and examples, and no tests", { timeout: 60_000 }, () => {
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
    expect(pack.status, pack.stderr).toBe(0);
    const shipped: string[] = JSON.parse(pack.stdout)[0].files.map((f: { path: string }) => f.path);
    for (const path of ["bin/resty-ts.mjs", "kit/tstl-preset.json", "kit/check/analyze.mjs", "kit/templates/plugin/main.ts", "types/index.d.ts", "types/ngx.d.ts", "harness/nginx.mjs", "plugins.ts", "plugins/lib/schema.ts", "plugins/lib/config.ts", "scripts/build.mjs", "docs/tutorial.md", "docs/api.md", "examples/hello_world/plugins/hello_world/main.ts", "examples/request_id/test/request_id.test.ts"]) {
      expect(shipped, path).toContain(path);
    }
    expect(shipped.filter((path) => path.startsWith("test/") || path.startsWith("spec/") || path.includes("node_modules") || path.includes("/build/"))).toEqual([]);
  });

  it("types/index.d.ts references every declaration file in types/", () => {
    const index = readFileSync(join(ROOT, "types", "index.d.ts"), "utf8");
    const referenced = [...index.matchAll(/<reference path="\.\/([^"]+)"/g)].map((m) => m[1]);
    const all = files(join(ROOT, "types")).map((file) => relative(join(ROOT, "types"), file)).filter((f) => f.endsWith(".d.ts") && f !== "index.d.ts");
    expect(all.filter((file) => !referenced.includes(file)), "declaration files users would not get").toEqual([]);
  });

  it("exports the preset, the harness and the declarations", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.bin["resty-ts"]).toBe("bin/resty-ts.mjs");
    expect(pkg.exports["./tstl.json"]).toBe("./kit/tstl-preset.json");
    expect(pkg.exports["./harness"].default).toBe("./harness/nginx.mjs");
    expect(pkg.types).toBe("./types/index.d.ts");
  });
});
