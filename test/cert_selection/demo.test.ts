// The `npm start` demo of cert_selection (demo/cert_selection.mjs) answers the README's
// `openssl s_client` and curl lines as the README says (on a free port instead of 8443).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startNginx, type Nginx, type NginxOptions } from "../../harness/nginx.mjs";

interface Demo {
  plugin: string;
  http: string;
  ports: string[];
  servers: NonNullable<NginxOptions["http"]>;
  setup(ctx: { port: number }): Promise<{ config: Record<string, unknown> }>;
}

// Imported by a computed name: the test TypeScript project does not take in demo/.
const DEMO_MODULE = "../../demo/cert_selection.mjs";

let nginx: Nginx | undefined;
let lines: string[];

beforeAll(async () => {
  const demo = (await import(DEMO_MODULE)).default as Demo;
  const { config } = await demo.setup({ port: 0 });
  nginx = await startNginx({
    plugins: [demo.plugin],
    config: { [demo.plugin]: config },
    ports: demo.ports,
    http: (ctx) => `${demo.http}\n${typeof demo.servers === "function" ? demo.servers(ctx) : demo.servers}`,
  });
  const readme = readFileSync(resolve(__dirname, "../../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("<!-- section:plugin:cert_selection -->"), readme.indexOf("<!-- /section:plugin:cert_selection -->"));
  const demoPart = section.slice(section.indexOf("Demo (`npm start`)"));
  const port = String(nginx.ports[demo.ports[0]]);
  lines = /```sh\n([\s\S]*?)```/.exec(demoPart)![1].trim().split("\n").map((line) => line.replaceAll("8443", port));
});

afterAll(async () => {
  await nginx?.stop();
});

/** Runs the README line that contains `marker`, returning its output. */
function run(marker: string): string {
  const line = lines.find((l) => l.includes(marker));
  expect(line, marker).toBeDefined();
  return execFileSync("bash", ["-c", line!], { encoding: "utf8", timeout: 10000, stdio: ["ignore", "pipe", "ignore"] });
}

describe("cert_selection demo", () => {
  it("answers the README's openssl s_client and curl lines", () => {
    expect(run("-servername demo.test </dev/null")).toMatch(/subject=CN ?= ?demo\.test[\s\S]*DNS:demo\.test/);
    expect(run("-sigalgs rsa_pss_rsae_sha256")).toMatch(/public key is 2048 bit/);
    expect(run("-servername x.apps.demo.test")).toMatch(/subject=CN ?= ?\*\.apps\.demo\.test/);
    expect(run("-noservername")).toMatch(/subject=CN ?= ?default\.demo\.test/);
    expect(run("curl -k")).toMatch(/hello over TLS, SNI demo\.test/);
  });
});
