// Bearer protection in real nginx: JWT access tokens signed with the real OP's keys (fetched
// from its JWKS over TLS), refusals with WWW-Authenticate, and the rate-limited JWKS refetch.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { SignJWT, importJWK, generateKeyPair, type JWTPayload } from "jose";
import type { Nginx } from "../../harness/nginx.mjs";
import { makePki, type TestPki } from "./tls";
import { startOp, type TestOp } from "./op";
import { baseConfig, gatewayPort, startGateway } from "./gateway";
import type { Nginx as NginxType } from "../../harness/nginx.mjs";

let pki: TestPki;
let op: TestOp;
let nginx: Nginx;
let base: string;
const AUDIENCE = "api://resty-ts";

beforeAll(async () => {
  pki = makePki();
  const port = await gatewayPort();
  base = `http://127.0.0.1:${port}`;
  op = await startOp(pki, { redirectUris: [`${base}/openidc/callback`] });
  nginx = await startGateway(pki, port, baseConfig(port, op.issuer, { bearer_audience: AUDIENCE, jwks_refetch_interval: 60 }));
});

afterAll(async () => {
  await nginx?.stop();
  await op?.close();
});

/** A token signed with the OP's "rsa" or "ec" key, valid unless `claims` say otherwise; `headerKid` replaces its kid. */
async function token(claims: JWTPayload = {}, kind = "rsa", headerKid?: string): Promise<string> {
  const jwk = op.signingKeys.find((key) => String(key.kid).startsWith(`${kind}-`))!;
  const alg = jwk.alg as string;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: op.issuer, aud: AUDIENCE, sub: "service-7", iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg, kid: headerKid ?? String(jwk.kid) })
    .sign(await importJWK(jwk as never, alg));
}

async function call(authorization?: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/items`, { headers: { ...(authorization ? { authorization } : {}), ...headers } });
}

describe("openidc bearer", () => {
  it("accepts a valid RS256 or ES256 token and sends its identity upstream", async () => {
    const response = await call(`Bearer ${await token({ email: "svc@example.com" })}`, { "X-User": "mallory", "X-Name": "forged" });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-user"]).toBe("service-7");
    expect(seen.headers["x-email"]).toBe("svc@example.com");
    expect(seen.headers["x-name"]).toBeUndefined();
    expect((await call(`bearer ${await token({}, "ec")}`)).status).toBe(200);
  });

  it("answers 401 with WWW-Authenticate when the token is missing or invalid", async () => {
    const missing = await call();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    const now = Math.floor(Date.now() / 1000);
    const valid = await token();
    const [h, p, s] = valid.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url").toString()), sub: "admin" })).toString("base64url");
    const other = await generateKeyPair("RS256");
    const cases: [string, string][] = [
      ["wrong audience", await token({ aud: "someone-else" })],
      ["wrong issuer", await token({ iss: "https://evil.example" })],
      ["expired", await token({ exp: now - 3600 })],
      ["not yet valid", await token({ nbf: now + 3600 })],
      ["tampered payload", `${h}.${forgedPayload}.${s}`],
      ["alg none", `${Buffer.from('{"alg":"none"}').toString("base64url")}.${p}.`],
      ["signed by a stranger with the OP's kid", await new SignJWT({ iss: op.issuer, aud: AUDIENCE, sub: "x", exp: now + 60 }).setProtectedHeader({ alg: "RS256", kid: String(op.signingKeys[0].kid) }).sign(other.privateKey)],
      ["not a JWT", "abc"],
    ];
    for (const [name, bad] of cases) {
      const response = await call(`Bearer ${bad}`);
      expect(response.status, name).toBe(401);
      expect(response.headers.get("www-authenticate"), name).toBe('Bearer error="invalid_token"');
    }
    expect((await call(`Basic ${Buffer.from("a:b").toString("base64")}`)).status).toBe(401);
  });

  it("fetches discovery and JWKS once for a burst of concurrent first requests over two workers", async () => {
    const port = await gatewayPort();
    let cold: NginxType | undefined;
    try {
      cold = await startGateway(pki, port, baseConfig(port, op.issuer, { bearer_audience: AUDIENCE }), { workers: 2 });
      const before = { discovery: op.paths.filter((p) => p.endsWith("/openid-configuration")).length, jwks: op.paths.filter((p) => p === "/jwks").length };
      const valid = await token();
      const statuses = await Promise.all(Array.from({ length: 24 }, () =>
        fetch(`http://127.0.0.1:${port}/api/x`, { headers: { authorization: `Bearer ${valid}` } }).then((r) => r.status)));
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(op.paths.filter((p) => p.endsWith("/openid-configuration")).length - before.discovery).toBe(1);
      expect(op.paths.filter((p) => p === "/jwks").length - before.jwks).toBe(1);
    } finally {
      await cold?.stop();
    }
  });

  it("fetches the JWKS again once for an unknown kid, then not before jwks_refetch_interval", async () => {
    expect((await call(`Bearer ${await token()}`)).status).toBe(200);
    const fetches = () => op.paths.filter((path) => path === "/jwks").length;
    const before = fetches();
    const unknown = await token({}, "rsa", "rotated-key");
    expect((await call(`Bearer ${unknown}`)).status).toBe(401);
    expect(fetches()).toBe(before + 1);
    expect((await call(`Bearer ${await token({}, "rsa", "another-unknown")}`)).status).toBe(401);
    expect(fetches()).toBe(before + 1);
    expect((await call(`Bearer ${await token()}`)).status).toBe(200);
  });
});
