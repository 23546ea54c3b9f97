// plugins.lib.openssl: the one LuaJIT FFI binding to OpenSSL 3 (libcrypto.so.3, which nginx links).
// Standard primitives only: random bytes, SHA-2 digests, HMAC, AES-256-GCM, HKDF-SHA256,
// constant-time compare, strict base64url, public keys from DER and signature verification.
// Every OpenSSL return value is checked; failures come back as `nil, err` (with OpenSSL's
// reason text) and the OpenSSL error queue is left empty, so a failure here can never
// confuse nginx's own TLS code. Contexts and scratch buffers are module-level and reused:
// every call here runs to completion without yielding, so one nginx worker never shares them.
//
// Other modules may use the shared declarations below (`libcrypto` and the cdef'd types
// BIO, EVP_PKEY, X509 basics) instead of declaring them again.
import * as ffi from "ffi";

ffi.cdef(`
typedef struct engine_st ENGINE;
typedef struct bio_st BIO;
typedef struct bignum_st BIGNUM;
typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_cipher_st EVP_CIPHER;
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef struct ECDSA_SIG_st ECDSA_SIG;

unsigned long OpenSSL_version_num(void);
unsigned long ERR_get_error(void);
void ERR_clear_error(void);
void ERR_error_string_n(unsigned long e, char *buf, size_t len);
void CRYPTO_free(void *ptr, const char *file, int line);
int CRYPTO_memcmp(const void *a, const void *b, size_t len);
int RAND_bytes(unsigned char *buf, int num);

BIO *BIO_new_mem_buf(const void *buf, int len);
int BIO_free(BIO *a);

const EVP_MD *EVP_sha256(void);
const EVP_MD *EVP_sha384(void);
const EVP_MD *EVP_sha512(void);
int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type, ENGINE *impl);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);

const EVP_CIPHER *EVP_aes_256_gcm(void);
EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void);
void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *ctx);
int EVP_CipherInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, ENGINE *impl, const unsigned char *key, const unsigned char *iv, int enc);
int EVP_CipherUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl);
int EVP_CipherFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl);
int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr);

EVP_PKEY_CTX *EVP_PKEY_CTX_new_id(int id, ENGINE *e);
void EVP_PKEY_CTX_free(EVP_PKEY_CTX *ctx);
int EVP_PKEY_derive_init(EVP_PKEY_CTX *ctx);
int EVP_PKEY_derive(EVP_PKEY_CTX *ctx, unsigned char *key, size_t *keylen);
int EVP_PKEY_CTX_set_hkdf_md(EVP_PKEY_CTX *ctx, const EVP_MD *md);
int EVP_PKEY_CTX_set1_hkdf_salt(EVP_PKEY_CTX *ctx, const unsigned char *salt, int saltlen);
int EVP_PKEY_CTX_set1_hkdf_key(EVP_PKEY_CTX *ctx, const unsigned char *key, int keylen);
int EVP_PKEY_CTX_add1_hkdf_info(EVP_PKEY_CTX *ctx, const unsigned char *info, int infolen);

EVP_PKEY *d2i_PUBKEY(EVP_PKEY **a, const unsigned char **pp, long length);
void EVP_PKEY_free(EVP_PKEY *pkey);
int EVP_PKEY_get_base_id(const EVP_PKEY *pkey);
int EVP_PKEY_get_bits(const EVP_PKEY *pkey);
EVP_MD_CTX *EVP_MD_CTX_new(void);
void EVP_MD_CTX_free(EVP_MD_CTX *ctx);
int EVP_MD_CTX_reset(EVP_MD_CTX *ctx);
int EVP_DigestVerifyInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey);
int EVP_DigestVerify(EVP_MD_CTX *ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs, size_t tbslen);
int EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int pad_mode);
int EVP_PKEY_CTX_set_rsa_pss_saltlen(EVP_PKEY_CTX *ctx, int saltlen);

BIGNUM *BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret);
void BN_free(BIGNUM *a);
ECDSA_SIG *ECDSA_SIG_new(void);
void ECDSA_SIG_free(ECDSA_SIG *sig);
int ECDSA_SIG_set0(ECDSA_SIG *sig, BIGNUM *r, BIGNUM *s);
int i2d_ECDSA_SIG(const ECDSA_SIG *sig, unsigned char **pp);

int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
int EVP_DecodeBlock(unsigned char *t, const unsigned char *f, int n);
`);

