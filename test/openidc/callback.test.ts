// The login callback against the real OP, with the flow cookie opened and altered by the test
// (it knows session_secret): the ID token's nonce must be the flow's, the PKCE verifier must be
// the one whose challenge the OP saw, the session keeps only what it needs, a redirect_uri given
// as a path works, cookies are named and marked as configured; and no secret, token or cookie
// value ever reaches error.log.
import { describe, it, expect } from "vitest";
import { SignJWT, importJWK } from "jose";
import type { Nginx } from "../../harness/nginx.mjs";
import { Agent, baseConfig, startGateway, withOp } from "./gateway";
import { seal, unseal } from "./sealed_cookie.mjs";

const t = withOp();
const SECRET = baseConfig(0, "").session_secret as string;
const FLOW_PREFIX = "resty_ts_session_login_";


async function gateway(extra: Record<string, unknown> = {}): Promise<Nginx> {
  t.nginx = await startGateway(t.pki, t.port, baseConfig(t.port, t.op.issuer, extra));
  return t.nginx;
}

/** Starts a login and plays the user at the OP: the callback URL (unvisited) and the flow cookie's name. */
async function untilCallback(agent: Agent): Promise<{ callback: string; flowName: string }> {
  const start = await agent.fetch(`${t.base}/app`);
  expect(start.status).toBe(302);
  const callback = await agent.throughOp(start.headers.get("location")!, `${t.base}/openidc/callback`);
  const flowName = [...agent.cookies.keys()].find((name) => name.startsWith(FLOW_PREFIX))!;
  expect(flowName).toBeDefined();
  return { callback, flowName };
}

/** Replaces members of the agent's sealed login-flow cookie. */
function alterFlow(agent: Agent, flowName: string, changes: Record<string, unknown>): void {
  const flow = unseal(SECRET, flowName, agent.cookies.get(flowName)!, "login flow v1");
  expect(Object.keys(flow).sort()).toEqual(["e", "n", "r", "s", "v"]);
  agent.cookies.set(flowName, seal(SECRET, flowName, { ...flow, ...changes }, "login flow v1"));
}

describe("openidc callback", () => {
  it("refuses an ID token whose nonce is not the login flow's", async () => {
    await gateway();
    const agent = new Agent(t.pki.ca);
    const { callback, flowName } = await untilCallback(agent);
    alterFlow(agent, flowName, { n: "another-nonce-0123456789" });
    expect((await agent.fetch(callback)).status).toBe(401);
    expect(agent.cookies.has("resty_ts_session")).toBe(false);
    expect(t.nginx!.errorLog()).toMatch(/openidc: login failed \(401\): ID token rejected: nonce does not match/);
  });

  it("sends the flow's PKCE verifier: another verifier makes the OP refuse the code", async () => {
    await gateway();
    const agent = new Agent(t.pki.ca);
    const { callback, flowName } = await untilCallback(agent);
    alterFlow(agent, flowName, { v: "x".repeat(43) });
    expect((await agent.fetch(callback)).status).toBe(401);
    expect(agent.cookies.has("resty_ts_session")).toBe(false);
    expect(t.nginx!.errorLog()).toMatch(/openidc: login failed \(401\): token endpoint answered HTTP 400 \(invalid_grant\)/);
  });

  it("keeps only what it needs in the session, and takes redirect_uri as a path on the request's origin", async () => {
    await gateway({ redirect_uri: "/openidc/callback" });
    const agent = new Agent(t.pki.ca);
    const start = await agent.fetch(`${t.base}/app`);
    expect(new URL(start.headers.get("location")!).searchParams.get("redirect_uri")).toBe(`${t.base}/openidc/callback`);
    const done = await agent.fetch(await agent.throughOp(start.headers.get("location")!, `${t.base}/openidc/callback`));
    expect(done.status).toBe(302);
    const session = unseal(SECRET, "resty_ts_session", agent.cookies.get("resty_ts_session")!);
    // No access or refresh token without forward_access_token / refresh; the ID token only for
    // the logout's id_token_hint; of the claims, only those the headers use.
    expect(Object.keys(session).sort()).toEqual(["c", "exp", "idt", "sub", "t"]);
    expect(session.c).toEqual({ sub: "alice", email: "demo@example.com", name: "Demo User" });
    expect(session.exp - session.t).toBe(86400);
  });
});

