// The login session: a sealed cookie (see seal.ts), split over several cookies when long
// (see cookies.ts). Opened sessions are kept per worker by cookie value, so a logged-in
// request costs a table lookup and a few comparisons: no decryption, no signature check.
import { seal, unseal } from "./seal";
import { chunkCount, clearChunked, storeChunked } from "./cookies";
import type { OidcConfig } from "./config";

/** What the session cookie holds; short member names keep it small. */
export interface Session {
  /** Subject of the ID token (`sub`). */
  sub: string;
  /** Values of the claims the identity headers carry, by claim name. */
  c: LuaTable<string, string>;
  /** When the session ends whatever happens (Unix seconds). */
  exp: number;
  /** When the cookie was last written: the idle timeout counts from here. */
  t: number;
  /** Access token, when forwarded upstream or refreshed. */
  at?: string;
  /** When the access token expires. */
  ate?: number;
  /** Refresh token, when refresh is on. */
  rt?: string;
  /** The ID token, sent as id_token_hint at logout. */
  idt?: string;
}

/**
 * Opened sessions by cookie value; emptied when it holds CACHE_SIZE entries or CACHE_BYTES of
 * cookie text (cheaper than an LRU: a hit is one table lookup).
 */
const CACHE_SIZE = 5000;
const CACHE_BYTES = 8388608;
let cache = new LuaTable<string, Session>();
let cached = 0;
let cachedBytes = 0;
const concat = table.concat;
const time = ngx.time;

function valid(this: void, value: LuaTable<string, unknown>): boolean {
  return type(value.get("sub")) === "string" && type(value.get("exp")) === "number" &&
    type(value.get("t")) === "number" && type(value.get("c")) === "table";
}

/**
 * The request's session cookie: its raw value (chunks joined) and how many cookies it uses;
 * nil and 0 when there is none, nil and the count when a chunk is missing or malformed.
 */
function rawCookie(this: void, conf: OidcConfig, vars: NgxVar): LuaMultiReturn<[string | undefined, number]> {
  const names = conf.cookieVars;
  const first = vars[names[0]];
  if (first === undefined || first === "") return $multi(undefined, 0);
  const [count, piece] = chunkCount(first);
  if (count === undefined) return $multi(undefined, 1);
  if (count === 1) return $multi(piece, 1);
  const parts: string[] = [piece];
  for (let i = 2; i <= count; i++) {
    const part = vars[names[i - 1]];
    if (part === undefined) return $multi(undefined, count);
    parts.push(part);
  }
  return $multi(concat(parts), count);
}

/** The session sealed in a cookie value (cached per worker), or nil when it is not authentic. */
export function openSession(this: void, conf: OidcConfig, value: string): Session | undefined {
  let session = cache.get(value);
  if (session === undefined) {
    const [opened, err] = unseal(conf.sessionKey, conf.cookieName, value);
    if (opened === undefined || !valid(opened)) {
      ngx.log(ngx.INFO, `openidc: ignoring session cookie: ${err ?? "unexpected content"}`);
      return undefined;
    }
    session = opened as unknown as Session;
    if (cached >= CACHE_SIZE || cachedBytes >= CACHE_BYTES) {
      cache = new LuaTable();
      cached = 0;
      cachedBytes = 0;
    }
    cache.set(value, session);
    cached++;
    cachedBytes += value.length;
  }
  return session;
}

/**
 * The request's session, or nil when there is none or it is altered, unreadable, expired or
 * idle too long; and how many cookies it occupies (so they can be replaced or cleared).
 * With `evenExpired`, an authentic but expired session is returned too (for logout). `now`
 * (ngx.time()) may be given by a caller that has it already.
 */
export function readSession(this: void, conf: OidcConfig, vars: NgxVar, evenExpired?: boolean, now?: number): LuaMultiReturn<[Session | undefined, number]> {
  const [value, chunks] = rawCookie(conf, vars);
  if (value === undefined) return $multi(undefined, chunks);
  const session = openSession(conf, value);
  if (session === undefined || evenExpired === true) return $multi(session, chunks);
  const t = now ?? time();
  const idle = conf.cookie.idle_timeout;
  if (t >= session.exp || (idle > 0 && t >= session.t + idle)) return $multi(undefined, chunks);
  return $multi(session, chunks);
}

/** Seals `session` (a fresh table, stamped now) into a cookie value, or nil and why not. */
export function sealSession(this: void, conf: OidcConfig, session: Session): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  session.t = time();
  const [value, err] = seal(conf.sessionKey, conf.cookieName, session);
  if (value === undefined) return $multi(undefined, `cannot seal the session: ${err}`);
  return $multi(value, undefined);
}

/**
 * Appends to `out` the Set-Cookie values that store a sealed session `value` ending at `exp`
 * and delete chunks left from the previous cookie. Returns nil, or why it cannot be stored.
 */
export function storeSession(this: void, conf: OidcConfig, value: string, exp: number, out: string[], previousChunks: number): string | undefined {
  const maxAge = exp - time();
  if (maxAge <= 0) return "the session has expired";
  return storeChunked(out, conf.cookieName, value, conf.cookieAttributes, maxAge, previousChunks);
}

/** sealSession then storeSession. Returns nil, or why the session cannot be stored. */
export function writeSession(this: void, conf: OidcConfig, session: Session, out: string[], previousChunks: number): string | undefined {
  const [value, err] = sealSession(conf, session);
  if (value === undefined) return err;
  return storeSession(conf, value, session.exp, out, previousChunks);
}

/** Appends to `out` the Set-Cookie values that delete the session cookie and its chunks. */
export function clearSession(this: void, conf: OidcConfig, out: string[], chunks: number): void {
  clearChunked(out, conf.cookieName, conf.cookieAttributes, chunks < 1 ? 1 : chunks);
}

/** Whether the session's cookie should be written again (at `now`) so the idle timeout starts over. */
export function needsRenewal(this: void, conf: OidcConfig, session: Session, now: number): boolean {
  const idle = conf.cookie.idle_timeout;
  return idle > 0 && now - session.t >= idle / 4;
}