/** A value, or `nil` and a message naming what failed. */
export type Result<T> = LuaMultiReturn<[T, undefined] | [undefined, string]>;

/** An OpenSSL message digest (a `const EVP_MD *`); use the constants `sha256`, `sha384`, `sha512`. */
export interface Digest {
  readonly __opensslDigest: unique symbol;
}

/** A public key (an `EVP_PKEY *`), freed by the garbage collector when unreferenced. */
export interface PublicKey {
  readonly __opensslPublicKey: unique symbol;
}

function probe(this: void, lib: Record<string, unknown>): unknown {
  return lib.EVP_DigestVerify;
}

/**
 * The libcrypto namespace: `ffi.C` inside nginx (which links libcrypto.so.3), else the library
 * loaded by name (plain LuaJIT, busted). Shared with other modules of this project.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const libcrypto: any = pcall(probe, ffi.C)[0] ? ffi.C : ffi.load("libcrypto.so.3");
const C = libcrypto;

const sub = string.sub;
const gsub = string.gsub;
const byte = string.byte;
const toStr = ffi.string;
// C values are untyped here: the public functions below give them their types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ffiNew: (this: void, ct: string, n?: number) => any = ffi.new;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ffiGc: (this: void, cdata: any, finalizer: any) => any = ffi.gc;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ffiCopy: (this: void, dst: any, src: string, len: number) => void = ffi.copy;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ffiCast: (this: void, ct: string, value: unknown) => any = ffi.cast;

const EVP_PKEY_HKDF = 1036;
const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
const RSA_PKCS1_PSS_PADDING = 6;
const RSA_PSS_SALTLEN_DIGEST = -1;
const GCM_TAG_BYTES = 16;

/** OpenSSL key type ids (`EVP_PKEY_get_base_id`). */
export const KEY_RSA = 6;
/** OpenSSL key type id of EC keys. */
export const KEY_EC = 408;
/** OpenSSL key type id of Ed25519 keys. */
export const KEY_ED25519 = 1087;

/** SHA-256. */
export const sha256Digest = C.EVP_sha256() as Digest;
/** SHA-384. */
export const sha384Digest = C.EVP_sha384() as Digest;
/** SHA-512. */
export const sha512Digest = C.EVP_sha512() as Digest;

const errText = ffiNew("char[256]");
const sizeOut = ffiNew("size_t[1]");
const intOut = ffiNew("int[1]");
const uintOut = ffiNew("unsigned int[1]");
const pctxOut = ffiNew("EVP_PKEY_CTX *[1]");
const derOut = ffiNew("unsigned char *[1]");
const mdOut = ffiNew("unsigned char[64]");
const tagBuf = ffiNew("unsigned char[16]");
let scratch = ffiNew("unsigned char[?]", 4096);
let scratchSize = 4096;

/** A reusable byte buffer of at least n bytes (valid until the next call that needs one). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function buffer(n: number): any {
  if (n > scratchSize) {
    let size = scratchSize * 2;
    while (size < n) size = size * 2;
    scratch = ffiNew("unsigned char[?]", size);
    scratchSize = size;
  }
  return scratch;
}

/**
 * `what: <OpenSSL reason>` for the earliest queued OpenSSL error (or `what: failed` when the
 * queue is empty), and empties the queue. Call it right after a failing OpenSSL call.
 */
export function opensslError(what: string): string {
  const code = C.ERR_get_error();
  C.ERR_clear_error();
  if (code === 0) return what + ": failed";
  C.ERR_error_string_n(code, errText, 256);
  return what + ": " + toStr(errText);
}

/** libcrypto's version number (`OpenSSL_version_num()`, e.g. 0x30000110 for 3.0.17). */
export function version(): number {
  return tonumber(C.OpenSSL_version_num()) as number;
}

/** n cryptographically strong random bytes (RAND_bytes), 1 <= n <= 65536. */
export function randomBytes(n: number): Result<string> {
  if (n < 1 || n > 65536 || n % 1 !== 0) return $multi(undefined, "random bytes: bad length");
  const buf = buffer(n);
  if (C.RAND_bytes(buf, n) !== 1) return $multi(undefined, opensslError("RAND_bytes"));
  return $multi(toStr(buf, n), undefined);
}

