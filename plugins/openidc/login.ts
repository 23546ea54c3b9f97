// Browser login by the Authorization Code flow with PKCE (OpenID Connect Core 3.1), logout
// (RP-Initiated Logout 1.0) and session refresh (refresh_token grant).
//
// Each login flow has its own short-lived sealed cookie `<cookie name>_login_<flow id>` holding
// state, nonce, PKCE verifier and the path to return to, so several tabs can log in at once.
// The flow id starts the `state` value, so the callback finds its cookie; a state is accepted
// once (remembered in the shared dict until the flow would have expired).
import { base64UrlEncode, constantTimeEquals, randomBytes, sha256 } from "../lib/openssl";
import { clearCookie, namesWithPrefix, setCookie } from "./cookies";
import { claimValues } from "./identity";
import { logThrottled } from "./log";
import { dict, discovery, type Discovery } from "./provider";
import { loginRequired, redirect, refuse } from "./respond";
import { seal, unseal } from "./seal";
import { clearSession, openSession, readSession, sealSession, storeSession, writeSession, type Session } from "./session";
import { idTokenOptions, tokenRequest, validateToken, UNAVAILABLE, type TokenResponse } from "./tokens";
import type { OidcConfig } from "./config";

/** At most this many login flows in progress per browser; more clears the older ones. */
const MAX_FLOWS = 6;

const find = string.find;
const format = string.format;
const byte = string.byte;
const time = ngx.time;

/** Random bytes, or an error raised (the plugin's guard answers 500): RAND_bytes never fails in practice. */
function random(this: void, n: number): string {
  const [bytes, err] = randomBytes(n);
  if (bytes === undefined) error(`openidc: ${err}`);
  return bytes;
}

function hex(this: void, bytes: string): string {
  let out = "";
  for (let i = 1; i <= bytes.length; i++) out += format("%02x", byte(bytes, i));
  return out;
}

/**
 * The request target to come back to after login, when it is a plain local path; else "/".
 * "//host" and "/\host" would send a browser to another site, so they are refused.
 */
export function localReturnPath(this: void, target: string | undefined): string {
  if (target === undefined || find(target, "^/[^/\\]")[0] === undefined || find(target, "[%c%s]")[0] !== undefined) return "/";
  return target;
}

/** The redirect_uri: configured absolute, or the configured path on the request's own origin. */
function redirectUri(this: void, conf: OidcConfig, vars: NgxVar): string {
  if (conf.redirectAbsolute !== undefined) return conf.redirectAbsolute;
  return `${vars.scheme}://${vars.http_host ?? vars.host}${conf.redirectPath}`;
}

function withQuery(this: void, url: string, args: Record<string, string>): string {
  return `${url}${find(url, "?", 1, true)[0] === undefined ? "?" : "&"}${ngx.encode_args(args)}`;
}

/** The OP's discovery document, or the request ends with 503 and one log line. */
export function requireDiscovery(this: void, conf: OidcConfig): Discovery {
  const [disco, err] = discovery(conf);
  if (disco === undefined) {
    logThrottled(ngx.ERR, "op", `openidc: OpenID Provider unavailable, answering 503: ${err}`);
    return refuse(UNAVAILABLE);
  }
  return disco;
}

/** Whether the request is clearly an API call (it would not follow a login redirect). */
export function isApiRequest(this: void, vars: NgxVar): boolean {
  if (vars.http_x_requested_with !== undefined) return true;
  const accept = vars.http_accept;
  return accept !== undefined && find(accept, "application/json", 1, true)[0] !== undefined;
}

/** Sends the browser to the OP's authorization endpoint with a new flow (or 401 to API calls). */
export function startLogin(this: void, conf: OidcConfig, vars: NgxVar): never {
  if (isApiRequest(vars)) return loginRequired();
  const disco = requireDiscovery(conf);
  const flowId = hex(random(4));
  const state = flowId + base64UrlEncode(random(16));
  const nonce = base64UrlEncode(random(16));
  const verifier = base64UrlEncode(random(32));
  const [challengeBytes] = sha256(verifier);
  const flowName = conf.flowCookiePrefix + flowId;
  const [sealed, err] = seal(conf.flowKey, flowName, {
    s: state, n: nonce, v: verifier, r: localReturnPath(vars.request_uri), e: time() + conf.login_timeout,
  });
  if (sealed === undefined || challengeBytes === undefined) error(`openidc: cannot seal the login flow: ${err}`);
  const cookies: string[] = [];
  const pending = namesWithPrefix(vars.http_cookie, conf.flowCookiePrefix);
  if (pending.length >= MAX_FLOWS) {
    for (const name of pending) cookies.push(clearCookie(name, conf.flowCookieAttributes));
  }
  cookies.push(setCookie(flowName, sealed as string, conf.flowCookieAttributes, conf.login_timeout));
  const args = {
    response_type: "code", client_id: conf.client_id, redirect_uri: redirectUri(conf, vars), scope: conf.scope,
    state, nonce, code_challenge: base64UrlEncode(challengeBytes as string), code_challenge_method: "S256",
  };
  return redirect(withQuery(disco.authorization_endpoint, args), cookies);
}

