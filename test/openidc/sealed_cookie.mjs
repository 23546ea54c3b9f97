// @ts-check
// The openidc sealed cookie format, made independently with Node's crypto: HKDF-SHA256 of
// session_secret (salt "resty-ts openidc", info "session v1" for sessions, "login flow v1" for
// login flows) gives the AES-256-GCM key; the value is base64url(nonce[12] || ciphertext ||
// tag[16]) of the JSON, with the cookie name as additional authenticated data. Used to check
// the format, to look inside cookies in tests and to mint cookies for the benchmark without an OP.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** @param {string} secret @param {string} purpose */
const keyFor = (secret, purpose) => Buffer.from(hkdfSync("sha256", secret, "resty-ts openidc", purpose, 32));

/**
 * A sealed cookie value holding `value`.
 * @param {string} secret the plugin's session_secret
 * @param {string} name the cookie's name
 * @param {Record<string, unknown>} value
 * @param {string} [purpose] "session v1" (default) or "login flow v1"
 */
export function seal(secret, name, value, purpose = "session v1") {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(secret, purpose), nonce);
  cipher.setAAD(Buffer.from(name));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([nonce, sealed]).toString("base64url");
}

/**
 * What a sealed cookie value holds (throws when it is not authentic).
 * @param {string} secret @param {string} name @param {string} text
 * @param {string} [purpose] "session v1" (default) or "login flow v1"
 * @returns {Record<string, any>}
 */
export function unseal(secret, name, text, purpose = "session v1") {
  const raw = Buffer.from(text, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", keyFor(secret, purpose), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(name));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString());
}

/**
 * A session cookie value for `session` (the plugin's session fields: sub, c, exp, t, ...).
 * @param {string} secret the plugin's session_secret
 * @param {string} name the cookie name (default resty_ts_session)
 * @param {Record<string, unknown>} session
 */
export function sealSession(secret, name, session) {
  return seal(secret, name, session);
}
