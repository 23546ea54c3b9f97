// The openidc plugin fails closed: bad configuration (under our dispatcher and under
// ingress-nginx's way of loading, config from RESTY_TS_CONFIG), a missing shared dict and an
// unreachable OP make protected routes answer 500 / 503 with one clear log line.
import { describe, it, expect, beforeAll, afterEach } from "vitest";
import { INGRESS_PHASE_HOOKS, freePort, type Nginx } from "../../harness/nginx.mjs";
import { makePki, type TestPki } from "./tls";
import { baseConfig, gatewayPort, serveDiscovery, startGateway } from "./gateway";
import { sealSession } from "./sealed_cookie.mjs";

let pki: TestPki;
let nginx: Nginx | undefined;

beforeAll(() => {
  pki = makePki();
});

afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

const count = (text: string, pattern: RegExp) => text.split("\n").filter((line) => pattern.test(line)).length;

describe("openidc fails closed", () => {
  it("refuses every request with 500 when the config is invalid, logging the cause once, without secrets", async () => {
    const port = await gatewayPort();
    const config = baseConfig(port, "https://127.0.0.1:1", { session_secret: "short-secret-value", client_secret: "client-secret-value" });
    nginx = await startGateway(pki, port, config);
    for (const path of ["/public/x", "/app", "/api/x"]) expect((await nginx.fetch(path)).status).toBe(500);
    const log = nginx.errorLog();
    const reason = /plugin "openidc": invalid config: key "session_secret": expected a secret string of at least 32 bytes, found a string of 18 bytes/;
    // Once when the config is loaded, once more with the first refused request; the other
    // requests are only counted (a persistent failure is not a log line per request).
    expect(count(log, reason)).toBe(2);
    expect(count(log, /openidc: refusing the request \(500\)/)).toBe(1);
    expect(log).not.toContain("short-secret-value");
    expect(log).not.toContain("client-secret-value");
  });

  it("names an unknown key, a missing client_secret and a header a claim may not replace", async () => {
    const port = await gatewayPort();
    nginx = await startGateway(pki, port, { ...baseConfig(port, "https://127.0.0.1:1"), cookei: {} });
    expect((await nginx.fetch("/app")).status).toBe(500);
    expect(nginx.errorLog()).toMatch(/invalid config: key "cookei": expected one of the known keys/);
    await nginx.stop();
    const { client_secret: _omitted, ...withoutSecret } = baseConfig(port, "https://127.0.0.1:1");
    nginx = await startGateway(pki, port, withoutSecret);
    expect((await nginx.fetch("/app")).status).toBe(500);
    expect(nginx.errorLog()).toMatch(/key "client_secret": expected a secret \(token_endpoint_auth_method is "client_secret_basic"\)/);
    await nginx.stop();
    nginx = await startGateway(pki, port, baseConfig(port, "https://127.0.0.1:1", { headers: { Host: "sub" } }));
    expect((await nginx.fetch("/public/x")).status).toBe(500);
    expect(nginx.errorLog()).toMatch(/key "headers.Host": expected a header name that is valid and not one/);
  });

  it("loads and denies under ingress-nginx's dispatcher contract (config from RESTY_TS_CONFIG)", async () => {
    const port = await gatewayPort();
    nginx = await startGateway(pki, port, { client_id: "x" }, {
      configVia: "env", ports: [],
      servers: ({ port: main }) => `server { listen 127.0.0.1:${main}; ${INGRESS_PHASE_HOOKS}
        location / { content_by_lua_block { ngx.say("upstream reached") } } }`,
    });
    expect((await nginx.fetch("/public/x")).status).toBe(500);
    expect(nginx.errorLog()).toMatch(/plugin "openidc": invalid config: key "(discovery|session_secret|rules)"/);
    await nginx.stop();
    nginx = await startGateway(pki, port, baseConfig(port, "https://127.0.0.1:1"), {
      configVia: "env", ports: [],
      servers: ({ port: main }) => `server { listen 127.0.0.1:${main}; ${INGRESS_PHASE_HOOKS}
        location / { content_by_lua_block { ngx.say("upstream reached") } } }`,
    });
    expect(await (await nginx.fetch("/public/x")).text()).toBe("upstream reached\n");
    expect((await nginx.fetch("/admin")).status).toBe(403);
  });

  it("still loads and refuses when its implementation cannot load (e.g. no usable libcrypto)", async () => {
    const port = await gatewayPort();
    nginx = await startGateway(pki, port, baseConfig(port, "https://127.0.0.1:1"), {
      files: { "broken/plugins/openidc/gate.lua": 'error("libcrypto.so.3: cannot open shared object file")' },
      luaPath: [`${"$"}{prefix}/broken/?.lua`],
    });
    expect((await nginx.fetch("/public/x")).status).toBe(500);
    expect(nginx.errorLog()).toMatch(/plugin "openidc" cannot load its implementation: .*libcrypto.so.3: cannot open/);
  });

  it("refuses with 500 on an internal error, logging it once for many requests", async () => {
    const port = await gatewayPort();
    const boom = 'local function boom() error("identity exploded") end return { clearIdentity = boom, setIdentity = boom, claimValues = boom }';
    nginx = await startGateway(pki, port, baseConfig(port, "https://127.0.0.1:1"), {
      files: { "broken/plugins/openidc/identity.lua": boom },
      luaPath: [`${"$"}{prefix}/broken/?.lua`],
      allowLog: [/openidc: internal error, refusing the request \(500\)/],
    });
    for (let i = 0; i < 4; i++) expect((await nginx.fetch("/public/x")).status).toBe(500);
    expect(count(nginx.errorLog(), /openidc: internal error, refusing the request \(500\): .*identity exploded/)).toBe(1);
  });

  it("answers 503 when the JWKS cannot be fetched though discovery works", async () => {
    const port = await gatewayPort();
    const dead = await freePort();
    const { issuer, close } = await serveDiscovery(pki, { jwks_uri: `https://127.0.0.1:${dead}/jwks` });
    try {
      nginx = await startGateway(pki, port, baseConfig(port, issuer, { failure_backoff: 30, timeout: 1000 }));
      for (let i = 0; i < 3; i++) {
        const response = await nginx.fetch("/api/x", { headers: { authorization: "Bearer a.b.c" } });
        expect(response.status).toBe(503);
      }
      const log = nginx.errorLog();
      expect(log).toMatch(new RegExp(`openidc: bearer token not checked, answering 503: signing keys unavailable: cannot fetch https://127.0.0.1:${dead}/jwks`));
      expect(count(log, /openidc: bearer token not checked/)).toBe(1);
    } finally {
      close();
    }
  });

  it("logs out to post_logout_redirect_uri when the OP has no end_session_endpoint", async () => {
    const port = await gatewayPort();
    const { issuer, close } = await serveDiscovery(pki);
    try {
      const config = baseConfig(port, issuer);
      nginx = await startGateway(pki, port, config);
      const now = Math.floor(Date.now() / 1000);
      const session = sealSession(config.session_secret as string, "resty_ts_session", { sub: "alice", c: { sub: "alice" }, exp: now + 600, t: now });
      const out = await nginx.fetch("/openidc/logout", { headers: { cookie: `resty_ts_session=${session}` }, redirect: "manual" });
      expect(out.status).toBe(302);
      expect(out.headers.get("location")).toBe(config.post_logout_redirect_uri);
      expect(out.headers.getSetCookie().some((c) => /^resty_ts_session=;.*Max-Age=0/.test(c))).toBe(true);
    } finally {
      close();
    }
  });

  it("refuses with 500 when lua_shared_dict resty_ts_oidc is missing", async () => {
    const port = await gatewayPort();
    nginx = await startGateway(pki, port, baseConfig(port, "https://127.0.0.1:1"), {
      http: `lua_ssl_trusted_certificate ${pki.caFile};`,
    });
    expect((await nginx.fetch("/public/x")).status).toBe(500);
    expect(nginx.errorLog()).toMatch(/nginx.conf lacks "lua_shared_dict resty_ts_oidc/);
  });

  it("answers 503 on protected routes when the OP is unreachable, and backs off", async () => {
    const port = await gatewayPort();
    const dead = await freePort();
    nginx = await startGateway(pki, port, baseConfig(port, `https://127.0.0.1:${dead}`, { failure_backoff: 30, timeout: 1000 }));
    for (let i = 0; i < 5; i++) expect((await nginx.fetch("/app")).status).toBe(503);
    expect((await nginx.fetch("/api/x", { headers: { authorization: "Bearer a.b.c" } })).status).toBe(503);
    expect((await nginx.fetch("/public/x")).status).toBe(200);
    const log = nginx.errorLog();
    expect(log).toMatch(new RegExp(`openidc: OpenID Provider unavailable, answering 503: cannot fetch https://127.0.0.1:${dead}/.well-known/openid-configuration: connecting to 127.0.0.1:${dead}: connection refused`));
    // Within failure_backoff the OP is not tried again: one refused connection only, and one
    // log line for six refused requests.
    expect(count(log, /connect\(\) failed \(111: Connection refused\)/)).toBe(1);
    expect(count(log, /openidc: OpenID Provider unavailable, answering 503/)).toBe(1);
  });

  it("keeps a session whose token cannot be refreshed while the token lasts, then answers 503", async () => {
    const port = await gatewayPort();
    const dead = await freePort();
    const config = baseConfig(port, `https://127.0.0.1:${dead}`, { refresh: true, forward_access_token: true, refresh_leeway: 60, failure_backoff: 30, timeout: 1000 });
    nginx = await startGateway(pki, port, config, { allowLog: [/openidc: OpenID Provider unavailable for refresh/, /connect\(\) failed/] });
    const now = Math.floor(Date.now() / 1000);
    const cookie = (ate: number) => `resty_ts_session=${sealSession(config.session_secret as string, "resty_ts_session", {
      sub: "alice", c: { sub: "alice" }, exp: now + 3600, t: now, at: "access-token-still-valid", ate, rt: "refresh-token" })}`;
    // Due for refresh (within refresh_leeway) but still valid: the request goes on with it.
    const lasting = cookie(now + 30);
    for (let i = 0; i < 3; i++) {
      const response = await nginx.fetch("/app", { headers: { cookie: lasting } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { headers: Record<string, string> }).headers.authorization).toBe("Bearer access-token-still-valid");
    }
    // Expired and not refreshable: 503, never the stale token.
    for (let i = 0; i < 3; i++) expect((await nginx.fetch("/app", { headers: { cookie: cookie(now - 5) } })).status).toBe(503);
    const log = nginx.errorLog();
    expect(count(log, /openidc: refresh failed, keeping the current access token: cannot fetch/)).toBe(1);
    expect(count(log, /openidc: OpenID Provider unavailable for refresh, answering 503/)).toBe(1);
  });

  it("refuses a TLS peer that lua_ssl_trusted_certificate does not vouch for", async () => {
    const port = await gatewayPort();
    const { createServer } = await import("node:https");
    const impostor = createServer({ cert: pki.untrustedCert, key: pki.untrustedKey }, (_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve));
    const impostorPort = (impostor.address() as { port: number }).port;
    try {
      nginx = await startGateway(pki, port, baseConfig(port, `https://127.0.0.1:${impostorPort}`), {
        allowLog: [/openidc: OpenID Provider unavailable/, /lua ssl certificate verify error/],
      });
      expect((await nginx.fetch("/app")).status).toBe(503);
      // The failed fetch may be logged by another worker or a timer a moment after the 503.
      const handshakeFailure = /TLS handshake with 127\.0\.0\.1:\d+: .*certificate/;
      for (const deadline = Date.now() + 10_000; !handshakeFailure.test(nginx.errorLog()) && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(nginx.errorLog()).toMatch(handshakeFailure);
    } finally {
      impostor.close();
    }
  });
});