/** Ends a callback that cannot complete: one WARN line, the flow cookie cleared, `status`. */
function callbackFails(this: void, status: number, reason: string, cookies: string[]): never {
  if (status === UNAVAILABLE) logThrottled(ngx.ERR, "callback", `openidc: login failed (${status}): ${reason}`);
  else ngx.log(ngx.WARN, `openidc: login failed (${status}): ${reason}`);
  return refuse(status, cookies);
}

/** A fresh session from a token response and the validated ID token's claims. */
function newSession(this: void, conf: OidcConfig, disco: Discovery, tokens: TokenResponse, claims: LuaTable<string, unknown>): Session {
  const now = time();
  const session: Session = { sub: claims.get("sub") as string, c: claimValues(conf, claims), exp: now + conf.cookie.absolute_timeout, t: now };
  if (conf.keepAccessToken && tokens.access_token !== undefined) {
    session.at = tokens.access_token;
    session.ate = now + (tokens.expires_in ?? 300);
  }
  if (conf.refresh && tokens.refresh_token !== undefined) session.rt = tokens.refresh_token;
  if (disco.end_session_endpoint !== undefined) session.idt = tokens.id_token;
  return session;
}

/** The redirect_uri request: checks the flow, exchanges the code, validates the ID token, starts the session. */
export function callback(this: void, conf: OidcConfig, vars: NgxVar): never {
  const [args] = ngx.req.get_uri_args(20);
  const state = args.get("state");
  if (type(state) !== "string" || find(state as string, "^%x%x%x%x%x%x%x%x[%w%-_]+$")[0] === undefined || (state as string).length > 64) {
    return callbackFails(400, "missing or malformed state", []);
  }
  const flowName = conf.flowCookiePrefix + string.sub(state as string, 1, 8);
  const cookies = [clearCookie(flowName, conf.flowCookieAttributes)];
  const sealed = vars[`cookie_${flowName}`];
  if (sealed === undefined) return callbackFails(400, "no login flow for this state (expired, finished, or another browser)", cookies);
  const [flow, flowErr] = unseal(conf.flowKey, flowName, sealed);
  if (flow === undefined) return callbackFails(400, `login flow cookie rejected: ${flowErr}`, cookies);
  const expected = flow.get("s");
  if (type(expected) !== "string" || !constantTimeEquals(expected as string, state as string)) {
    return callbackFails(400, "state does not match the login flow", cookies);
  }
  const expires = flow.get("e") as number;
  if (type(expires) !== "number" || time() > expires) return callbackFails(400, "login flow expired", cookies);
  const [fresh] = (dict() as NgxSharedDict).add(`state:${state as string}`, true, conf.login_timeout + 60);
  if (!fresh) return callbackFails(400, "state already used (replayed callback)", cookies);
  const opError = args.get("error");
  if (opError !== undefined) {
    // The error code comes from the query string: only its plain characters reach the log.
    const shown = string.gsub(string.sub(tostring(opError), 1, 60), "[^%w%-_.]", "?")[0];
    return callbackFails(401, `the OpenID Provider answered error "${shown}"`, cookies);
  }
  const code = args.get("code");
  if (type(code) !== "string" || code === "") return callbackFails(400, "callback without code", cookies);
  const disco = requireDiscovery(conf);
  const params: Record<string, string> = {
    grant_type: "authorization_code", code: code as string, redirect_uri: redirectUri(conf, vars), code_verifier: flow.get("v") as string,
  };
  const [tokens, tokenErr, tokenStatus] = tokenRequest(conf, disco, params);
  if (tokens === undefined) return callbackFails(tokenStatus as number, tokenErr as string, cookies);
  if (tokens.id_token === undefined) return callbackFails(UNAVAILABLE, "token response without id_token", cookies);
  const [claims, idErr, idStatus] = validateToken(conf, disco, tokens.id_token, idTokenOptions(conf, disco, flow.get("n") as string));
  if (claims === undefined) return callbackFails(idStatus as number, `ID token rejected: ${idErr}`, cookies);
  if (type(claims.get("sub")) !== "string") return callbackFails(401, "ID token rejected: no sub", cookies);
  const [, previousChunks] = readSession(conf, vars, true);
  const storeErr = writeSession(conf, newSession(conf, disco, tokens, claims), cookies, previousChunks);
  if (storeErr !== undefined) return callbackFails(500, storeErr, cookies);
  return redirect(localReturnPath(flow.get("r") as string), cookies);
}

