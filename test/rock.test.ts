// The luarocks bundle: `npm run rock` packs it offline, `luarocks install` puts it in a tree,
// and nginx loads every plugin from that tree alone (not from build/).
import { describe, it, expect, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNginx, Nginx, BUILD_LUA } from "../harness/nginx.mjs";

const root = join(import.meta.dirname, "..");
let nginx: Nginx | undefined;
afterAll(async () => { await nginx?.stop(); });

describe("luarocks bundle", () => {
  it("packs, installs offline into a tree, and every plugin loads from there", async () => {
    execFileSync("node", ["scripts/rock.mjs", "--no-build"], { cwd: root, stdio: "pipe" });
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const rock = join(root, "dist", `resty-ts-${version}-1.all.rock`);
    expect(existsSync(rock)).toBe(true);
    const tree = mkdtempSync(join(tmpdir(), "resty-ts-tree-"));
    chmodSync(tree, 0o755); // workers run as nobody
    execFileSync("luarocks", ["--lua-version=5.1", "install", "--tree", tree, "--deps-mode=none", rock], { stdio: "pipe" });
    const installed = join(tree, "share", "lua", "5.1");
    expect(existsSync(join(installed, "plugins.lua"))).toBe(true);

    const plugins = readdirSync(join(BUILD_LUA, "plugins"))
      .filter((name) => existsSync(join(BUILD_LUA, "plugins", name, "main.lua")));
    nginx = await startNginx({
      buildLua: installed,
      plugins,
      // Plugins with required keys log their config problem; loading is what this test checks.
      allowLog: [/invalid config|has no usable configuration/],
      http: "lua_shared_dict resty_ts_metrics 1m; lua_shared_dict resty_ts_certs 1m; lua_shared_dict resty_ts_oidc 1m;",
      // No phase hooks: with no configuration, openidc rightly refuses every request it would see.
      servers: ({ port }) => `server {
        listen 127.0.0.1:${port};
        location = /loaded { content_by_lua_block {
          ngx.say(table.concat(plugins.names(), ","))
          ngx.say(tostring(package.searchpath("plugins", package.path)))
        } }
      }`,
    });
    const body = await (await nginx.fetch("/loaded")).text();
    const [names, path] = body.split("\n");
    expect(names.split(",").filter(Boolean).sort()).toEqual([...plugins].sort());
    expect(path, body).toMatch(/plugins\.lua$/);
    expect(path.startsWith(installed)).toBe(true);
    expect(nginx.errorLog()).not.toMatch(/error loading plugin/);
  });
});
