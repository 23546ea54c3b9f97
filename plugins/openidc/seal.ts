// Sealed cookie values: a Lua table as JSON, encrypted and authenticated with AES-256-GCM under
// a key derived from session_secret with HKDF-SHA256, bound to the cookie's name (as AAD) so a
// value cannot be moved to another cookie. Text form: base64url(nonce[12] || ciphertext || tag[16]).
import * as cjson from "cjson.safe";
import { aes256GcmDecrypt, aes256GcmEncrypt, base64UrlDecode, base64UrlEncode, hkdfSha256, randomBytes } from "../lib/openssl";

const SALT = "resty-ts openidc";
const NONCE_BYTES = 12;
/** Smallest sealed text: nonce, 2 bytes of "{}" and the tag, base64url-encoded. */
const MIN_SEALED = 40;

const sub = string.sub;

/**
 * A 32-byte key for one purpose ("session v1", "login flow v1"), derived from the configured
 * secret; different purposes give independent keys.
 */
export function deriveKey(this: void, secret: string, purpose: string): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  return hkdfSha256(secret, SALT, purpose, 32);
}

/** Seals `value` (a JSON-encodable table) for the cookie named `name`. */
export function seal(this: void, key: string, name: string, value: object): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  const [json, encodeErr] = cjson.encode(value);
  if (json === undefined) return $multi(undefined, `cannot encode: ${encodeErr}`);
  const [nonce, randomErr] = randomBytes(NONCE_BYTES);
  if (nonce === undefined) return $multi(undefined, randomErr);
  const [sealed, err] = aes256GcmEncrypt(key, nonce, json, name);
  if (sealed === undefined) return $multi(undefined, err);
  return $multi(base64UrlEncode(nonce + sealed), undefined);
}

/**
 * Opens a value sealed for the cookie named `name`: the table, or nil and why not (malformed,
 * altered, sealed under another key or for another cookie).
 */
export function unseal(this: void, key: string, name: string, text: string): LuaMultiReturn<[LuaTable<string, unknown>, undefined] | [undefined, string]> {
  if (text.length < MIN_SEALED) return $multi(undefined, "too short");
  const [raw, decodeErr] = base64UrlDecode(text);
  if (raw === undefined) return $multi(undefined, decodeErr);
  const [json, err] = aes256GcmDecrypt(key, sub(raw, 1, NONCE_BYTES), sub(raw, NONCE_BYTES + 1), name);
  if (json === undefined) return $multi(undefined, err);
  const [value] = cjson.decode(json);
  if (type(value) !== "table") return $multi(undefined, "not a sealed table");
  return $multi(value as LuaTable<string, unknown>, undefined);
}
