// Handing a store entry to the current handshake: parsed cdata (once per worker), set on the
// connection through lua-nginx-module's functions behind ngx.ssl (called directly with the
// phase's request: the wrappers fetch it again for each call), and an expired certificate
// reported once.
import * as ffi from "ffi";
import "ngx.ssl";
import type { Entry } from "./store";
import { parseChain, parseKey } from "./certificate";

/** lua-nginx-module's setters: 0 when done, else an error with `err` set. */
type Setter = (this: void, r: unknown, cdata: unknown, err: unknown) => number;
const setCert: Setter = ffi.C.ngx_http_lua_ffi_set_cert;
const setPrivKey: Setter = ffi.C.ngx_http_lua_ffi_set_priv_key;
const clearCertsFfi: (this: void, r: unknown, err: unknown) => number = ffi.C.ngx_http_lua_ffi_ssl_clear_certs;
const errorText = ffi.new("char *[1]") as unknown as { [i: number]: unknown };
const toLuaString = ffi.string;
const OK = 0;
const dict = ngx.shared.resty_ts_certs;

/** Seconds since the epoch, updated by `tick` each second: one FFI call less per handshake. */
let clock = ngx.time();

/** Updates the clock expiry is checked against (a timer calls it every second). */
export function tick(this: void): void {
  clock = ngx.time();
}

/** Parses an entry's PEM (memoised per process); false, logged once, when it cannot be served. */
export function parse(this: void, entry: Entry): boolean {
  const [cert, certError] = parseChain(entry.cert);
  const [key, keyError] = parseKey(entry.key);
  if (cert === undefined || key === undefined) {
    entry.broken = true;
    ngx.log(ngx.ERR, `resty-ts: cert_selection: certificate ${entry.id} cannot be parsed: ${certError ?? keyError}`);
    return false;
  }
  entry.parsedCert = cert;
  entry.parsedKey = key;
  return true;
}

/** Reports an expired certificate once (across workers, per certificate and expiry). */
function warnExpired(this: void, entry: Entry): void {
  entry.expiredWarned = true;
  let first = true;
  if (dict !== undefined) [first] = dict.add(`warned:${entry.id}:${entry.not_after}`, 1);
  if (first) ngx.log(ngx.WARN, `resty-ts: cert_selection: certificate ${entry.id} for ${entry.hosts.join(", ")} expired at ${ngx.http_time(entry.not_after)}; still serving it`);
}

/** Logs why lua-nginx-module refused (once per call: these fail only on a broken connection or entry). */
function refused(this: void, what: string): void {
  ngx.log(ngx.ERR, `resty-ts: cert_selection: cannot ${what}: ${toLuaString(errorText[0] as never)}`);
}

/** Removes every certificate from the handshake of request `r` (nginx's static one too). */
export function clearCerts(this: void, r: unknown): void {
  if (clearCertsFfi(r, errorText) !== OK) refused("clear the static certificate");
}

/** Adds the entry's chain and key to the handshake of request `r` (after clearCerts). */
export function serve(this: void, r: unknown, entry: Entry): void {
  if (entry.parsedCert === undefined && (entry.broken === true || !parse(entry))) return;
  if (setCert(r, entry.parsedCert, errorText) !== OK) return refused(`serve certificate ${entry.id}`);
  if (setPrivKey(r, entry.parsedKey, errorText) !== OK) return refused(`serve the key of certificate ${entry.id}`);
  if (entry.not_after < clock && entry.expiredWarned !== true) warnExpired(entry);
}
