// The `openidc` configuration section: schema, checks across keys, and the values derived
// once at load (cookie attributes, rule table, header lists).
import * as schema from "../lib/schema";
import { parseUrl } from "../lib/http_client";
import { compileRules, type Rule } from "./rules";
import { deriveKey } from "./seal";
import { MAX_CHUNKS } from "./cookies";

/**
 * Signature algorithms `allowed_algs` may list (never `none`). HS256/384/512 verify only ID
 * tokens, with the client_secret as key (OpenID Connect Core 10.1); never bearer tokens.
 */
export const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"];

const absoluteUrl = schema.custom<string>("an absolute http(s) URL", (value) => {
  if (type(value) !== "string") return undefined;
  const [parsed] = parseUrl(value as string);
  return parsed !== undefined ? (value as string) : undefined;
});

const localPath = schema.custom<string>("a path starting with /", (value) =>
  type(value) === "string" && string.find(value as string, "^/[^%c%s]*$")[0] !== undefined ? (value as string) : undefined);

const pathOrUrl = schema.custom<string>("a path starting with / or an absolute http(s) URL", (value) => {
  if (type(value) !== "string") return undefined;
  if (string.find(value as string, "^/[^/%c%s][^%c%s]*$")[0] !== undefined || value === "/") return value as string;
  const [parsed] = parseUrl(value as string);
  return parsed !== undefined ? (value as string) : undefined;
});

const headerName = "^[!#$%%&'*+%-.^_`|~%w]+$";

/** Request headers a claim must never replace. */
const RESERVED_HEADERS: { [lowerName: string]: true } = {
  host: true, cookie: true, authorization: true, "content-length": true, "transfer-encoding": true,
  connection: true, "content-type": true, upgrade: true, te: true,
};

const section = schema.record({
  discovery: absoluteUrl,
  client_id: schema.str({ nonEmpty: true }),
  client_secret: schema.optional(schema.secret(1)),
  token_endpoint_auth_method: schema.str({ default: "client_secret_basic", oneOf: ["client_secret_basic", "client_secret_post", "none"] }),
  redirect_uri: schema.optional(pathOrUrl),
  scope: schema.str({ default: "openid email profile" }),
  session_secret: schema.secret(32),
  cookie: schema.record({
    name: schema.optional(schema.custom<string>("a cookie name of letters, digits and _", (value) =>
      type(value) === "string" && string.find(value as string, "^[%w_]+$")[0] !== undefined ? (value as string) : undefined)),
    domain: schema.optional(schema.str({ nonEmpty: true })),
    path: schema.optional(localPath),
    secure: schema.bool(true),
    samesite: schema.str({ default: "Lax", oneOf: ["Lax", "Strict", "None"] }),
    idle_timeout: schema.num({ default: 3600, min: 0, integer: true }),
    absolute_timeout: schema.num({ default: 86400, min: 60, integer: true }),
  }),
  login_timeout: schema.num({ default: 600, min: 30, max: 86400, integer: true }),
  logout_path: schema.optional(localPath),
  post_logout_redirect_uri: schema.optional(absoluteUrl),
  rules: schema.list(schema.record({
    host: schema.optional(schema.str({ nonEmpty: true })),
    path_prefix: schema.optional(localPath),
    action: schema.str({ oneOf: ["login", "bearer", "pass", "deny"] }),
  }), { minItems: 1 }),
  headers: schema.dictionary(schema.str({ nonEmpty: true })),
  forward_access_token: schema.bool(false),
  refresh: schema.bool(false),
  refresh_leeway: schema.num({ default: 60, min: 0, integer: true }),
  bearer_audience: schema.optional(schema.str({ nonEmpty: true })),
  allowed_algs: schema.list(schema.str({ oneOf: ALGORITHMS }), { default: ["RS256", "PS256", "ES256", "EdDSA"], minItems: 1 }),
  clock_skew: schema.num({ default: 60, min: 0, max: 600 }),
  timeout: schema.num({ default: 5000, min: 100, max: 60000, integer: true }),
  ssl_verify: schema.bool(true),
  discovery_ttl: schema.num({ default: 3600, min: 10, integer: true }),
  jwks_ttl: schema.num({ default: 3600, min: 10, integer: true }),
  jwks_refetch_interval: schema.num({ default: 10, min: 0, integer: true }),
  failure_backoff: schema.num({ default: 5, min: 0, max: 300 }),
});

/** The section as written, with defaults filled in. */
export type Section = schema.Parsed<typeof section>;