/** The logout path: clears the session and sends the browser to the OP's end_session_endpoint. */
export function logout(this: void, conf: OidcConfig, vars: NgxVar): never {
  const [session, chunks] = readSession(conf, vars, true);
  const cookies: string[] = [];
  clearSession(conf, cookies, chunks);
  const [disco] = discovery(conf);
  const after = conf.post_logout_redirect_uri;
  if (disco === undefined || disco.end_session_endpoint === undefined) return redirect(after ?? "/", cookies);
  const args: Record<string, string> = { client_id: conf.client_id };
  if (session !== undefined && session.idt !== undefined) args.id_token_hint = session.idt;
  if (after !== undefined) args.post_logout_redirect_uri = after;
  return redirect(withQuery(disco.end_session_endpoint, args), cookies);
}

/** How long a refresh result is kept for the other requests of the same session (seconds). */
const REFRESH_RESULT_TTL = 30;

/** What one refresh attempt gave: a new session, nil and "refused" (log in again), or nil and "unavailable". */
type RefreshOutcome = LuaMultiReturn<[Session, undefined, undefined] | [undefined, "refused" | "unavailable", string]>;

/** Calls the token endpoint with the refresh_token grant and stores the new session. */
function refreshNow(this: void, conf: OidcConfig, session: Session, chunks: number, cookies: string[], resultKey: string): RefreshOutcome {
  const [disco, discoErr] = discovery(conf);
  if (disco === undefined) return $multi(undefined, "unavailable", discoErr);
  const [tokens, err, tokenStatus] = tokenRequest(conf, disco, { grant_type: "refresh_token", refresh_token: session.rt as string });
  if (tokens === undefined) return $multi(undefined, tokenStatus === UNAVAILABLE ? "unavailable" : "refused", err);
  if (tokens.access_token === undefined) return $multi(undefined, "unavailable", "token response without access_token");
  let values = session.c;
  if (tokens.id_token !== undefined) {
    const [claims, idErr] = validateToken(conf, disco, tokens.id_token, idTokenOptions(conf, disco, undefined));
    if (claims === undefined || claims.get("sub") !== session.sub) return $multi(undefined, "refused", `new ID token rejected: ${idErr ?? "sub changed"}`);
    values = claimValues(conf, claims);
  }
  const now = time();
  const renewed: Session = {
    sub: session.sub, c: values, exp: session.exp, t: now,
    at: tokens.access_token, ate: now + (tokens.expires_in ?? 300),
    rt: tokens.refresh_token ?? session.rt, idt: tokens.id_token ?? session.idt,
  };
  const [value, sealErr] = sealSession(conf, renewed);
  const storeErr = value !== undefined ? storeSession(conf, value, renewed.exp, cookies, chunks) : sealErr;
  if (storeErr !== undefined) error(`openidc: ${storeErr}`);
  (dict() as NgxSharedDict).set(resultKey, value as string, REFRESH_RESULT_TTL);
  return $multi(renewed, undefined, undefined);
}

/**
 * A session whose access token is about to expire, refreshed with the refresh_token grant.
 * Concurrent requests of one session (several workers too) refresh once: the first takes a lock
 * in the shared dict, the others wait for its result and reuse it (an OP that rotates refresh
 * tokens would refuse a second use). Returns the new session with its cookies appended to
 * `cookies`; nil when the OP refused (the user must log in again). When the OP is unreachable,
 * the old session goes on while its access token lasts, then the request gets 503.
 */
export function refreshSession(this: void, conf: OidcConfig, session: Session, chunks: number, cookies: string[]): Session | undefined {
  const shared = dict() as NgxSharedDict;
  // One refresh per (refresh token, access token): a newer session presents a newer access token.
  const [digest] = sha256(`${session.rt as string} ${session.at ?? ""}`);
  const id = base64UrlEncode(digest ?? "");
  const resultKey = `refreshed:${id}`;
  const lockKey = `refreshing:${id}`;
  let [done] = shared.get(resultKey);
  let locked = false;
  if (done === undefined) {
    [locked] = shared.add(lockKey, true, conf.timeout / 500 + 1);
    if (!locked) {
      const deadline = ngx.now() + conf.timeout / 500;
      while (shared.get(lockKey)[0] !== undefined && ngx.now() < deadline) ngx.sleep(0.02);
      [done] = shared.get(resultKey);
    }
  }
  if (done !== undefined) {
    const reused = openSession(conf, done as string);
    if (reused !== undefined && storeSession(conf, done as string, reused.exp, cookies, chunks) === undefined) return reused;
  }
  const [renewed, failure, problem] = refreshNow(conf, session, chunks, cookies, resultKey);
  if (locked) shared.delete(lockKey);
  if (renewed !== undefined) return renewed;
  if (failure === "refused") {
    ngx.log(ngx.WARN, `openidc: refresh refused, the user logs in again: ${problem}`);
    return undefined;
  }
  if (session.ate !== undefined && time() < session.ate) {
    logThrottled(ngx.WARN, "refresh-kept", `openidc: refresh failed, keeping the current access token: ${problem}`);
    return session;
  }
  logThrottled(ngx.ERR, "refresh", `openidc: OpenID Provider unavailable for refresh, answering 503: ${problem}`);
  return refuse(UNAVAILABLE);
}
