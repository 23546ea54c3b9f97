// cert_selection with prometheus: each name's notAfter as ingress-nginx's
// nginx_ingress_controller_ssl_expire_time_seconds{host}.
import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import type { Nginx } from "../../harness/nginx.mjs";
import { certDir, makeCert } from "./certs.mjs";
import { eventually, startGateway } from "./tls";

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

  it("follows admin API changes: the certificate serving a name, the earlier of RSA and ECDSA", async () => {
    const dir = certDir();
    const state = certDir();
    chmodSync(state, 0o777);
    const fromConfig = makeCert(dir, "shared.test", { days: 10 }, "config");
    const later = makeCert(dir, "shared.test", { days: 50 }, "later");
    const rsa = makeCert(dir, "shared.test", { type: "rsa", days: 20 }, "rsa");
    const token = "0123456789abcdef-admin-token";
    const section = { certificates: [{ cert: fromConfig.cert, key: fromConfig.key }], admin: { token, state_file: join(state, "certs.json") } };
    nginx = await startGateway(dir, section, {
      workers: 2,
      plugins: ["prometheus", "cert_selection"],
      config: { prometheus: { path: "/metrics", sync_interval: 1 }, cert_selection: section },
      http: "lua_shared_dict resty_ts_metrics 16m;",
    });
    const put = async (id: string, cert: { certPem: string; keyPem: string }) => {
      const response = await nginx!.fetch(`/.resty-ts/certificates/${id}`, { method: "PUT", headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ cert: cert.certPem, key: cert.keyPem }) });
      expect(response.status).toBe(200);
    };
    const shows = (file: string) => eventually(async () => {
      const body = await (await nginx!.fetch("/metrics")).text();
      const seen = Number(/nginx_ingress_controller_ssl_expire_time_seconds\{host="shared\.test"\} (\S+)/.exec(body)?.[1]);
      return Math.abs(seen - notAfter(file)) <= 2;
    }, `shared.test's expiry is that of ${file}`);
    await shows(fromConfig.cert);
    // The API's certificate serves the name (it hides the config's of the same key type).
    await put("later", later);
    await shows(later.cert);
    // With an RSA certificate beside it, the earlier notAfter of the two.
    await put("rsa", rsa);
    await shows(rsa.cert);
  });
});
