// plugins.openidc.jws: JWS signature verification (RFC 7515, algorithms of RFC 7518 and 8037).
// Which key may check which algorithm is decided here, once: RSA keys for RS* and PS*, EC keys
// of the matching curve for ES*, Ed25519 keys for EdDSA, and shared secrets for HS* only; an
// HS* token is never checked against a public key's bytes.
import * as ossl from "../lib/openssl";
import { Jwk } from "./jwk";

/** How one `alg` is verified. */
interface Algorithm {
  /** Key type the algorithm needs. */
  readonly kty: string;
  /** Curve the key must have (ES*, EdDSA). */
  readonly crv?: string;
  /** Digest (undefined for EdDSA). */
  readonly md?: ossl.Digest;
  /** RSA-PSS padding. */
  readonly pss: boolean;
  /** Length of a JOSE ECDSA signature (r || s). */
  readonly ecdsaLength?: number;
}

const ALGORITHMS: Record<string, Algorithm | undefined> = {
  RS256: { kty: "RSA", md: ossl.sha256Digest, pss: false },
  RS384: { kty: "RSA", md: ossl.sha384Digest, pss: false },
  RS512: { kty: "RSA", md: ossl.sha512Digest, pss: false },
  PS256: { kty: "RSA", md: ossl.sha256Digest, pss: true },
  PS384: { kty: "RSA", md: ossl.sha384Digest, pss: true },
  PS512: { kty: "RSA", md: ossl.sha512Digest, pss: true },
  ES256: { kty: "EC", crv: "P-256", md: ossl.sha256Digest, pss: false, ecdsaLength: 64 },
  ES384: { kty: "EC", crv: "P-384", md: ossl.sha384Digest, pss: false, ecdsaLength: 96 },
  ES512: { kty: "EC", crv: "P-521", md: ossl.sha512Digest, pss: false, ecdsaLength: 132 },
  EdDSA: { kty: "OKP", crv: "Ed25519", pss: false },
  HS256: { kty: "oct", md: ossl.sha256Digest, pss: false },
  HS384: { kty: "oct", md: ossl.sha384Digest, pss: false },
  HS512: { kty: "oct", md: ossl.sha512Digest, pss: false },
};

/** The algorithms this module verifies (never "none"). */
export const SUPPORTED_ALGS: readonly string[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"];

/** Whether `alg` is one this module can verify. */
export function isSupported(alg: string): boolean {
  return ALGORITHMS[alg] !== undefined;
}

/**
 * Whether `key` may verify a signature made with `alg`: the key type and curve the algorithm
 * needs, and the key's own `alg` restriction when it has one.
 */
export function keyFits(key: Jwk, alg: string): boolean {
  const algorithm = ALGORITHMS[alg];
  if (algorithm === undefined || key.kty !== algorithm.kty) return false;
  if (algorithm.crv !== undefined && key.crv !== algorithm.crv) return false;
  return key.alg === undefined || key.alg === alg;
}

/**
 * Verifies the JWS signature `sig` (raw bytes) over `signingInput` (the ASCII of
 * `header.payload`) with `key` under `alg`. Returns true, or false and why
 * ("signature does not match", "key does not fit the algorithm", ...).
 */
export function verifySignature(alg: string, key: Jwk, signingInput: string, sig: string): LuaMultiReturn<[boolean, string | undefined]> {
  const algorithm = ALGORITHMS[alg];
  if (algorithm === undefined || !keyFits(key, alg)) return $multi(false, "key does not fit the algorithm");
  if (algorithm.kty === "oct") {
    const secret = key.secret;
    if (secret === undefined || secret.length === 0) return $multi(false, "no secret for HMAC");
    const [mac, err] = ossl.hmac(algorithm.md as ossl.Digest, secret, signingInput);
    if (mac === undefined) return $multi(false, err);
    if (!ossl.constantTimeEquals(mac, sig)) return $multi(false, "signature does not match");
    return $multi(true, undefined);
  }
  const publicKey = key.publicKey;
  if (publicKey === undefined) return $multi(false, "key has no public key");
  let signature = sig;
  if (algorithm.ecdsaLength !== undefined) {
    if (sig.length !== algorithm.ecdsaLength) return $multi(false, "signature has the wrong length");
    const [converted, err] = ossl.ecdsaSignatureToDer(sig);
    if (converted === undefined) return $multi(false, err);
    signature = converted;
  }
  const [ok, err] = ossl.verify(publicKey, algorithm.md, signingInput, signature, algorithm.pss);
  if (ok === undefined) return $multi(false, err);
  if (!ok) return $multi(false, "signature does not match");
  return $multi(true, undefined);
}
