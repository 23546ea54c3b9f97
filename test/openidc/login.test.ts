// The openidc plugin in real nginx against a real OpenID Provider (oidc-provider over TLS):
// login by code flow + PKCE, sessions, identity headers, rules, logout, and the refusals.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import type { Nginx } from "../../harness/nginx.mjs";
import { makePki, type TestPki } from "./tls";
import { startOp, type TestOp } from "./op";
import { Agent, baseConfig, gatewayPort, startGateway } from "./gateway";

let pki: TestPki;
let op: TestOp;
let port: number;
let nginx: Nginx;
let base: string;

beforeAll(async () => {
  pki = makePki();
  port = await gatewayPort();
  base = `http://127.0.0.1:${port}`;
  op = await startOp(pki, { redirectUris: [`${base}/openidc/callback`], postLogoutRedirectUris: [`${base}/bye`] });
  nginx = await startGateway(pki, port, baseConfig(port, op.issuer));
});

afterAll(async () => {
  await nginx?.stop();
  await op?.close();
});

/** Logs `agent` in through the gateway starting at `path`; returns where the gateway sent it back. */
async function login(agent: Agent, path = "/app", user = "alice"): Promise<string> {
  const start = await agent.fetch(`${base}${path}`);
  expect(start.status).toBe(302);
  const callback = await agent.throughOp(start.headers.get("location")!, `${base}/openidc/callback`, user);
  const done = await agent.fetch(callback);
  expect(done.status, await done.clone().text()).toBe(302);
  return done.headers.get("location")!;
}

