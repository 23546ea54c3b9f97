// The OpenID Provider's published documents: the discovery document and the JWK set.
// Fetched from the rewrite phase (cosockets), shared between workers in `lua_shared_dict
// resty_ts_oidc` for their TTL, and kept parsed per worker. One request per document fetches
// at a time (a lock key in the dict); the others wait for its result. A failed fetch is
// remembered for `failure_backoff` seconds so an unreachable OP is not hammered.
import * as cjson from "cjson.safe";
import { request } from "../lib/http_client";
import { parseJwks, type KeySet } from "./jwk";
import type { OidcConfig } from "./config";

declare global {
  interface SharedDictSchemas {
    /** Discovery and JWKS documents, fetch locks and failure notes of the openidc plugin. */
    resty_ts_oidc: string | number | boolean;
  }
}

/** The discovery members the plugin uses (OpenID Connect Discovery 1.0, RP-Initiated Logout 1.0). */
export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

/** A document checker: nil when the text is usable, else why not. */
type Check = (this: void, text: string, conf: OidcConfig) => string | undefined;

const MAX_DOCUMENT = 524288;
const WAIT_STEP = 0.02;

const gsub = string.gsub;
const now = ngx.now;
const sleep = ngx.sleep;

/** The shared dict, or nil when nginx.conf lacks `lua_shared_dict resty_ts_oidc`. */
export function dict(this: void): NgxSharedDict<string | number | boolean> | undefined {
  return ngx.shared.resty_ts_oidc;
}

function withoutTrailingSlash(this: void, url: string): string {
  return gsub(url, "/+$", "")[0];
}

function decodeDiscovery(this: void, text: string, conf: OidcConfig): LuaMultiReturn<[Discovery, undefined] | [undefined, string]> {
  const [doc] = cjson.decode(text);
  if (type(doc) !== "table") return $multi(undefined, "the discovery document is not a JSON object");
  const d = doc as Discovery;
  for (const member of ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
    if (type(d[member]) !== "string" || d[member] === "") return $multi(undefined, `the discovery document has no "${member}"`);
  }
  if (d.end_session_endpoint !== undefined && type(d.end_session_endpoint) !== "string") d.end_session_endpoint = undefined;
  const expected = withoutTrailingSlash(gsub(conf.discoveryUrl, "/%.well%-known/openid%-configuration$", "")[0]);
  if (withoutTrailingSlash(d.issuer) !== expected) {
    return $multi(undefined, `the discovery document names issuer "${d.issuer}", not "${expected}"`);
  }
  return $multi(d, undefined);
}

const checkDiscovery: Check = (text, conf) => decodeDiscovery(text, conf)[1];
const checkJwks: Check = (text) => parseJwks(text)[1];

/**
 * The document at `url`: from the shared dict, or fetched (by one request at a time; the
 * others wait up to the timeout). Returns the text and when it was fetched, or nil and why not.
 * `refetch` ignores the cached copy.
 */
function fetchDocument(this: void, conf: OidcConfig, url: string, ttl: number, check: Check, refetch: boolean): LuaMultiReturn<[string, number, undefined] | [undefined, undefined, string]> {
  const shared = dict() as NgxSharedDict<string | number | boolean>;
  const key = `doc:${url}`;
  if (!refetch) {
    const [text, fetchedAt] = shared.get(key);
    if (text !== undefined) return $multi(text as string, fetchedAt ?? 0, undefined);
  }
  const failKey = `fail:${url}`;
  const lockKey = `lock:${url}`;
  const [failure] = shared.get(failKey);
  if (failure !== undefined) return $multi(undefined, undefined, failure as string);
  const timeout = conf.timeout / 1000;
  const [locked] = shared.add(lockKey, true, timeout * 2 + 1);
  if (!locked) {
    const deadline = now() + timeout * 2;
    while (shared.get(lockKey)[0] !== undefined && now() < deadline) sleep(WAIT_STEP);
    const [text, fetchedAt] = shared.get(key);
    if (text !== undefined) return $multi(text as string, fetchedAt ?? 0, undefined);
    const [failed] = shared.get(failKey);
    return $multi(undefined, undefined, failed !== undefined ? (failed as string) : `timed out waiting for another request to fetch ${url}`);
  }
  const [response, err] = request({
    url, timeout: conf.timeout, sslVerify: conf.ssl_verify, maxBodySize: MAX_DOCUMENT,
    headers: { Accept: "application/json" },
  });
  let problem: string | undefined;
  if (response === undefined) problem = `cannot fetch ${url}: ${err}`;
  else if (response.status !== 200) problem = `fetching ${url}: HTTP ${response.status}`;
  else {
    const invalid = check(response.body, conf);
    if (invalid !== undefined) problem = `fetching ${url}: ${invalid}`;
  }
  if (problem !== undefined) {
    if (conf.failure_backoff > 0) shared.set(failKey, problem, conf.failure_backoff);
    shared.delete(lockKey);
    return $multi(undefined, undefined, problem);
  }
  const body = (response as { body: string }).body;
  const fetchedAt = ngx.time();
  const [stored, storeErr] = shared.set(key, body, ttl, fetchedAt);
  if (!stored) ngx.log(ngx.WARN, `openidc: cannot cache ${url} in lua_shared_dict resty_ts_oidc: ${storeErr}`);
  shared.delete(lockKey);
  return $multi(body, fetchedAt, undefined);
}

