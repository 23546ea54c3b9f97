// An nginx gateway with the openidc plugin in front of an upstream that echoes what it got,
// and a small cookie-keeping HTTP agent that plays the browser against gateway and OP.
import { request as httpRequest } from "node:http";
import { request as httpsRequest, createServer as createHttpsServer } from "node:https";
import { startNginx, freePort, PHASE_HOOKS, type Nginx, type NginxOptions } from "../../harness/nginx.mjs";
import { beforeAll, afterAll, afterEach } from "vitest";
import { makePki, type TestPki } from "./tls";
import { startOp, type TestOp } from "./op";

/** Every ERR line the plugin writes on purpose in these tests. */
export const EXPECTED_ERRORS = [
  /openidc: OpenID Provider unavailable/,
  /openidc: refusing the request \(500\)/,
  /plugin "openidc": invalid config/,
  /plugin "openidc": nginx.conf lacks/,
  /plugin "openidc" cannot load its implementation/,
  /openidc: bearer token not checked/,
  /openidc: login failed \(503\)/,
  /connect\(\) failed \(111: Connection refused\)/,
];

/** The plugin's config for a gateway on `port` using the OP at `issuer`. */
export function baseConfig(port: number, issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    discovery: issuer,
    client_id: "resty-ts",
    client_secret: "a client secret of the test client",
    redirect_uri: `http://127.0.0.1:${port}/openidc/callback`,
    post_logout_redirect_uri: `http://127.0.0.1:${port}/bye`,
    session_secret: "0123456789abcdef0123456789abcdef-test",
    cookie: { secure: false },
    headers: { "X-User": "sub", "X-Email": "email", "X-Name": "name" },
    rules: [
      { path_prefix: "/public", action: "pass" },
      { path_prefix: "/bye", action: "pass" },
      { path_prefix: "/admin", action: "deny" },
      { path_prefix: "/api", action: "bearer" },
      { action: "login" },
    ],
    ...extra,
  };
}

/** Starts the gateway; `config` is the openidc section (see baseConfig). */
export async function startGateway(pki: TestPki, port: number, config: unknown, options: Partial<NginxOptions> = {}): Promise<Nginx> {
  return startNginx({
    port,
    plugins: ["openidc"],
    config: { openidc: config },
    ports: ["upstream"],
    http: `lua_shared_dict resty_ts_oidc 1m; lua_ssl_trusted_certificate ${pki.caFile}; lua_ssl_verify_depth 2;`,
    servers: ({ port: main, ports }) => `
    server {
        listen 127.0.0.1:${main};
        ${PHASE_HOOKS}
        location / { proxy_pass http://127.0.0.1:${ports.upstream}; }
    }
    server {
        listen 127.0.0.1:${ports.upstream};
        location / { content_by_lua_block {
            ngx.header["Content-Type"] = "application/json"
            ngx.header["Set-Cookie"] = "upstream=1; Path=/"
            ngx.say(require("cjson").encode({ uri = ngx.var.request_uri, headers = ngx.req.get_headers() }))
        } }
    }`,
    allowLog: EXPECTED_ERRORS,
    ...options,
  });
}

/** A free port for a gateway, known before the OP is configured with its redirect_uri. */
export const gatewayPort = freePort;

/**
 * fetch() without following redirects, trusting the test CA for https (Node's own fetch cannot
 * be given a CA), as a standard Response.
 */
export function rawFetch(url: string, init: { method?: string; headers?: Headers; body?: string } = {}, ca?: string): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: init.method ?? "GET", headers: Object.fromEntries(init.headers ?? []), ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const status = res.statusCode ?? 500;
        const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers }));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/** Cookies by name, as one browser keeps them for 127.0.0.1 (ports share cookies, as in browsers). */
export class Agent {
  cookies = new Map<string, string>();

  /** @param ca the CA to trust for https (the OP) */
  constructor(private readonly ca?: string) {}

  /** Stores the Set-Cookie values of a response (Max-Age=0 deletes). */
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** One request without following redirects, sending and keeping cookies. */
  async fetch(url: string, init: { method?: string; headers?: HeadersInit; body?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    const response = await rawFetch(url, { method: init.method, headers, body: init.body }, this.ca);
    this.take(response);
    return response;
  }

  /**
   * Plays the user at the OP from an authorization URL: follows redirects, signs in as `user`
   * on the dev login form and confirms consent, until the OP redirects to a URL starting with
   * `until` (the redirect_uri or post-logout URI), which is returned unvisited.
   */
  async throughOp(start: string, until: string, user = "alice"): Promise<string> {
    let url = start;
    let init: { method?: string; headers?: HeadersInit; body?: string } = {};
    for (let step = 0; step < 20; step++) {
      if (url.startsWith(until)) return url;
      const response = await this.fetch(url, init);
      init = {};
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.get("location")!, url).toString();
        await response.arrayBuffer();
        continue;
      }
      const html = await response.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (response.status !== 200 || !action) throw new Error(`OP answered ${response.status} at ${url}: ${html.slice(0, 300)}`);
      const fields = new URLSearchParams();
      for (const [, name, value] of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(name, value);
      if (/name="login"/.test(html)) {
        fields.set("login", user);
        fields.set("password", "any password");
      }
      if (/name="logout"/.test(html)) fields.set("logout", "yes");
      url = new URL(action.replace(/&amp;/g, "&"), url).toString();
      init = { method: "POST", body: fields.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
    }
    throw new Error(`no redirect to ${until} after 20 steps`);
  }
}

/**
 * A bare-bones OP over TLS on loopback that serves only a discovery document: the standard
 * members for its own issuer URL, then `members` (e.g. a jwks_uri on a dead port, or no
 * end_session_endpoint). For the failure cases a real OP does not produce.
 */
export async function serveDiscovery(pki: TestPki, members: Record<string, unknown> = {}): Promise<{ issuer: string; close(): void }> {
  let issuer = "";
  const server = createHttpsServer({ cert: pki.cert, key: pki.key }, (_req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, ...members }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { issuer, close: () => { server.closeAllConnections(); server.close(); } };
}

/** What a test file against the real OP shares: set up once for the file, the gateway per test. */
export interface OpSetup {
  pki: TestPki;
  op: TestOp;
  /** The gateway's port (fixed before the OP starts: its client lists redirect URIs on it). */
  port: number;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** The running gateway, stopped after each test. */
  nginx?: Nginx;
}

/** Registers a test file's hooks: PKI, port and OP before all tests, the gateway stopped after each, the OP closed last. */
export function withOp(): OpSetup {
  const setup = {} as OpSetup;
  beforeAll(async () => {
    setup.pki = makePki();
    setup.port = await gatewayPort();
    setup.base = `http://127.0.0.1:${setup.port}`;
    setup.op = await startOp(setup.pki, { redirectUris: [`${setup.base}/openidc/callback`], postLogoutRedirectUris: [`${setup.base}/bye`] });
  });
  afterEach(async () => {
    await setup.nginx?.stop();
    setup.nginx = undefined;
  });
  afterAll(async () => {
    await setup.op?.close();
  });
  return setup;
}