async function upstream(response: Response): Promise<{ uri: string; headers: Record<string, string> }> {
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

describe("openidc login", () => {
  it("logs a browser in with the code flow and sends the identity upstream", async () => {
    const agent = new Agent(pki.ca);
    const start = await agent.fetch(`${base}/app/page?x=1`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.origin).toBe(op.issuer);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${base}/openidc/callback`);
    expect(authorize.searchParams.get("scope")).toBe("openid email profile");
    expect(authorize.searchParams.get("nonce")).toMatch(/^[\w-]{22}$/);
    const callback = await agent.throughOp(authorize.toString(), `${base}/openidc/callback`);
    const done = await agent.fetch(callback);
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/app/page?x=1");
    expect(agent.cookies.has("resty_ts_session")).toBe(true);
    expect([...agent.cookies.keys()].some((name) => name.startsWith("resty_ts_session_login_"))).toBe(false);
    const seen = await upstream(await agent.fetch(`${base}/app/page?x=1`, { headers: { "X-User": "mallory", "x-email": "m@evil" } }));
    expect(seen.headers["x-user"]).toBe("alice");
    expect(seen.headers["x-email"]).toBe("demo@example.com");
    expect(seen.headers["x-name"]).toBe("Demo User");
  });

  it("needs no network call and no signature check once logged in", async () => {
    const agent = new Agent(pki.ca);
    await login(agent);
    const served = op.paths.length;
    for (let i = 0; i < 5; i++) expect((await upstream(await agent.fetch(`${base}/app`))).headers["x-user"]).toBe("alice");
    expect(op.paths.length).toBe(served);
  });

  it("applies rules in order: pass strips identity headers, deny is 403, unmatched login", async () => {
    const anonymous = new Agent(pki.ca);
    const passed = await upstream(await anonymous.fetch(`${base}/public/x`, { headers: { "X-User": "mallory", "X-Email": "m@evil" } }));
    expect(passed.headers["x-user"]).toBeUndefined();
    expect(passed.headers["x-email"]).toBeUndefined();
    expect((await anonymous.fetch(`${base}/admin`)).status).toBe(403);
    expect((await anonymous.fetch(`${base}/publicity`)).status).toBe(302);
    const agent = new Agent(pki.ca);
    await login(agent);
    expect((await agent.fetch(`${base}/admin/x`)).status).toBe(403);
  });

  it("answers API calls without a session with 401 instead of a redirect", async () => {
    const agent = new Agent(pki.ca);
    const json = await agent.fetch(`${base}/app/data`, { headers: { Accept: "application/json" } });
    expect(json.status).toBe(401);
    expect(await json.json()).toEqual({ error: "login_required" });
    expect((await agent.fetch(`${base}/app/data`, { headers: { "X-Requested-With": "XMLHttpRequest" } })).status).toBe(401);
    expect(agent.cookies.size).toBe(0);
  });

  it("returns only to a local path after login (no open redirect)", async () => {
    const agent = new Agent(pki.ca);
    const start = await agent.fetch(`${base}//evil.example/steal`);
    expect(start.status).toBe(302);
    const callback = await agent.throughOp(start.headers.get("location")!, `${base}/openidc/callback`);
    const done = await agent.fetch(callback);
    expect(done.headers.get("location")).toBe("/");
    const backslash = new Agent(pki.ca);
    expect(await login(backslash, "/\\evil.example/x")).toBe("/");
  });

  it("refuses a tampered, replayed or unknown state", async () => {
    const agent = new Agent(pki.ca);
    const start = await agent.fetch(`${base}/app`);
    const callback = await agent.throughOp(start.headers.get("location")!, `${base}/openidc/callback`);
    const flowCookies = new Map(agent.cookies);
    const url = new URL(callback);
    const state = url.searchParams.get("state")!;
    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${state.slice(0, -2)}${state.endsWith("AA") ? "BB" : "AA"}`);
    expect((await agent.fetch(tampered.toString())).status).toBe(400);
    expect(agent.cookies.has("resty_ts_session")).toBe(false);
    // The flow cookie was cleared by the failure; a fresh copy with the right state would be refused as used? Not yet used:
    const replayer = new Agent(pki.ca);
    replayer.cookies = new Map(flowCookies);
    const first = await replayer.fetch(callback);
    expect(first.status).toBe(302);
    expect(replayer.cookies.has("resty_ts_session")).toBe(true);
    const again = new Agent(pki.ca);
    again.cookies = new Map(flowCookies);
    expect((await again.fetch(callback)).status).toBe(400);
    expect(again.cookies.has("resty_ts_session")).toBe(false);
    const stranger = new Agent(pki.ca);
    expect((await stranger.fetch(callback)).status).toBe(400);
    expect((await stranger.fetch(`${base}/openidc/callback?code=x&state=../../etc`)).status).toBe(400);
    expect(nginx.errorLog()).toMatch(/openidc: login failed \(400\): state already used/);
  });

  it("ends a flow the OP refused (error=access_denied) with 401 and clears its cookie", async () => {
    const agent = new Agent(pki.ca);
    const start = await agent.fetch(`${base}/app`);
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    expect([...agent.cookies.keys()].filter((name) => name.startsWith("resty_ts_session_login_"))).toHaveLength(1);
    const refused = await agent.fetch(`${base}/openidc/callback?error=access_denied&state=${state}`);
    expect(refused.status).toBe(401);
    expect([...agent.cookies.keys()].filter((name) => name.startsWith("resty_ts_session_login_"))).toHaveLength(0);
    expect(nginx.errorLog()).toMatch(/openidc: login failed \(401\): the OpenID Provider answered error "access_denied"/);
  });

  it("treats a tampered, truncated or foreign session cookie as no session", async () => {
    const agent = new Agent(pki.ca);
    await login(agent);
    const value = agent.cookies.get("resty_ts_session")!;
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    for (const bad of [flip(value, 20), flip(value, value.length - 3), value.slice(0, -4), "garbage", `2.${value}`]) {
      const response = await fetch(`${base}/app`, { headers: { cookie: `resty_ts_session=${bad}`, accept: "application/json" }, redirect: "manual" });
      expect(response.status).toBe(401);
    }
    // A cookie sealed under another session_secret is just as unreadable: see the config tests.
    expect((await fetch(`${base}/app`, { headers: { cookie: `resty_ts_session=${value}` }, redirect: "manual" })).status).toBe(200);
  });

  it("supports several login flows at once in one browser", async () => {
    const agent = new Agent(pki.ca);
    const first = await agent.fetch(`${base}/one`);
    const second = await agent.fetch(`${base}/two`);
    const secondCallback = await agent.throughOp(second.headers.get("location")!, `${base}/openidc/callback`);
    const firstCallback = await agent.throughOp(first.headers.get("location")!, `${base}/openidc/callback`);
    const secondDone = await agent.fetch(secondCallback);
    expect(secondDone.headers.get("location")).toBe("/two");
    const firstDone = await agent.fetch(firstCallback);
    expect(firstDone.headers.get("location")).toBe("/one");
    expect((await upstream(await agent.fetch(`${base}/one`))).headers["x-user"]).toBe("alice");
  });

  it("logs out: clears the cookie and sends the browser to the OP's end_session_endpoint", async () => {
    const agent = new Agent(pki.ca);
    await login(agent);
    const out = await agent.fetch(`${base}/openidc/logout`);
    expect(out.status).toBe(302);
    expect(agent.cookies.has("resty_ts_session")).toBe(false);
    const endSession = new URL(out.headers.get("location")!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${op.issuer}/session/end`);
    expect(endSession.searchParams.get("id_token_hint")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(endSession.searchParams.get("post_logout_redirect_uri")).toBe(`${base}/bye`);
    const back = await agent.throughOp(endSession.toString(), `${base}/bye`);
    expect(back).toBe(`${base}/bye`);
    expect((await agent.fetch(`${base}/app`)).status).toBe(302);
  });
});