/** The checked configuration with the values derived from it. */
export interface OidcConfig extends Section {
  /** The discovery document's URL (`<issuer>/.well-known/openid-configuration`). */
  discoveryUrl: string;
  /** Path part of redirect_uri: where the OP sends the browser back. */
  redirectPath: string;
  /** Absolute redirect_uri, or nil when it is a path (then built from the request's host). */
  redirectAbsolute?: string;
  /** Session cookie name. */
  cookieName: string;
  /** `; Path=/; HttpOnly; ...` for session cookies. */
  cookieAttributes: string;
  /** Attributes for the short-lived login-flow cookies (Max-Age added per cookie). */
  flowCookieAttributes: string;
  /** Prefix of the login-flow cookie names (`<cookie name>_login_`). */
  flowCookiePrefix: string;
  /** Compiled rules in order. */
  compiledRules: Rule[];
  /** Whether any rule names a host (else `$host` need not be read). */
  rulesUseHost: boolean;
  /** Identity headers to set upstream, aligned with `headerClaims`. */
  headerNames: string[];
  /** The claim each identity header carries. */
  headerClaims: string[];
  /** Audience a bearer token must name. */
  bearerAudience: string;
  /** Whether the session cookie must carry the access token. */
  keepAccessToken: boolean;
  /** Path that ends the session (logout_path or its default). */
  logoutPath: string;
  /** `ngx.var` names of the session cookie and its chunks: cookie_<name>, cookie_<name>_2, ... */
  cookieVars: string[];
  /** AES-256-GCM key of session cookies (HKDF of session_secret). */
  sessionKey: string;
  /** AES-256-GCM key of login-flow cookies (HKDF of session_secret). */
  flowKey: string;
}

function derive(this: void, s: Section): OidcConfig {
  const c = s as OidcConfig;
  let discoveryUrl = s.discovery;
  if (string.find(discoveryUrl, "/%.well%-known/openid%-configuration$")[0] === undefined) {
    discoveryUrl = `${string.gsub(discoveryUrl, "/+$", "")[0]}/.well-known/openid-configuration`;
  }
  c.discoveryUrl = discoveryUrl;
  if (s.token_endpoint_auth_method !== "none" && s.client_secret === undefined) {
    schema.configError("client_secret", `a secret (token_endpoint_auth_method is "${s.token_endpoint_auth_method}")`, "nothing");
  }
  if (string.find(` ${s.scope} `, " openid ", 1, true)[0] === undefined) {
    schema.configError("scope", "a scope list containing openid", schema.describe(s.scope));
  }
  const redirect = s.redirect_uri ?? "/openidc/callback";
  if (string.sub(redirect, 1, 1) === "/") {
    c.redirectPath = redirect;
  } else {
    const [parsed] = parseUrl(redirect);
    const [query] = string.find((parsed as { target: string }).target, "?", 1, true);
    c.redirectPath = query === undefined ? (parsed as { target: string }).target : string.sub((parsed as { target: string }).target, 1, query - 1);
    c.redirectAbsolute = redirect;
  }
  const cookie = s.cookie;
  if (cookie.samesite === "None" && !cookie.secure) schema.configError("cookie.samesite", "Lax or Strict when cookie.secure is false", "string \"None\"");
  c.cookieName = cookie.name ?? "resty_ts_session";
  let attributes = `; Path=${cookie.path ?? "/"}; HttpOnly`;
  if (cookie.domain !== undefined) attributes += `; Domain=${cookie.domain}`;
  if (cookie.secure) attributes += "; Secure";
  c.cookieAttributes = `${attributes}; SameSite=${cookie.samesite}`;
  // The OP sends the browser back with a cross-site top-level GET: Lax cookies come along, Strict ones do not.
  c.flowCookieAttributes = `${attributes}; SameSite=${cookie.samesite === "Strict" ? "Lax" : cookie.samesite}`;
  c.flowCookiePrefix = `${c.cookieName}_login_`;
  c.compiledRules = compileRules(s.rules);
  c.rulesUseHost = false;
  for (const rule of c.compiledRules) if (rule.host !== undefined) c.rulesUseHost = true;
  c.headerNames = [];
  c.headerClaims = [];
  const names: string[] = [];
  for (const [name] of pairs(s.headers)) names.push(name);
  table.sort(names);
  for (const name of names) {
    if (string.find(name, headerName)[0] === undefined || RESERVED_HEADERS[string.lower(name)] === true) {
      schema.configError(`headers.${name}`, "a header name that is valid and not one nginx or HTTP relies on (Host, Cookie, Authorization, ...)", schema.describe(name));
    }
    c.headerNames.push(name);
    c.headerClaims.push(s.headers.get(name) as string);
  }
  c.bearerAudience = s.bearer_audience ?? s.client_id;
  c.keepAccessToken = s.forward_access_token || s.refresh;
  c.logoutPath = s.logout_path ?? "/openidc/logout";
  if (c.logoutPath === c.redirectPath) schema.configError("logout_path", "a path other than the redirect_uri path", schema.describe(c.logoutPath));
  c.cookieVars = [`cookie_${c.cookieName}`];
  for (let i = 2; i <= MAX_CHUNKS; i++) c.cookieVars.push(`cookie_${c.cookieName}_${i}`);
  const [sessionKey, sessionErr] = deriveKey(s.session_secret, "session v1");
  const [flowKey, flowErr] = deriveKey(s.session_secret, "login flow v1");
  if (sessionKey === undefined || flowKey === undefined) {
    schema.configError("session_secret", "a secret keys can be derived from", sessionErr ?? flowErr ?? "an OpenSSL failure");
  }
  c.sessionKey = sessionKey as string;
  c.flowKey = flowKey as string;
  return c;
}

/** Parser of the whole section: the schema, then the checks across keys and derived values. */
export const parser: schema.Parser<OidcConfig> = (value, key) => derive(section(value, key));
