// plugins.openidc.jwt: the JWT validator for ID tokens and bearer access tokens
// (RFC 7519; OpenID Connect Core 1.0 section 3.1.3.7). Pure: time, keys and expectations come
// in `options`; a token that fails gives a reason and a failure kind, never an error thrown.
// Reasons are safe to log: they never contain token bytes other than a sanitized kid and an alg
// name from the supported list.
import * as ossl from "../lib/openssl";
import { Jwk, KeySet, describeKid } from "./jwk";
import { isSupported, keyFits, verifySignature } from "./jws";
import { JsonObject, decodeObject, isFiniteNumber } from "./jwt_json";

/** The decoded claims of a valid token (JSON null is `cjson.null`). */
export type Claims = JsonObject;

/**
 * Why a token was refused:
 * - "malformed": not a well-formed signed JWT (parts, base64url, JSON, header members);
 * - "algorithm": `alg` is none, unsupported or not allowed;
 * - "unknown_key": no key in the JWKS has the token's `kid`. Only this kind is worth one
 *   JWKS refetch (rate-limited) and a second `validate`;
 * - "signature": no fitting key, or the signature does not verify;
 * - "expired": `exp` has passed (beyond the clock skew);
 * - "claims": `iss`, `aud`, `azp`, `nbf`, `iat`, `nonce` or a claim's type is wrong.
 */
export type Failure = "malformed" | "algorithm" | "unknown_key" | "signature" | "expired" | "claims";

/** What a token must satisfy. Build it once at init where possible; `now` and `nonce` vary. */
export interface ValidateOptions {
  /** Asymmetric verification keys (from `jwk.parseJwks`); kid selects among them. */
  readonly keys?: KeySet;
  /** The HMAC key for HS256/384/512 (`jwk.secretKey(client_secret)`); HS* tokens use only this. */
  readonly hmacKey?: Jwk;
  /** Required `iss`, compared exactly (the discovery document's issuer). */
  readonly issuer: string;
  /** `aud` must contain this value, or one of these values (ID tokens: the client_id). */
  readonly audience: string | readonly string[];
  /**
   * The client_id, for the `azp` rules of ID tokens: when set, a present `azp` must equal it,
   * and a token with several audiences must have `azp`. Leave unset for access tokens.
   */
  readonly clientId?: string;
  /** With clientId: `azp` must be present (and equal clientId) even with one audience. */
  readonly requireAzp?: boolean;
  /** Accepted `alg` values, e.g. ["RS256", "ES256"]; "none" is refused whatever this says. */
  readonly allowedAlgs: readonly string[];
  /** Seconds of clock difference tolerated for exp, nbf and iat (e.g. 60). */
  readonly clockSkew: number;
  /** Current time in seconds since the epoch (`ngx.time()`). */
  readonly now: number;
  /** When set, the `nonce` claim must equal it (ID tokens from the authorization code flow). */
  readonly nonce?: string;
  /** Whether `iat` must be present (true for ID tokens). */
  readonly requireIat?: boolean;
}

/** Longest token accepted, in bytes. */
export const MAX_TOKEN_BYTES = 32768;

type Validation = LuaMultiReturn<[Claims, undefined, undefined] | [undefined, string, Failure]>;

const find = string.find;
const sub = string.sub;

function fail(reason: string, failure: Failure): Validation {
  return $multi(undefined, reason, failure);
}

/** Whether `value` is `expected` or, for a list, one of its entries. */
function matches(value: string, expected: string | readonly string[]): boolean {
  if (typeof expected === "string") return value === expected;
  for (let i = 0; i < expected.length; i++) if (expected[i] === value) return true;
  return false;
}

/** Checks `aud` against the expected audience; returns the number of audiences, or an error. */
function checkAudience(aud: unknown, expected: string | readonly string[]): LuaMultiReturn<[number, string | undefined]> {
  if (typeof aud === "string") return $multi(1, matches(aud, expected) ? undefined : "aud does not contain the expected audience");
  if (type(aud) !== "table") return $multi(0, "aud is missing or not a string or list");
  const list = aud as unknown[];
  let found = false;
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const entry = list[i];
    if (typeof entry !== "string") return $multi(0, "aud has an entry that is not a string");
    if (!found && matches(entry, expected)) found = true;
  }
  if (n === 0) return $multi(0, "aud is an empty list");
  return $multi(n, found ? undefined : "aud does not contain the expected audience");
}

/** The claim checks of OpenID Connect Core 3.1.3.7 (after the signature). */
function checkClaims(claims: Claims, options: ValidateOptions): Validation {
  if (claims.get("iss") !== options.issuer) return fail("iss is not the expected issuer", "claims");
  const [audiences, audErr] = checkAudience(claims.get("aud"), options.audience);
  if (audErr !== undefined) return fail(audErr, "claims");
  const clientId = options.clientId;
  if (clientId !== undefined) {
    const azp = claims.get("azp");
    if (azp === undefined) {
      if (audiences > 1) return fail("azp is missing in a token with several audiences", "claims");
      if (options.requireAzp === true) return fail("azp is missing", "claims");
    } else if (azp !== clientId) {
      return fail("azp is not the client_id", "claims");
    }
  }
  const now = options.now;
  const skew = options.clockSkew;
  const exp = claims.get("exp");
  if (!isFiniteNumber(exp)) return fail("exp is missing or not a number", "claims");
  if (now >= exp + skew) return fail("token expired", "expired");
  const nbf = claims.get("nbf");
  if (nbf !== undefined) {
    if (!isFiniteNumber(nbf)) return fail("nbf is not a number", "claims");
    if (nbf > now + skew) return fail("token not valid yet (nbf)", "claims");
  }
  const iat = claims.get("iat");
  if (iat !== undefined) {
    if (!isFiniteNumber(iat)) return fail("iat is not a number", "claims");
    if (iat > now + skew) return fail("token issued in the future (iat)", "claims");
  } else if (options.requireIat === true) {
    return fail("iat is missing", "claims");
  }
  const subject = claims.get("sub");
  if (subject !== undefined && typeof subject !== "string") return fail("sub is not a string", "claims");
  const nonce = options.nonce;
  if (nonce !== undefined) {
    const claimed = claims.get("nonce");
    if (typeof claimed !== "string" || !ossl.constantTimeEquals(claimed, nonce)) return fail("nonce does not match", "claims");
  }
  return $multi(claims, undefined, undefined);
}