/** The digest of data (EVP_Digest). */
export function digest(md: Digest, data: string): Result<string> {
  if (C.EVP_Digest(data, data.length, mdOut, uintOut, md, undefined) !== 1) {
    return $multi(undefined, opensslError("EVP_Digest"));
  }
  return $multi(toStr(mdOut, uintOut[0]), undefined);
}

/** SHA-256 of data (32 raw bytes). */
export function sha256(data: string): Result<string> {
  return digest(sha256Digest, data);
}

/** HMAC of data under key with the given digest (raw bytes). */
export function hmac(md: Digest, key: string, data: string): Result<string> {
  if (C.HMAC(md, key, key.length, data, data.length, mdOut, uintOut) === undefined) {
    return $multi(undefined, opensslError("HMAC"));
  }
  return $multi(toStr(mdOut, uintOut[0]), undefined);
}

/** HMAC-SHA256 of data under key (32 raw bytes). */
export function hmacSha256(key: string, data: string): Result<string> {
  return hmac(sha256Digest, key, data);
}

const gcmCtx = ffiGc(C.EVP_CIPHER_CTX_new(), C.EVP_CIPHER_CTX_free);
if (gcmCtx === undefined) error(opensslError("EVP_CIPHER_CTX_new"));
const aes256Gcm = C.EVP_aes_256_gcm();

/** Starts an AES-256-GCM operation on the shared context and feeds the AAD; an error or undefined. */
function gcmStart(key: string, nonce: string, aad: string | undefined, encrypt: number): string | undefined {
  if (key.length !== 32) return "aes-256-gcm: key must be 32 bytes";
  if (nonce.length !== 12) return "aes-256-gcm: nonce must be 12 bytes";
  if (C.EVP_CipherInit_ex(gcmCtx, aes256Gcm, undefined, key, nonce, encrypt) !== 1) {
    return opensslError("EVP_CipherInit_ex");
  }
  if (aad !== undefined && aad.length > 0 && C.EVP_CipherUpdate(gcmCtx, undefined, intOut, aad, aad.length) !== 1) {
    return opensslError("EVP_CipherUpdate(aad)");
  }
  return undefined;
}

/**
 * AES-256-GCM encryption: returns ciphertext followed by the 16-byte tag. key: 32 bytes;
 * nonce: 12 bytes, never reused with the same key (use `randomBytes(12)`); aad: authenticated,
 * not encrypted (optional).
 */
export function aes256GcmEncrypt(key: string, nonce: string, plaintext: string, aad?: string): Result<string> {
  const err = gcmStart(key, nonce, aad, 1);
  if (err !== undefined) return $multi(undefined, err);
  const n = plaintext.length;
  const out = buffer(n + GCM_TAG_BYTES);
  if (C.EVP_CipherUpdate(gcmCtx, out, intOut, plaintext, n) !== 1) {
    return $multi(undefined, opensslError("EVP_CipherUpdate"));
  }
  // GCM is a stream mode: Update wrote all n bytes, Final writes none.
  if (intOut[0] !== n || C.EVP_CipherFinal_ex(gcmCtx, out, intOut) !== 1) {
    return $multi(undefined, opensslError("EVP_CipherFinal_ex"));
  }
  if (C.EVP_CIPHER_CTX_ctrl(gcmCtx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_BYTES, tagBuf) !== 1) {
    return $multi(undefined, opensslError("EVP_CTRL_GCM_GET_TAG"));
  }
  return $multi(toStr(out, n) + toStr(tagBuf, GCM_TAG_BYTES), undefined);
}

/**
 * AES-256-GCM decryption of `ciphertext .. tag` (as made by aes256GcmEncrypt) with the same
 * key, nonce and aad. A wrong key, nonce, aad or any altered byte gives `nil, err`.
 */
