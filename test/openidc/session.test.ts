// Sessions against the real OP: refresh with the refresh_token grant (and a refused refresh),
// access-token forwarding, idle timeout and cookie renewal, sessions too big for one cookie,
// and the client_secret_post / none client authentication methods.
import { describe, it, expect } from "vitest";
import { MANY_GROUPS, startOp } from "./op";
import { Agent, baseConfig, startGateway, withOp } from "./gateway";

// sealed_cookie.mjs is plain JS shared with bench/openidc.mjs; imported by a computed name so
// the TypeScript project (which lists only .ts files here) does not take it in.
const SEALED_COOKIE = "./sealed_cookie.mjs";
type SealSession = (secret: string, name: string, session: Record<string, unknown>) => string;

const t = withOp();


const HTTP = "large_client_header_buffers 4 16k;";

async function gateway(extra: Record<string, unknown>) {
  t.nginx = await startGateway(t.pki, t.port, baseConfig(t.port, t.op.issuer, extra), {
    http: `lua_shared_dict resty_ts_oidc 1m; lua_ssl_trusted_certificate ${t.pki.caFile}; lua_ssl_verify_depth 2; ${HTTP}`,
  });
  return t.nginx;
}

async function login(agent: Agent, user = "alice"): Promise<void> {
  const start = await agent.fetch(`${t.base}/app`);
  expect(start.status).toBe(302);
  const callback = await agent.throughOp(start.headers.get("location")!, `${t.base}/openidc/callback`, user);
  const done = await agent.fetch(callback);
  expect(done.status, await done.clone().text()).toBe(302);
}