describe("openidc cookie settings", () => {
  it("names and marks the cookies as configured (login-flow cookies Lax when the session's are Strict)", async () => {
    await gateway({ cookie: { name: "sso", domain: "127.0.0.1", secure: true, samesite: "Strict", absolute_timeout: 7200 } });
    const agent = new Agent(t.pki.ca);
    const start = await agent.fetch(`${t.base}/app`);
    expect(start.status).toBe(302);
    const [flowCookie] = start.headers.getSetCookie();
    expect(flowCookie).toMatch(/^sso_login_[0-9a-f]{8}=[\w-]+; Path=\/; HttpOnly; Domain=127\.0\.0\.1; Secure; SameSite=Lax; Max-Age=600$/);
    const done = await agent.fetch(await agent.throughOp(start.headers.get("location")!, `${t.base}/openidc/callback`));
    expect(done.status).toBe(302);
    const session = done.headers.getSetCookie().find((line) => line.startsWith("sso="))!;
    expect(session).toMatch(/^sso=[\w-]+; Path=\/; HttpOnly; Domain=127\.0\.0\.1; Secure; SameSite=Strict; Max-Age=(7200|7199)$/);
    expect((await agent.fetch(`${t.base}/app`)).status).toBe(200);
  });
});

describe("openidc secrets", () => {
  it("writes no secret, token or cookie value to error.log over login, refresh, bearer calls and logout", async () => {
    const clientSecret = baseConfig(0, "").client_secret as string;
    await gateway({ refresh: true, forward_access_token: true, refresh_leeway: 7200 });
    const secrets = new Set<string>([SECRET, clientSecret]);
    const agent = new Agent(t.pki.ca);
    const { callback, flowName } = await untilCallback(agent);
    secrets.add(agent.cookies.get(flowName)!);
    // Not checked: the one-time code and state in the callback's query string, which nginx
    // itself appends (as the request line) to every error.log line of that request; the code is
    // useless without the PKCE verifier sealed in the browser's flow cookie and the client secret.
    expect((await agent.fetch(callback)).status).toBe(302);
    // A replayed callback and a tampered cookie are logged too: without their values.
    expect((await new Agent(t.pki.ca).fetch(callback)).status).toBe(400);
    for (let i = 0; i < 3; i++) {
      const cookie = agent.cookies.get("resty_ts_session")!;
      secrets.add(cookie);
      const session = unseal(SECRET, "resty_ts_session", cookie);
      for (const token of [session.at, session.rt, session.idt]) if (token) secrets.add(token);
      const response = await agent.fetch(`${t.base}/app?${i}`);
      expect(response.status).toBe(200);
      secrets.add(((await response.json()) as { headers: Record<string, string> }).headers.authorization.slice("Bearer ".length));
    }
    const tampered = agent.cookies.get("resty_ts_session")!.replace(/^(.{30})./, "$1A");
    expect((await fetch(`${t.base}/app`, { headers: { cookie: `resty_ts_session=${tampered}`, accept: "application/json" } })).status).toBe(401);
    const jwk = t.op.signingKeys[0];
    const now = Math.floor(Date.now() / 1000);
    const bearer = await new SignJWT({ iss: t.op.issuer, aud: "resty-ts", sub: "svc", iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: jwk.alg as string, kid: String(jwk.kid) }).sign(await importJWK(jwk as never, jwk.alg as string));
    secrets.add(bearer);
    expect((await fetch(`${t.base}/api/x`, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(200);
    const wrongAudience = await new SignJWT({ iss: t.op.issuer, aud: "other", sub: "svc", iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: jwk.alg as string, kid: String(jwk.kid) }).sign(await importJWK(jwk as never, jwk.alg as string));
    secrets.add(wrongAudience);
    expect((await fetch(`${t.base}/api/x`, { headers: { authorization: `Bearer ${wrongAudience}` } })).status).toBe(401);
    secrets.add(agent.cookies.get("resty_ts_session")!);
    const out = await agent.fetch(`${t.base}/openidc/logout`);
    expect(out.status).toBe(302);
    secrets.add(new URL(out.headers.get("location")!).searchParams.get("id_token_hint")!);
    const log = t.nginx!.errorLog();
    // The run did log (refreshes, refusals), so the log was looked at with content in it.
    expect(log).toMatch(/openidc: login failed \(400\): no login flow for this state/);
    expect(log).toMatch(/openidc: ignoring session cookie: aes-256-gcm: authentication failed/);
    expect(log).toMatch(/openidc: bearer token rejected: aud does not contain the expected audience/);
    expect(t.op.grants.filter((grant) => grant === "refresh_token").length).toBeGreaterThanOrEqual(3);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(16);
      // Whole values, and any 16-character piece of them (a truncated copy is a leak too).
      for (let at = 0; at + 16 <= secret.length; at += 8) {
        expect(log.includes(secret.slice(at, at + 16)), `a piece of ${secret.slice(0, 12)}... is in error.log`).toBe(false);
      }
    }
  });
});