export function aes256GcmDecrypt(key: string, nonce: string, sealed: string, aad?: string): Result<string> {
  const n = sealed.length - GCM_TAG_BYTES;
  if (n < 0) return $multi(undefined, "aes-256-gcm: input shorter than the tag");
  const err = gcmStart(key, nonce, aad, 0);
  if (err !== undefined) return $multi(undefined, err);
  const out = buffer(n + GCM_TAG_BYTES);
  if (C.EVP_CipherUpdate(gcmCtx, out, intOut, sealed, n) !== 1 || intOut[0] !== n) {
    return $multi(undefined, opensslError("EVP_CipherUpdate"));
  }
  ffiCopy(tagBuf, sub(sealed, n + 1), GCM_TAG_BYTES);
  if (C.EVP_CIPHER_CTX_ctrl(gcmCtx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_BYTES, tagBuf) !== 1) {
    return $multi(undefined, opensslError("EVP_CTRL_GCM_SET_TAG"));
  }
  // Final checks the tag; the plaintext is released only when it matches.
  if (C.EVP_CipherFinal_ex(gcmCtx, out + n, intOut) !== 1) {
    C.ERR_clear_error();
    return $multi(undefined, "aes-256-gcm: authentication failed");
  }
  return $multi(toStr(out, n), undefined);
}

/**
 * HKDF-SHA256 (RFC 5869): `length` (1..8160) bytes derived from key material `key`, `salt`
 * (empty: HashLen zero bytes) and context `info`.
 */
export function hkdfSha256(key: string, salt: string, info: string, length: number): Result<string> {
  if (length < 1 || length > 255 * 32 || length % 1 !== 0) return $multi(undefined, "hkdf: bad length");
  if (key.length === 0) return $multi(undefined, "hkdf: empty key");
  const ctx = C.EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, undefined);
  if (ctx === undefined) return $multi(undefined, opensslError("EVP_PKEY_CTX_new_id(HKDF)"));
  let err: string | undefined;
  const out = buffer(length);
  sizeOut[0] = length;
  if (C.EVP_PKEY_derive_init(ctx) <= 0) err = opensslError("EVP_PKEY_derive_init");
  else if (C.EVP_PKEY_CTX_set_hkdf_md(ctx, sha256Digest) <= 0) err = opensslError("EVP_PKEY_CTX_set_hkdf_md");
  else if (salt.length > 0 && C.EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, salt.length) <= 0) {
    err = opensslError("EVP_PKEY_CTX_set1_hkdf_salt");
  } else if (C.EVP_PKEY_CTX_set1_hkdf_key(ctx, key, key.length) <= 0) err = opensslError("EVP_PKEY_CTX_set1_hkdf_key");
  else if (info.length > 0 && C.EVP_PKEY_CTX_add1_hkdf_info(ctx, info, info.length) <= 0) {
    err = opensslError("EVP_PKEY_CTX_add1_hkdf_info");
  } else if (C.EVP_PKEY_derive(ctx, out, sizeOut) <= 0 || tonumber(sizeOut[0]) !== length) {
    err = opensslError("EVP_PKEY_derive");
  }
  C.EVP_PKEY_CTX_free(ctx);
  if (err !== undefined) return $multi(undefined, err);
  return $multi(toStr(out, length), undefined);
}

/** Whether a and b are equal, in time that depends only on their lengths (CRYPTO_memcmp). */
export function constantTimeEquals(a: string, b: string): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n === 0) return true;
  return C.CRYPTO_memcmp(a, b, n) === 0;
}

const toUrlAlphabet: Record<string, string> = { "+": "-", "/": "_", "=": "" };

/** base64url (RFC 4648 section 5) without padding. */
export function base64UrlEncode(data: string): string {
  const n = data.length;
  if (n === 0) return "";
  const out = buffer(4 * Math.ceil(n / 3) + 1);
  const written = C.EVP_EncodeBlock(out, data, n);
  const [encoded] = gsub(toStr(out, written), "[+/=]", toUrlAlphabet);
  return encoded;
}

// Decoding is a Lua loop over the bytes rather than OpenSSL's EVP_DecodeBlock, which is lenient
// (it skips whitespace and trailing junk): one pass checks and decodes, and LuaJIT compiles the
// loop (a few ns a byte, where Lua patterns to check and translate cost about 25).
const BASE64URL_VALUES = ffiNew("uint8_t[256]");
ffi.fill(BASE64URL_VALUES, 256, 0xff);
{
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < 64; i++) BASE64URL_VALUES[byte(alphabet, i + 1)] = i;
}
const floor = math.floor;

