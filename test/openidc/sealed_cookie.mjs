// @ts-check
// The openidc session cookie format, made independently with Node's crypto: HKDF-SHA256 of
// session_secret (salt "resty-ts openidc", info "session v1") gives the AES-256-GCM key; the
// value is base64url(nonce[12] || ciphertext || tag[16]) of the session JSON, with the cookie
// name as additional authenticated data. Used to check the format and to mint cookies for the
// benchmark without an OP.
import { createCipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * A session cookie value for `session` (the plugin's session fields: sub, c, exp, t, ...).
 * @param {string} secret the plugin's session_secret
 * @param {string} name the cookie name (default resty_ts_session)
 * @param {Record<string, unknown>} session
 */
export function sealSession(secret, name, session) {
  const key = Buffer.from(hkdfSync("sha256", secret, "resty-ts openidc", "session v1", 32));
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(name));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(session)), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([nonce, sealed]).toString("base64url");
}
