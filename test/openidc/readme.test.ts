// The nginx.conf excerpt of the README's openidc section is a working configuration: nginx runs
// it as written (with this checkout's build as lua_package_path, test certificates and a free
// loopback port instead of 443), the plugin's config in it is valid, and it protects /api.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUILD_LUA, freePort } from "../../harness/nginx.mjs";
import { makePki, type TestPki } from "./tls";
import { rawFetch } from "./gateway";

let excerpt: string;
let pki: TestPki;

beforeAll(() => {
  const readme = readFileSync(resolve(__dirname, "../../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("<!-- section:plugin:openidc -->"), readme.indexOf("<!-- /section:plugin:openidc -->"));
  excerpt = /```nginx\n([\s\S]*?)```/.exec(section)![1];
  pki = makePki();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs nginx on the excerpt with `env` for the secrets, calls `check(base)`, stops nginx; returns the error log. */
async function withExcerpt(env: Record<string, string>, check: (base: string) => Promise<void>): Promise<string> {
  const prefix = mkdtempSync(join(tmpdir(), "resty-ts-readme-"));
  chmodSync(prefix, 0o755);
  writeFileSync(join(prefix, "tls.crt"), pki.cert);
  writeFileSync(join(prefix, "tls.key"), pki.key);
  const port = await freePort();
  const http = excerpt
    .replace("/etc/nginx/resty-ts/?.lua", `${BUILD_LUA}/?.lua`)
    .replace("listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`)
    .replace("/etc/nginx/tls/app.example.com.crt", join(prefix, "tls.crt"))
    .replace("/etc/nginx/tls/app.example.com.key", join(prefix, "tls.key"));
  expect(http).toContain(`listen 127.0.0.1:${port} ssl;`);
  const conf = join(prefix, "nginx.conf");
  writeFileSync(conf, `load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
env OIDC_CLIENT_SECRET;
env OIDC_SESSION_SECRET;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events {}
${http}`);
  execFileSync("nginx", ["-p", prefix, "-c", conf, "-e", join(prefix, "error.log")], { env: { ...process.env, ...env }, stdio: "ignore" });
  try {
    const base = `https://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await rawFetch(`${base}/`, { method: "HEAD" }, pki.ca).then(() => true, () => false)) break;
      await sleep(50);
    }
    await check(base);
  } finally {
    execFileSync("nginx", ["-p", prefix, "-c", conf, "-e", join(prefix, "error.log"), "-s", "stop"], { stdio: "ignore" });
    for (let i = 0; i < 100 && existsSync(join(prefix, "nginx.pid")); i++) await sleep(50);
  }
  return readFileSync(join(prefix, "error.log"), "utf8");
}

describe("openidc README", () => {
  it("has a working nginx.conf excerpt: valid openidc config, /api protected by bearer tokens", async () => {
    expect(excerpt).toContain("lua_shared_dict resty_ts_oidc");
    const secrets = { OIDC_CLIENT_SECRET: "a client secret", OIDC_SESSION_SECRET: "a session secret of at least 32 bytes!" };
    const log = await withExcerpt(secrets, async (base) => {
      const response = await rawFetch(`${base}/api/orders`, {}, pki.ca);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
    });
    expect(log).not.toMatch(/openidc|\[error\]|\[alert\]|\[emerg\]/);
    // Without the session secret in the environment, the config is refused and so is every request.
    const refusedLog = await withExcerpt({ OIDC_CLIENT_SECRET: "a client secret" }, async (base) => {
      expect((await rawFetch(`${base}/api/orders`, {}, pki.ca)).status).toBe(500);
    });
    expect(refusedLog).toMatch(/plugin "openidc": invalid config: key "session_secret"/);
  });
});