/**
 * Validates a compact JWS JWT: structure (three base64url parts, JSON object header and
 * payload; strict), `alg` (allowed, supported, never "none"; no `crit`), the signature with the
 * key chosen by `kid` (or, without kid, the one key that fits alg; refused when several fit), then the claims: `iss` equal to
 * options.issuer, `aud` containing options.audience, `azp` (with clientId), `exp` required,
 * `nbf` and `iat` when present, all with options.clockSkew, `nonce` when options.nonce is set.
 * Returns the claims, or `nil, reason, failure` (see `Failure`; "unknown_key" means refetch
 * the JWKS once and retry).
 */
export function validate(token: unknown, options: ValidateOptions): Validation {
  if (typeof token !== "string" || token.length === 0) return fail("token is empty", "malformed");
  const length = token.length;
  if (length > MAX_TOKEN_BYTES) return fail("token is longer than " + MAX_TOKEN_BYTES + " bytes", "malformed");
  const [dot1] = find(token, ".", 1, true);
  if (dot1 === undefined) return fail("token is not a JWT (no '.')", "malformed");
  const [dot2] = find(token, ".", dot1 + 1, true);
  if (dot2 === undefined) return fail("token is not a JWT (two parts)", "malformed");
  const [dot3] = find(token, ".", dot2 + 1, true);
  if (dot3 !== undefined) return fail("token has more than three parts (encrypted tokens are not supported)", "malformed");
  if (dot1 === 1 || dot2 === dot1 + 1) return fail("token has an empty part", "malformed");

  const [headerJson] = ossl.base64UrlDecode(sub(token, 1, dot1 - 1));
  if (headerJson === undefined) return fail("header is not base64url", "malformed");
  const [header, headerErr] = decodeObject(headerJson, "header");
  if (header === undefined) return fail(headerErr, "malformed");
  const alg = header.get("alg");
  if (typeof alg !== "string") return fail("header has no alg", "malformed");
  if (alg === "none") return fail("alg none is refused", "algorithm");
  if (!isSupported(alg)) return fail("alg is not supported", "algorithm");
  if (!matches(alg, options.allowedAlgs)) return fail("alg " + alg + " is not allowed", "algorithm");
  if (header.get("crit") !== undefined) return fail("header has crit extensions", "malformed");
  const kid = header.get("kid");
  if (kid !== undefined && typeof kid !== "string") return fail("header kid is not a string", "malformed");

  // Checked after alg, so an unsigned token is reported as alg none.
  if (dot2 === length) return fail("token has an empty part", "malformed");
  const [sig] = ossl.base64UrlDecode(sub(token, dot2 + 1));
  if (sig === undefined) return fail("signature is not base64url", "malformed");
  const signingInput = sub(token, 1, dot2 - 1);

  let verified = false;
  let reason: string | undefined;
  if (sub(alg, 1, 2) === "HS") {
    // Shared-secret algorithms: only the configured HMAC key, never a key from the JWKS.
    const hmacKey = options.hmacKey;
    if (hmacKey === undefined) return fail("no HMAC key for alg " + alg, "signature");
    const [ok, err] = verifySignature(alg, hmacKey, signingInput, sig);
    verified = ok;
    if (err !== undefined) reason = err;
  } else {
    const keys = options.keys?.keys;
    let kidSeen = false;
    if (keys !== undefined && kid === undefined) {
      // OpenID Connect Core 10.1: with several keys a token must name one. Without kid, only a
      // key set holding exactly one key for this alg leaves no doubt which key signed it.
      let fitting = 0;
      for (let i = 0; i < keys.length; i++) if (keyFits(keys[i], alg)) fitting++;
      if (fitting > 1) return fail("token has no kid and the JWKS has " + fitting + " keys for alg " + alg, "signature");
    }
    if (keys !== undefined) {
      for (let i = 0; i < keys.length && !verified; i++) {
        const key = keys[i];
        if (kid !== undefined && key.kid !== kid) continue;
        kidSeen = true;
        if (!keyFits(key, alg)) continue;
        const [ok, err] = verifySignature(alg, key, signingInput, sig);
        verified = ok;
        if (err !== undefined) reason = err;
      }
    }
    if (kid !== undefined && !kidSeen) return fail("no key with kid " + describeKid(kid as string) + " in the JWKS", "unknown_key");
  }
  if (!verified) return fail(reason ?? "no key fits alg " + alg, "signature");

  const [payloadJson] = ossl.base64UrlDecode(sub(token, dot1 + 1, dot2 - 1));
  if (payloadJson === undefined) return fail("payload is not base64url", "malformed");
  const [claims, claimsErr] = decodeObject(payloadJson, "payload");
  if (claims === undefined) return fail(claimsErr, "malformed");
  return checkClaims(claims, options);
}
