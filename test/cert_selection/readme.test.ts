// The nginx.conf excerpt of the README's cert_selection section is a working configuration:
// nginx runs it as written (this checkout's build, test certificates, a free port instead of
// 443, a temporary state folder), each source serves its certificate and the admin API answers.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUILD_LUA, freePort } from "../../harness/nginx.mjs";
import { makeCert } from "./certs.mjs";
import { eventually, probe, sleep } from "./tls";

function excerpt(): string {
  const readme = readFileSync(resolve(__dirname, "../../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("<!-- section:plugin:cert_selection -->"), readme.indexOf("<!-- /section:plugin:cert_selection -->"));
  return /```nginx\n([\s\S]*?)```/.exec(section)![1];
}

describe("cert_selection: README nginx.conf excerpt", () => {
  it("runs as written and serves config, directory, default and admin API certificates", async () => {
    const prefix = mkdtempSync(join(tmpdir(), "resty-ts-readme-"));
    chmodSync(prefix, 0o755);
    const certs = join(prefix, "certs");
    const secret = join(certs, "secrets", "blog");
    const state = join(prefix, "state");
    mkdirSync(secret, { recursive: true });
    mkdirSync(state);
    for (const folder of [certs, join(certs, "secrets"), secret]) chmodSync(folder, 0o755);
    chmodSync(state, 0o777);
    makeCert(certs, "shop.example.com", {}, "shop");
    makeCert(certs, "default.example.com", {}, "default");
    makeCert(certs, "placeholder.invalid", {}, "placeholder");
    const blog = makeCert(certs, "blog.example.com", {}, "blog");
    copyFileSync(blog.cert, join(secret, "tls.crt"));
    copyFileSync(blog.key, join(secret, "tls.key"));
    for (const file of ["tls.crt", "tls.key"]) chmodSync(join(secret, file), 0o644);
    const api = makeCert(certs, "api.example.com", {}, "api");

    const port = await freePort();
    const conf = join(prefix, "nginx.conf");
    const text = excerpt()
      .replace("/etc/nginx/resty-ts/?.lua", `${BUILD_LUA}/?.lua`)
      .replace("listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`)
      .replaceAll("/etc/nginx/certs/", `${certs}/`)
      .replace("/var/lib/resty-ts/", `${state}/`);
    expect(text).toContain(`listen 127.0.0.1:${port} ssl;`);
    expect(text).not.toMatch(/\/etc\/nginx\/certs|\/var\/lib/);
    writeFileSync(conf, text);
    const log = join(prefix, "error.log");
    const nginx = (...args: string[]) => execFileSync("nginx", ["-p", prefix, "-c", conf, "-e", log, "-g", `pid ${prefix}/nginx.pid;`, ...args], { stdio: "ignore" });
    nginx();
    try {
      await eventually(() => probe(port, "shop.example.com").then(() => true, () => false), "nginx answers");
      expect((await probe(port, "shop.example.com")).names).toEqual(["shop.example.com"]);
      expect((await probe(port, "blog.example.com")).names).toEqual(["blog.example.com"]);
      expect((await probe(port, undefined)).names).toEqual(["default.example.com"]);
      expect((await probe(port, "api.example.com")).names).toEqual(["default.example.com"]);

      const put = await fetchInsecure(port, "/.resty-ts/certificates/api", JSON.stringify({ cert: api.certPem, key: api.keyPem }));
      expect(put.status, put.body).toBe(200);
      expect((await probe(port, "api.example.com")).names).toEqual(["api.example.com"]);
      expect(existsSync(join(state, "cert_selection.json"))).toBe(true);
    } finally {
      nginx("-s", "stop");
      for (let i = 0; i < 100 && existsSync(join(prefix, "nginx.pid")); i++) await sleep(50);
    }
    const errors = readFileSync(log, "utf8").split("\n").filter((line) => /\[(error|crit|alert|emerg)\]|invalid config/.test(line));
    expect(errors).toEqual([]);
  });
});

/** PUT over HTTPS with the excerpt's token (the server's certificate is not verified). */
async function fetchInsecure(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  const https = await import("node:https");
  return new Promise((resolvePromise, reject) => {
    const request = https.request({
      host: "127.0.0.1", port, path, method: "PUT", servername: "shop.example.com", rejectUnauthorized: false,
      headers: { Authorization: "Bearer change-me-to-a-long-secret", "Content-Length": Buffer.byteLength(body) },
    }, (response) => {
      let text = "";
      response.on("data", (chunk) => { text += chunk; });
      response.on("end", () => resolvePromise({ status: response.statusCode ?? 0, body: text }));
    });
    request.once("error", reject);
    request.end(body);
  });
}
