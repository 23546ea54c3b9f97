// Handing a store entry to the current handshake: parsed cdata (once per worker), set on the
// connection with ngx.ssl, and an expired certificate reported once.
import * as ssl from "ngx.ssl";
import type { Entry } from "./store";
import { parseChain, parseKey } from "./certificate";

const setCert = ssl.set_cert;
const setPrivKey = ssl.set_priv_key;
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

/** Adds the entry's chain and key to the handshake (after ngx.ssl.clear_certs). */
export function serve(this: void, entry: Entry): void {
  if (entry.parsedCert === undefined && (entry.broken === true || !parse(entry))) return;
  setCert(entry.parsedCert!);
  setPrivKey(entry.parsedKey!);
  if (entry.not_after < clock && entry.expiredWarned !== true) warnExpired(entry);
}