/** The parsed discovery document of this worker and when it stops being used. */
let discoveryDoc: Discovery | undefined;
let discoveryUntil = 0;

/** The OP's discovery document (cached), or nil and why it is unavailable. */
export function discovery(this: void, conf: OidcConfig): LuaMultiReturn<[Discovery, undefined] | [undefined, string]> {
  if (discoveryDoc !== undefined && now() < discoveryUntil) return $multi(discoveryDoc, undefined);
  const [text, fetchedAt, fetchErr] = fetchDocument(conf, conf.discoveryUrl, conf.discovery_ttl, checkDiscovery, false);
  if (text === undefined) return $multi(undefined, fetchErr as string);
  const [doc, err] = decodeDiscovery(text, conf);
  if (doc === undefined) return $multi(undefined, err);
  discoveryDoc = doc;
  discoveryUntil = fetchedAt + conf.discovery_ttl;
  return $multi(doc, undefined);
}

let jwksText: string | undefined;
let jwksKeys: KeySet | undefined;
let jwksUntil = 0;

function useJwks(this: void, text: string, fetchedAt: number, conf: OidcConfig): LuaMultiReturn<[KeySet, undefined] | [undefined, string]> {
  if (text !== jwksText || jwksKeys === undefined) {
    const [keys, err] = parseJwks(text);
    if (keys === undefined) return $multi(undefined, err);
    if (keys.skipped.length > 0) ngx.log(ngx.WARN, `openidc: JWKS keys ignored: ${table.concat(keys.skipped, "; ")}`);
    jwksText = text;
    jwksKeys = keys;
  }
  jwksUntil = fetchedAt + conf.jwks_ttl;
  return $multi(jwksKeys, undefined);
}

/** The OP's signing keys (cached), or nil and why they are unavailable. */
export function keys(this: void, conf: OidcConfig, disco: Discovery): LuaMultiReturn<[KeySet, undefined] | [undefined, string]> {
  if (jwksKeys !== undefined && now() < jwksUntil) return $multi(jwksKeys, undefined);
  const [text, fetchedAt, fetchErr] = fetchDocument(conf, disco.jwks_uri, conf.jwks_ttl, checkJwks, false);
  if (text === undefined) return $multi(undefined, fetchErr as string);
  return useJwks(text, fetchedAt, conf);
}

/**
 * The keys after a token named a `kid` they lack: fetched again at most once per
 * `jwks_refetch_interval` seconds over all workers (else the cached set, which another worker
 * may have refreshed). Returns the key set, or nil and why it is unavailable.
 */
export function refetchKeys(this: void, conf: OidcConfig, disco: Discovery): LuaMultiReturn<[KeySet, undefined] | [undefined, string]> {
  const shared = dict() as NgxSharedDict<string | number | boolean>;
  const interval = conf.jwks_refetch_interval;
  let allowed = true;
  if (interval > 0) [allowed] = shared.add(`refetch:${disco.jwks_uri}`, true, interval);
  const [text, fetchedAt, fetchErr] = fetchDocument(conf, disco.jwks_uri, conf.jwks_ttl, checkJwks, allowed);
  if (text === undefined) return $multi(undefined, fetchErr as string);
  return useJwks(text, fetchedAt, conf);
}