/**
 * Strict base64url decoding: only `A-Z a-z 0-9 - _`, no padding, no whitespace, and the one
 * canonical spelling of the bytes (unused low bits of the last character zero); anything
 * else gives `nil, err`.
 */
export function base64UrlDecode(text: string): Result<string> {
  const n = text.length;
  const tail = n % 4;
  if (tail === 1) return $multi(undefined, "base64url: invalid length");
  const out = buffer(n);
  const src = ffiCast("const uint8_t *", text);
  const values = BASE64URL_VALUES;
  const full = n - tail;
  let written = 0;
  // Whole groups: 4 characters, 3 bytes; one branch-free path, so the trace stays straight.
  for (let i = 0; i < full; i += 4) {
    const a: number = values[src[i]];
    const b: number = values[src[i + 1]];
    const c: number = values[src[i + 2]];
    const d: number = values[src[i + 3]];
    if (a > 63 || b > 63 || c > 63 || d > 63) return $multi(undefined, "base64url: invalid character");
    const group = ((a * 64 + b) * 64 + c) * 64 + d;
    out[written] = floor(group / 65536);
    out[written + 1] = floor(group / 256) % 256;
    out[written + 2] = group % 256;
    written = written + 3;
  }
  if (tail > 0) {
    const a: number = values[src[full]];
    const b: number = values[src[full + 1]];
    const c: number = tail === 3 ? values[src[full + 2]] : 0;
    if (a > 63 || b > 63 || c > 63) return $multi(undefined, "base64url: invalid character");
    const group = (a * 64 + b) * 64 + c; // 18 bits: 1 or 2 bytes, the rest must be zero
    if (tail === 2) {
      if (group % 1024 !== 0) return $multi(undefined, "base64url: non-canonical ending");
      out[written] = floor(group / 1024);
      written = written + 1;
    } else {
      if (group % 4 !== 0) return $multi(undefined, "base64url: non-canonical ending");
      out[written] = floor(group / 1024);
      out[written + 1] = floor(group / 4) % 256;
      written = written + 2;
    }
  }
  return $multi(toStr(out, written), undefined);
}

const derPtr = ffiNew("const unsigned char *[1]");

/** A public key from a DER SubjectPublicKeyInfo (d2i_PUBKEY); the whole input must be consumed. */
export function publicKeyFromDer(der: string): Result<PublicKey> {
  const bytes = buffer(der.length);
  ffiCopy(bytes, der, der.length);
  derPtr[0] = bytes;
  const pkey = C.d2i_PUBKEY(undefined, derPtr, der.length);
  if (pkey === undefined) return $multi(undefined, opensslError("d2i_PUBKEY"));
  const gcKey = ffiGc(pkey, C.EVP_PKEY_free);
  // OpenSSL 3's decoders may queue errors from formats they tried first, even on success.
  C.ERR_clear_error();
  if (tonumber(derPtr[0] - bytes) !== der.length) return $multi(undefined, "d2i_PUBKEY: trailing bytes after the key");
  return $multi(gcKey as PublicKey, undefined);
}

/** The key's OpenSSL type id (KEY_RSA, KEY_EC, KEY_ED25519, ...). */
export function keyType(key: PublicKey): number {
  return C.EVP_PKEY_get_base_id(key);
}

/** The key's size in bits (RSA modulus, EC field). */
export function keyBits(key: PublicKey): number {
  return C.EVP_PKEY_get_bits(key);
}

const mdCtx = ffiGc(C.EVP_MD_CTX_new(), C.EVP_MD_CTX_free);
if (mdCtx === undefined) error(opensslError("EVP_MD_CTX_new"));

/**
 * Verifies signature `sig` of `data` with a public key (EVP_DigestVerify). md: the digest
 * (undefined for Ed25519, which signs the message itself); pss: RSA-PSS padding with salt
 * length = digest length (else PKCS#1 v1.5 for RSA). ECDSA signatures must be DER (see
 * ecdsaSignatureToDer). Returns true, false (the signature does not match), or `nil, err`.
 */