async function upstream(agent: Agent, path = "/app"): Promise<Record<string, string>> {
  const response = await agent.fetch(`${t.base}${path}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { headers: Record<string, string> }).headers;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("openidc sessions", () => {
  it("forwards the access token and refreshes it with the refresh_token grant before it expires", async () => {
    await gateway({ refresh: true, forward_access_token: true, refresh_leeway: 7200 });
    const agent = new Agent(t.pki.ca);
    await login(agent);
    const refreshes = () => t.op.grants.filter((grant) => grant === "refresh_token").length;
    const before = refreshes();
    const cookieBefore = agent.cookies.get("resty_ts_session");
    const first = await upstream(agent, "/app?1");
    expect(first.authorization).toMatch(/^Bearer \S{20,}$/);
    expect(refreshes()).toBe(before + 1);
    expect(agent.cookies.get("resty_ts_session")).not.toBe(cookieBefore);
    const second = await upstream(agent, "/app?2");
    expect(refreshes()).toBe(before + 2);
    expect(second.authorization).not.toBe(first.authorization);
    expect(second["x-user"]).toBe("alice");
    // Concurrent requests of one session refresh once and all get the new token.
    const burst = await Promise.all(Array.from({ length: 8 }, () => fetch(`${t.base}/app`, { headers: { cookie: agent.cookieHeader() } })));
    const tokens = new Set(await Promise.all(burst.map(async (r) => ((await r.json()) as { headers: Record<string, string> }).headers.authorization)));
    expect(refreshes()).toBe(before + 3);
    expect(tokens.size).toBe(1);
    // A client cannot smuggle its own Authorization past a login route that forwards tokens.
    const forged = await agent.fetch(`${t.base}/app`, { headers: { authorization: "Bearer forged" } });
    expect(((await forged.json()) as { headers: Record<string, string> }).headers.authorization).not.toBe("Bearer forged");
  });

  it("sends the user to log in again when the OP refuses the refresh token", async () => {
    await gateway({ refresh: true, refresh_leeway: 7200 });
    const agent = new Agent(t.pki.ca);
    await login(agent);
    // A new OP on the same address knows nothing of the old grants.
    await t.op.close();
    t.op = await startOp(t.pki, { port: t.op.port, redirectUris: [`${t.base}/openidc/callback`], postLogoutRedirectUris: [`${t.base}/bye`] });
    const response = await agent.fetch(`${t.base}/app`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(new RegExp(`^${t.op.issuer}/auth\\?`));
    expect(t.nginx!.errorLog()).toMatch(/openidc: refresh refused, the user logs in again: token endpoint answered HTTP 400 \(invalid_grant\)/);
    await login(agent);
    expect((await upstream(agent))["x-user"]).toBe("alice");
  });

  it("renews the cookie while in use, alongside the upstream's own cookies, and ends an idle session", async () => {
    await gateway({ cookie: { secure: false, idle_timeout: 4 } });
    const agent = new Agent(t.pki.ca);
    await login(agent);
    const issued = agent.cookies.get("resty_ts_session");
    await sleep(1100);
    const renewed = await agent.fetch(`${t.base}/app`);
    expect(renewed.status).toBe(200);
    const setCookies = renewed.headers.getSetCookie();
    expect(setCookies.some((c) => c.startsWith("resty_ts_session="))).toBe(true);
    expect(setCookies.some((c) => c.startsWith("upstream=1"))).toBe(true);
    expect(agent.cookies.get("resty_ts_session")).not.toBe(issued);
    const idle = new Agent(t.pki.ca);
    idle.cookies.set("resty_ts_session", agent.cookies.get("resty_ts_session")!);
    await sleep(4200);
    expect((await idle.fetch(`${t.base}/app`)).status).toBe(302);
  });

  it("splits a large session over several cookies and refuses it when a piece is missing", async () => {
    await gateway({ headers: { "X-User": "sub", "X-Groups": "groups" } });
    const agent = new Agent(t.pki.ca);
    await login(agent, "many-groups");
    const chunks = [...agent.cookies.keys()].filter((name) => name.startsWith("resty_ts_session"));
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(agent.cookies.get("resty_ts_session")).toMatch(new RegExp(`^${chunks.length}\\.`));
    for (const name of chunks) expect(agent.cookies.get(name)!.length).toBeLessThanOrEqual(3802);
    const seen = await upstream(agent);
    expect(seen["x-user"]).toBe("many-groups");
    expect(seen["x-groups"]).toBe(MANY_GROUPS.join(","));
    agent.cookies.delete(`resty_ts_session_${chunks.length}`);
    expect((await agent.fetch(`${t.base}/app`, { headers: { accept: "application/json" } })).status).toBe(401);
    // Logging in again as a user with a small session deletes the chunks left behind.
    const small = new Agent(t.pki.ca);
    small.cookies = new Map([...agent.cookies].filter(([name]) => name.startsWith("resty_ts_session")));
    await login(small, "bob");
    expect([...small.cookies.keys()].filter((name) => name.startsWith("resty_ts_session"))).toEqual(["resty_ts_session"]);
    expect((await upstream(small))["x-user"]).toBe("bob");
  });

  it("accepts HS256 ID tokens (keyed by client_secret) only when allowed_algs lists HS256", async () => {
    await gateway({ client_id: "resty-ts-hs256", allowed_algs: ["RS256", "HS256"] });
    const agent = new Agent(t.pki.ca);
    await login(agent);
    expect((await upstream(agent))["x-user"]).toBe("alice");
    await t.nginx!.stop();
    await gateway({ client_id: "resty-ts-hs256" });
    const refused = new Agent(t.pki.ca);
    const start = await refused.fetch(`${t.base}/app`);
    const callback = await refused.throughOp(start.headers.get("location")!, `${t.base}/openidc/callback`);
    expect((await refused.fetch(callback)).status).toBe(401);
    expect(t.nginx!.errorLog()).toMatch(/openidc: login failed \(401\): ID token rejected: alg HS256 is not allowed/);
  });

  it("ends the login with 401 when the token endpoint refuses the client", async () => {
    await gateway({ client_secret: "not the secret the OP knows" });
    const agent = new Agent(t.pki.ca);
    const start = await agent.fetch(`${t.base}/app`);
    const callback = await agent.throughOp(start.headers.get("location")!, `${t.base}/openidc/callback`);
    expect((await agent.fetch(callback)).status).toBe(401);
    expect(agent.cookies.has("resty_ts_session")).toBe(false);
    expect(t.nginx!.errorLog()).toMatch(/openidc: login failed \(401\): token endpoint answered HTTP 401 \(invalid_client\)/);
    expect(t.nginx!.errorLog()).not.toContain("not the secret the OP knows");
  });

  it("reads the standard construction (HKDF-SHA256 + AES-256-GCM, name as AAD) made by Node's crypto, and nothing else", async () => {
    const { sealSession } = (await import(SEALED_COOKIE)) as { sealSession: SealSession };
    const config = baseConfig(t.port, t.op.issuer);
    await gateway({});
    const secret = config.session_secret as string;
    const now = Math.floor(Date.now() / 1000);
    const session = { sub: "minted", c: { sub: "minted", email: "m@example.com" }, exp: now + 600, t: now };
    const call = async (value: string) => {
      const response = await fetch(`${t.base}/app`, { headers: { cookie: `resty_ts_session=${value}`, accept: "application/json" } });
      return response.status === 200 ? ((await response.json()) as { headers: Record<string, string> }).headers["x-user"] : response.status;
    };
    expect(await call(sealSession(secret, "resty_ts_session", session))).toBe("minted");
    expect(await call(sealSession(`${secret}-other`, "resty_ts_session", session))).toBe(401);
    expect(await call(sealSession(secret, "another_cookie", session))).toBe(401);
    expect(await call(sealSession(secret, "resty_ts_session", { ...session, exp: now - 1 }))).toBe(401);
    expect(await call(sealSession(secret, "resty_ts_session", { ...session, t: now - 7200 }))).toBe(401);
    expect(await call(sealSession(secret, "resty_ts_session", { sub: 42, exp: now + 600, t: now }))).toBe(401);
  });

  it("authenticates to the token endpoint with client_secret_post and as a public client (none)", async () => {
    await gateway({ client_id: "resty-ts-post", token_endpoint_auth_method: "client_secret_post" });
    const post = new Agent(t.pki.ca);
    await login(post);
    expect((await upstream(post))["x-user"]).toBe("alice");
    await t.nginx!.stop();
    const { client_secret: _secret, ...publicClient } = baseConfig(t.port, t.op.issuer, { client_id: "resty-ts-public", token_endpoint_auth_method: "none" });
    t.nginx = await startGateway(t.pki, t.port, publicClient);
    const none = new Agent(t.pki.ca);
    await login(none, "carol");
    expect((await upstream(none))["x-user"]).toBe("carol");
  });
});
