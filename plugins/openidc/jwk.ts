// plugins.openidc.jwk: JSON Web Keys (RFC 7517, 7518, 8037) to OpenSSL public keys.
// A key is rebuilt as a DER SubjectPublicKeyInfo and parsed by OpenSSL (d2i_PUBKEY), which
// also checks it (an EC point must lie on its curve). Runs when a JWKS is fetched, not per request.
import * as ossl from "../lib/openssl";
import { decodeObject, JsonObject } from "./jwt_json";

/** One verification key. */
export interface Jwk {
  /** Key id (`kid`), when the JWK has one. */
  readonly kid?: string;
  /** "RSA", "EC", "OKP" (Ed25519) or "oct" (an HMAC secret, never from a JWKS). */
  readonly kty: string;
  /** The one algorithm the key may be used with (`alg`), when the JWK says. */
  readonly alg?: string;
  /** The curve of EC and OKP keys: "P-256", "P-384", "P-521", "Ed25519". */
  readonly crv?: string;
  /** The public key (RSA, EC, OKP). */
  readonly publicKey?: ossl.PublicKey;
  /** The HMAC secret (oct). */
  readonly secret?: string;
}

/** The usable signing keys of a JWK set. */
export interface KeySet {
  /** Keys in document order. */
  readonly keys: Jwk[];
  /** Why each ignored key was ignored ("key 2 (kid \"x\"): ..."), for one log line. */
  readonly skipped: string[];
}

type Result<T> = LuaMultiReturn<[T, undefined] | [undefined, string]>;

const char = string.char;
const byte = string.byte;
const sub = string.sub;
const find = string.find;
const floor = math.floor;
const concat = table.concat;

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

/** A DER length. */
function derLength(n: number): string {
  if (n < 0x80) return char(n);
  if (n < 0x100) return char(0x81, n);
  return char(0x82, floor(n / 256), n % 256);
}

/** A DER element: tag, length, content. */
function der(tag: number, content: string): string {
  return char(tag) + derLength(content.length) + content;
}

/** A DER INTEGER of an unsigned big-endian number (leading zeros dropped, sign byte added). */
function derUnsigned(bytes: string): string {
  const [first] = find(bytes, "[^%z]");
  let digits = first === undefined ? "\0" : sub(bytes, first);
  if (byte(digits, 1) >= 0x80) digits = "\0" + digits;
  return der(0x02, digits);
}

/** SubjectPublicKeyInfo: algorithm identifier (already DER) and the key bits. */
function spki(algorithm: string, subjectKey: string): string {
  return der(0x30, algorithm + der(0x03, "\0" + subjectKey));
}

// AlgorithmIdentifiers: rsaEncryption with NULL parameters; id-ecPublicKey with the named curve; Ed25519.
// (Bytes via string.char: a TypeScript "\x86" would become two UTF-8 bytes in the Lua output.)
const RSA_ALGORITHM = der(0x30, char(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00));
const EC_OID = char(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const ED25519_ALGORITHM = der(0x30, char(0x06, 0x03, 0x2b, 0x65, 0x70));

interface Curve {
  readonly algorithm: string;
  readonly size: number;
}
const EC_CURVES: Record<string, Curve | undefined> = {
  "P-256": { algorithm: der(0x30, EC_OID + char(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07)), size: 32 },
  "P-384": { algorithm: der(0x30, EC_OID + char(0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22)), size: 48 },
  "P-521": { algorithm: der(0x30, EC_OID + char(0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23)), size: 66 },
};

/** A required base64url member of the JWK, decoded. */
function member(jwk: JsonObject, name: string): Result<string> {
  const value = jwk.get(name);
  if (typeof value !== "string" || value.length === 0) return $multi(undefined, `"${name}" is missing`);
  const [bytes] = ossl.base64UrlDecode(value);
  if (bytes === undefined) return $multi(undefined, `"${name}" is not base64url`);
  return $multi(bytes, undefined);
}

function rsaKey(jwk: JsonObject): Result<ossl.PublicKey> {
  const [n, nErr] = member(jwk, "n");
  if (n === undefined) return $multi(undefined, nErr);
  const [e, eErr] = member(jwk, "e");
  if (e === undefined) return $multi(undefined, eErr);
  if (e.length > 8 || byte(e, e.length) % 2 === 0) return $multi(undefined, `"e" is not an odd exponent of at most 64 bits`);
  const [key, err] = ossl.publicKeyFromDer(spki(RSA_ALGORITHM, der(0x30, derUnsigned(n) + derUnsigned(e))));
  if (key === undefined) return $multi(undefined, err);
  const bits = ossl.keyBits(key);
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    return $multi(undefined, `RSA modulus of ${bits} bits (accepted: ${MIN_RSA_BITS} to ${MAX_RSA_BITS})`);
  }
  return $multi(key, undefined);
}

