// cert_selection with prometheus: each name's notAfter as ingress-nginx's
// nginx_ingress_controller_ssl_expire_time_seconds{host}.
import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import type { Nginx } from "../../harness/nginx.mjs";
import { certDir, makeCert } from "./certs.mjs";
import { startGateway } from "./tls";

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

/** notAfter of a PEM file, Unix seconds, as openssl reads it. */
function notAfter(file: string): number {
  const text = execFileSync("openssl", ["x509", "-in", file, "-noout", "-enddate"], { encoding: "utf8" });
  return Math.floor(Date.parse(text.replace("notAfter=", "").trim()) / 1000);
}

describe("cert_selection: expiry metric", () => {
  it("exports each certificate's notAfter per host", async () => {
    const dir = certDir();
    const multi = makeCert(dir, "one.test", { san: ["one.test", "*.two.test"], days: 40 });
    const old = makeCert(dir, "old.test", { days: -1 });
    nginx = await startGateway(dir, { certificates: [{ cert: multi.cert, key: multi.key }, { cert: old.cert, key: old.key }] }, {
      plugins: ["prometheus", "cert_selection"],
      config: {
        prometheus: { path: "/metrics", sync_interval: 1 },
        cert_selection: { certificates: [{ cert: multi.cert, key: multi.key }, { cert: old.cert, key: old.key }] },
      },
      http: "lua_shared_dict resty_ts_metrics 16m;",
      allowLog: [/old\.test.*expired at/],
    });
    const body = await (await nginx.fetch("/metrics")).text();
    const value = (host: string) => Number(new RegExp(`nginx_ingress_controller_ssl_expire_time_seconds\\{host="${host.replace(/[.*]/g, "\\$&")}"\\} (\\S+)`).exec(body)?.[1]);
    for (const [host, file] of [["one.test", multi.cert], ["*.two.test", multi.cert], ["old.test", old.cert]] as const) {
      expect(Math.abs(value(host) - notAfter(file)), `${host}\n${body}`).toBeLessThanOrEqual(2);
    }
    expect(value("old.test")).toBeLessThan(Date.now() / 1000);
  });
});