export function verify(key: PublicKey, md: Digest | undefined, data: string, sig: string, pss: boolean): LuaMultiReturn<[boolean, undefined] | [undefined, string]> {
  if (C.EVP_MD_CTX_reset(mdCtx) !== 1) return $multi(undefined, opensslError("EVP_MD_CTX_reset"));
  if (C.EVP_DigestVerifyInit(mdCtx, pctxOut, md, undefined, key) !== 1) {
    return $multi(undefined, opensslError("EVP_DigestVerifyInit"));
  }
  if (pss) {
    const pctx = pctxOut[0];
    if (C.EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0) {
      return $multi(undefined, opensslError("EVP_PKEY_CTX_set_rsa_padding"));
    }
    if (C.EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0) {
      return $multi(undefined, opensslError("EVP_PKEY_CTX_set_rsa_pss_saltlen"));
    }
  }
  const rc = C.EVP_DigestVerify(mdCtx, sig, sig.length, data, data.length);
  if (rc === 1) return $multi(true, undefined);
  // 0 is a mismatch; a negative value a malformed signature. Both mean "not valid" to the caller.
  C.ERR_clear_error();
  return $multi(false, undefined);
}

/**
 * An ECDSA signature as DER (what OpenSSL verifies) from the JOSE form: r || s, each
 * half the input, big-endian (RFC 7518 section 3.4).
 */
export function ecdsaSignatureToDer(raw: string): Result<string> {
  const half = raw.length / 2;
  if (half < 1 || half % 1 !== 0 || half > 66) return $multi(undefined, "ecdsa: bad signature length");
  const sig = C.ECDSA_SIG_new();
  if (sig === undefined) return $multi(undefined, opensslError("ECDSA_SIG_new"));
  const r = C.BN_bin2bn(raw, half, undefined);
  const s = C.BN_bin2bn(sub(raw, half + 1), half, undefined);
  if (r === undefined || s === undefined || C.ECDSA_SIG_set0(sig, r, s) !== 1) {
    const err = opensslError("ECDSA_SIG_set0");
    if (r !== undefined) C.BN_free(r);
    if (s !== undefined) C.BN_free(s);
    C.ECDSA_SIG_free(sig);
    return $multi(undefined, err);
  }
  const out = buffer(2 * half + 16);
  derOut[0] = out;
  const n = C.i2d_ECDSA_SIG(sig, derOut);
  C.ECDSA_SIG_free(sig);
  if (n <= 0) return $multi(undefined, opensslError("i2d_ECDSA_SIG"));
  return $multi(toStr(out, n), undefined);
}

// ---- X509 (cert_selection) ----
// Reading certificates parsed by ngx.ssl (`parse_pem_cert` gives a STACK_OF(X509)*, whose
// first element is the leaf; `parse_pem_priv_key` an EVP_PKEY*): names, expiry, key match,
// key type. Used at init, on directory rescans and by the admin API, never per handshake.
ffi.cdef(`
int OPENSSL_sk_num(const void *st);
void *OPENSSL_sk_value(const void *st, int i);
void *X509_get_ext_d2i(const void *x, int nid, int *crit, int *idx);
void GENERAL_NAMES_free(void *names);
typedef struct { int type; void *d; } resty_ts_general_name;
int ASN1_STRING_length(const void *x);
const unsigned char *ASN1_STRING_get0_data(const void *x);
void *X509_get_subject_name(const void *x);
int X509_NAME_get_index_by_NID(void *name, int nid, int lastpos);
void *X509_NAME_get_entry(const void *name, int loc);
void *X509_NAME_ENTRY_get_data(const void *entry);
const void *X509_get0_notAfter(const void *x);
int ASN1_TIME_diff(int *pday, int *psec, const void *from, const void *to);
int X509_check_private_key(const void *x, const void *pkey);
int SSL_set_session_id_context(void *ssl, const unsigned char *sid_ctx, unsigned int sid_ctx_len);
int X509_check_purpose(void *x, int id, int ca);
`);

/** A certificate chain as ngx.ssl.parse_pem_cert returns it (`STACK_OF(X509) *`). */
export type CertChain = unknown;
/** A private key as ngx.ssl.parse_pem_priv_key returns it (`EVP_PKEY *`). */
export type PrivateKey = unknown;