function ecKey(jwk: JsonObject, crv: unknown): Result<ossl.PublicKey> {
  const curve = typeof crv === "string" ? EC_CURVES[crv] : undefined;
  if (curve === undefined) return $multi(undefined, `unsupported EC curve (supported: P-256, P-384, P-521)`);
  const [x, xErr] = member(jwk, "x");
  if (x === undefined) return $multi(undefined, xErr);
  const [y, yErr] = member(jwk, "y");
  if (y === undefined) return $multi(undefined, yErr);
  if (x.length !== curve.size || y.length !== curve.size) {
    return $multi(undefined, `"x" and "y" must be ${curve.size} bytes for ${crv as string}`);
  }
  return ossl.publicKeyFromDer(spki(curve.algorithm, "\x04" + x + y));
}

function okpKey(jwk: JsonObject, crv: unknown): Result<ossl.PublicKey> {
  if (crv !== "Ed25519") return $multi(undefined, "unsupported OKP curve (supported: Ed25519)");
  const [x, xErr] = member(jwk, "x");
  if (x === undefined) return $multi(undefined, xErr);
  if (x.length !== 32) return $multi(undefined, `"x" must be 32 bytes for Ed25519`);
  return ossl.publicKeyFromDer(spki(ED25519_ALGORITHM, x));
}

/**
 * A verification key from one JWK (a decoded JSON object): RSA (n, e; 2048 to 8192 bits),
 * EC (crv P-256/P-384/P-521; x, y on the curve) or OKP (crv Ed25519; x). Symmetric ("oct")
 * keys are refused: a shared secret never comes from a published key set (see `secretKey`).
 * Private members (d, p, ...) are ignored. Errors name the problem, e.g. `"n" is not base64url`.
 */
export function fromJwk(jwk: unknown): Result<Jwk> {
  if (type(jwk) !== "table") return $multi(undefined, "not a JSON object");
  const object = jwk as JsonObject;
  const kty = object.get("kty");
  const kid = object.get("kid");
  const alg = object.get("alg");
  const crv = object.get("crv");
  if (kid !== undefined && typeof kid !== "string") return $multi(undefined, `"kid" is not a string`);
  if (alg !== undefined && typeof alg !== "string") return $multi(undefined, `"alg" is not a string`);
  let key: ossl.PublicKey | undefined;
  let err: string | undefined;
  if (kty === "RSA") [key, err] = rsaKey(object);
  else if (kty === "EC") [key, err] = ecKey(object, crv);
  else if (kty === "OKP") [key, err] = okpKey(object, crv);
  else if (kty === "oct") return $multi(undefined, "symmetric (oct) keys are not accepted from a key set");
  else return $multi(undefined, "unsupported key type (supported: RSA, EC, OKP)");
  if (key === undefined) return $multi(undefined, err as string);
  const result: Jwk = { kid: kid as string | undefined, kty: kty, alg: alg as string | undefined, crv: kty === "RSA" ? undefined : (crv as string), publicKey: key };
  return $multi(result, undefined);
}

/** An HMAC key (kty "oct") from a shared secret, e.g. the client_secret (OpenID Connect Core 10.1). */
export function secretKey(secret: string, kid?: string): Jwk {
  return { kid: kid, kty: "oct", secret: secret };
}

/** Whether the JWK is meant for signatures (its `use` and `key_ops`, when present, allow it). */
function forSignatures(jwk: JsonObject): boolean {
  const use = jwk.get("use");
  if (use !== undefined && use !== "sig") return false;
  const ops = jwk.get("key_ops");
  if (ops === undefined) return true;
  if (type(ops) !== "table") return false;
  const list = ops as unknown[];
  for (let i = 0; i < list.length; i++) if (list[i] === "verify") return true;
  return false;
}

/**
 * The signing keys of a JWK set document (`{"keys": [...]}`, RFC 7517 section 5). Keys for
 * encryption (`use` other than "sig", `key_ops` without "verify") and keys this module cannot
 * use are left out, each with a reason in `skipped`; a document that is not a JWK set, or that
 * leaves no usable key, is an error.
 */
export function parseJwks(text: string): Result<KeySet> {
  const [doc, docErr] = decodeObject(text, "JWKS");
  if (doc === undefined) return $multi(undefined, docErr);
  const list = doc.get("keys");
  if (type(list) !== "table") return $multi(undefined, `JWKS has no "keys" list`);
  const entries = list as unknown[];
  const keys: Jwk[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (type(entry) === "table" && !forSignatures(entry as JsonObject)) continue;
    const [key, err] = fromJwk(entry);
    if (key === undefined) {
      const kid = type(entry) === "table" ? (entry as JsonObject).get("kid") : undefined;
      skipped[skipped.length] = `key ${i + 1}${typeof kid === "string" ? ` (kid ${describeKid(kid)})` : ""}: ${err}`;
    } else {
      keys[keys.length] = key;
    }
  }
  if (keys.length === 0) {
    return $multi(undefined, skipped.length > 0 ? `JWKS has no usable signing key: ${concat(skipped, "; ")}` : "JWKS has no signing key");
  }
  return $multi({ keys: keys, skipped: skipped }, undefined);
}

/** A kid fit for a log line: quoted when short and plain, else a placeholder (it comes from outside). */
export function describeKid(kid: string): string {
  const [odd] = find(kid, "[^%w%-_.:=+/]");
  if (kid.length > 64 || odd !== undefined) return "(unprintable)";
  return `"${kid}"`;
}
