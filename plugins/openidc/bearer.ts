// API protection: `Authorization: Bearer <JWT>` access tokens validated with the OP's keys.
// A validated token is remembered per worker until it expires, so repeated calls with the same
// token cost one table lookup instead of a signature check.
import { claimValues, setIdentity } from "./identity";
import { requireDiscovery } from "./login";
import { logThrottled } from "./log";
import { bearerRefused, refuse } from "./respond";
import { validateToken, UNAVAILABLE } from "./tokens";
import type { ValidateOptions } from "./jwt";
import type { OidcConfig } from "./config";

/** A validated token: its identity header values and when it stops being accepted. */
interface Accepted {
  values: LuaTable<string, string>;
  until: number;
}

/** Validated tokens; emptied when it holds CACHE_SIZE tokens or CACHE_BYTES of them (cheaper than an LRU). */
const CACHE_SIZE = 5000;
const CACHE_BYTES = 8388608;
let accepted = new LuaTable<string, Accepted>();
let cached = 0;
let cachedBytes = 0;
const match = string.match;
const time = ngx.time;

/** Settings reused for every bearer token; `now` and `keys` are set per validation. */
let options: ValidateOptions | undefined;

function tokenOptions(this: void, conf: OidcConfig, issuer: string): ValidateOptions {
  if (options === undefined || options.issuer !== issuer) {
    options = { issuer, audience: conf.bearerAudience, allowedAlgs: conf.allowed_algs, clockSkew: conf.clock_skew, now: 0 };
  }
  (options as { now: number }).now = time();
  return options;
}

/** Lets the request through with identity headers from a valid bearer token, or answers 401 / 503. */
export function bearer(this: void, conf: OidcConfig, vars: NgxVar): void {
  const authorization = vars.http_authorization;
  if (authorization === undefined) return bearerRefused(false);
  const [token] = match(authorization, "^[Bb][Ee][Aa][Rr][Ee][Rr] +([%w%-_.]+)%s*$");
  if (token === undefined) return bearerRefused(true);
  const known = accepted.get(token);
  if (known !== undefined && time() < known.until) return setIdentity(conf, known.values);
  const disco = requireDiscovery(conf);
  const [claims, reason, status] = validateToken(conf, disco, token, tokenOptions(conf, disco.issuer));
  if (claims === undefined) {
    if (status === UNAVAILABLE) {
      logThrottled(ngx.ERR, "bearer", `openidc: bearer token not checked, answering 503: ${reason}`);
      return refuse(UNAVAILABLE);
    }
    ngx.log(ngx.INFO, `openidc: bearer token rejected: ${reason}`);
    return bearerRefused(true);
  }
  const values = claimValues(conf, claims);
  if (cached >= CACHE_SIZE || cachedBytes >= CACHE_BYTES) {
    accepted = new LuaTable();
    cached = 0;
    cachedBytes = 0;
  }
  accepted.set(token, { values, until: (claims.get("exp") as number) + conf.clock_skew });
  cached++;
  cachedBytes += token.length;
  return setIdentity(conf, values);
}