const NID_COMMON_NAME = 13;
const NID_SUBJECT_ALT_NAME = 85;
const GEN_DNS = 2;
const x509Days = ffiNew("int[1]");
const x509Seconds = ffiNew("int[1]");

/** The leaf of a chain, or nil when the chain is empty. */
function x509Leaf(chain: CertChain): unknown {
  if (C.OPENSSL_sk_num(chain) < 1) return undefined;
  return C.OPENSSL_sk_value(chain, 0);
}

function asn1Text(value: unknown): string {
  return toStr(C.ASN1_STRING_get0_data(value), C.ASN1_STRING_length(value));
}

/**
 * The leaf certificate's DNS names, as written in it: its subjectAltName DNS entries, or the
 * subject CN when it has no subjectAltName. Empty when it has neither.
 */
export function x509Names(chain: CertChain): string[] {
  const names: string[] = [];
  const leaf = x509Leaf(chain);
  if (leaf === undefined) return names;
  const sans = C.X509_get_ext_d2i(leaf, NID_SUBJECT_ALT_NAME, undefined, undefined);
  if (sans !== undefined) {
    const count = C.OPENSSL_sk_num(sans) as number;
    for (let i = 0; i < count; i++) {
      const entry = ffi.cast("resty_ts_general_name *", C.OPENSSL_sk_value(sans, i)) as unknown as { type: number; d: unknown };
      if (entry.type === GEN_DNS) names.push(asn1Text(entry.d));
    }
    C.GENERAL_NAMES_free(sans);
    return names;
  }
  C.ERR_clear_error();
  const subject = C.X509_get_subject_name(leaf);
  const index = C.X509_NAME_get_index_by_NID(subject, NID_COMMON_NAME, -1) as number;
  if (index >= 0) names.push(asn1Text(C.X509_NAME_ENTRY_get_data(C.X509_NAME_get_entry(subject, index))));
  return names;
}

/** The leaf certificate's notAfter in Unix seconds, or nil when it cannot be read. */
export function x509NotAfter(chain: CertChain): number | undefined {
  const leaf = x509Leaf(chain);
  if (leaf === undefined) return undefined;
  // Days and seconds from now (NULL) to notAfter: no calendar arithmetic here.
  if (C.ASN1_TIME_diff(x509Days, x509Seconds, undefined, C.X509_get0_notAfter(leaf)) !== 1) {
    C.ERR_clear_error();
    return undefined;
  }
  return os.time() + (x509Days[0] as number) * 86400 + (x509Seconds[0] as number);
}

/** Whether the private key belongs to the chain's leaf certificate. */
export function x509KeyMatches(chain: CertChain, key: PrivateKey): boolean {
  const leaf = x509Leaf(chain);
  if (leaf === undefined) return false;
  const matches = C.X509_check_private_key(leaf, key) === 1;
  C.ERR_clear_error();
  return matches;
}

/**
 * Fills every certificate's extension cache in a chain (X509_check_purpose with purpose -1),
 * which OpenSSL otherwise computes on the certificate's first handshake (tens of microseconds:
 * all extensions parsed, a SHA-1 of the certificate). Done at load, in the master, workers
 * inherit it.
 */
export function x509Prepare(chain: CertChain): void {
  const count = C.OPENSSL_sk_num(chain) as number;
  for (let i = 0; i < count; i++) C.X509_check_purpose(C.OPENSSL_sk_value(chain, i), -1, 0);
  C.ERR_clear_error();
}

/** A private key's algorithm: "rsa", "ecdsa", or "type <id>" for any other. */
export function privateKeyKind(key: PrivateKey): string {
  const id = C.EVP_PKEY_get_base_id(key) as number;
  if (id === KEY_RSA) return "rsa";
  if (id === KEY_EC) return "ecdsa";
  return `type ${id}`;
}

/**
 * Sets a connection's session id context (libssl; at most 32 bytes): sessions made under one
 * context are never resumed under another. `ssl` is an `SSL *`. Returns whether it was set.
 */
export function setSessionIdContext(ssl: unknown, context: string): boolean {
  return C.SSL_set_session_id_context(ssl, context, context.length) === 1;
}
// ---- end X509 ----
