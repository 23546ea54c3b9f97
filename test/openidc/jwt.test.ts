// plugins.openidc.jwt (with jwk, jws and plugins.lib.openssl) in real nginx: tokens made here by
// npm jose, keys published as a JWKS parsed at init, validation in a worker through the FFI
// binding to the libcrypto nginx links (ffi.C).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { generateKeyPairSync, createHmac, KeyObject } from "node:crypto";
import { SignJWT, exportJWK, exportSPKI, base64url } from "jose";
import { startNginx, luaString, Nginx } from "../../harness/nginx.mjs";

const ISSUER = "https://op.test";
const CLIENT = "resty-ts";
const SECRET = "client-secret-with-enough-entropy-123";

type KeyName = "rsa" | "rsa_next" | "ec256" | "ec384" | "ed" | "rsa_other" | "ec256_other";
const keys = {
  rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  // A second RSA key in the JWKS (as during a key rotation).
  rsa_next: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  ec256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  ec384: generateKeyPairSync("ec", { namedCurve: "P-384" }),
  ed: generateKeyPairSync("ed25519"),
  // Keys not in the JWKS, for signatures that must not verify.
  rsa_other: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  ec256_other: generateKeyPairSync("ec", { namedCurve: "P-256" }),
} satisfies Record<KeyName, { privateKey: KeyObject; publicKey: KeyObject }>;

let nginx: Nginx;

interface Verdict {
  sub?: string;
  reason?: string;
  failure?: string;
}

/** Runs the validator in nginx on `token`, with option overrides (null removes an option). */
async function check(token: unknown, options: Record<string, unknown> = {}): Promise<Verdict> {
  const response = await nginx.fetch("/validate", { method: "POST", body: JSON.stringify({ token, options }) });
  expect(response.status).toBe(200);
  return (await response.json()) as Verdict;
}

const now = () => Math.floor(Date.now() / 1000);
const baseClaims = () => ({ iss: ISSUER, aud: CLIENT, sub: "alice", nonce: "n-0S6_WzA2Mj", iat: now() - 5, exp: now() + 300 });

/** A token signed by jose with the named key (kid = the key name unless `header.kid` says otherwise). */
function sign(alg: string, key: KeyName | "secret", claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const signingKey = key === "secret" ? new TextEncoder().encode(SECRET) : keys[key].privateKey;
  const protectedHeader = { alg, ...(key === "secret" ? {} : { kid: key }), ...header };
  return new SignJWT({ ...baseClaims(), ...claims }).setProtectedHeader(protectedHeader).sign(signingKey);
}

const b64json = (value: unknown) => base64url.encode(JSON.stringify(value));

/** Replaces one character of the signature part, well inside it, so the bytes change. */
function flipSignature(token: string): string {
  const at = token.length - 10;
  return token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
}

beforeAll(async () => {
  const jwks = {
    keys: [
      { ...(await exportJWK(keys.rsa.publicKey)), kid: "rsa", use: "sig" },
      { ...(await exportJWK(keys.rsa_next.publicKey)), kid: "rsa_next", use: "sig" },
      { ...(await exportJWK(keys.ec256.publicKey)), kid: "ec256", use: "sig" },
      { ...(await exportJWK(keys.ec384.publicKey)), kid: "ec384", alg: "ES384" },
      { ...(await exportJWK(keys.ed.publicKey)), kid: "ed" },
    ],
  };
  nginx = await startNginx({
    init: `
      plugins = require("plugins")
      plugins.init({})
      local jwk = require("plugins.openidc.jwk")
      local keyset = assert(jwk.parseJwks(${luaString(JSON.stringify(jwks))}))
      package.loaded.jwt_test = {
        keys = keyset,
        hmacKey = jwk.secretKey(${luaString(SECRET)}),
      }`,
    locations: `
      location = /libcrypto {
        content_by_lua_block {
          local ossl = require("plugins.lib.openssl")
          ngx.say(ossl.libcrypto == require("ffi").C and "ffi.C" or "loaded", " ", string.format("%x", ossl.version()))
        }
      }
      location = /primitives {
        content_by_lua_block {
          local ossl = require("plugins.lib.openssl")
          local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
          local key = assert(ossl.hkdfSha256(string.rep(string.char(11), 22), "", "", 32))
          local nonce = assert(ossl.randomBytes(12))
          local sealed = assert(ossl.aes256GcmEncrypt(key, nonce, "secret session", "aad"))
          local opened = assert(ossl.aes256GcmDecrypt(key, nonce, sealed, "aad"))
          local tampered = sealed:sub(1, 3) .. string.char((sealed:byte(4) + 1) % 256) .. sealed:sub(5)
          local _, tamperErr = ossl.aes256GcmDecrypt(key, nonce, tampered, "aad")
          ngx.say(hex((ossl.sha256("abc"))))
          ngx.say(hex((ossl.hmacSha256("Jefe", "what do ya want for nothing?"))))
          ngx.say(hex(key))
          ngx.say(opened, " ", #sealed, " ", tamperErr)
          ngx.say(ossl.constantTimeEquals("a", "a"), " ", ossl.constantTimeEquals("a", "b"))
        }
      }
      location = /validate {
        client_body_buffer_size 1m;
        client_max_body_size 1m;
        content_by_lua_block {
          local jwt = require("plugins.openidc.jwt")
          local cjson = require("cjson.safe")
          local fixture = package.loaded.jwt_test
          ngx.req.read_body()
          local request = cjson.decode(ngx.req.get_body_data())
          local options = {
            keys = fixture.keys, hmacKey = fixture.hmacKey,
            issuer = "${ISSUER}", audience = "${CLIENT}", clientId = "${CLIENT}",
            allowedAlgs = { "RS256", "PS256", "ES256", "ES384", "EdDSA", "HS256" },
            clockSkew = 60, now = ngx.time(), nonce = "n-0S6_WzA2Mj", requireIat = true,
          }
          for k, v in pairs(request.options) do
            if v == cjson.null then options[k] = nil else options[k] = v end
          end
          local claims, reason, failure = jwt.validate(request.token, options)
          ngx.say(cjson.encode({ sub = claims and claims.sub, reason = reason, failure = failure }))
        }
      }`,
  });
});

afterAll(async () => {
  await nginx?.stop();
});

describe("JWT validation in nginx", () => {
  it("uses the libcrypto 3 nginx links (ffi.C), not a second copy", async () => {
    expect(await (await nginx.fetch("/libcrypto")).text()).toMatch(/^ffi\.C 30[0-9a-f]{6}\n$/);
  });

  it.each([
    ["RS256", "rsa"],
    ["PS256", "rsa"],
    ["ES256", "ec256"],
    ["ES384", "ec384"],
    ["EdDSA", "ed"],
    ["HS256", "secret"],
  ] as const)("accepts a valid %s token", async (alg, key) => {
    expect(await check(await sign(alg, key))).toEqual({ sub: "alice" });
  });

  it("refuses a wrong issuer, audience and nonce", async () => {
    expect(await check(await sign("RS256", "rsa", { iss: "https://evil.test" }))).toMatchObject({ failure: "claims", reason: "iss is not the expected issuer" });
    expect(await check(await sign("RS256", "rsa", { aud: "someone-else" }))).toMatchObject({ failure: "claims", reason: "aud does not contain the expected audience" });
    expect(await check(await sign("ES256", "ec256", { nonce: "replayed" }))).toMatchObject({ failure: "claims", reason: "nonce does not match" });
    expect(await check(await sign("ES256", "ec256", { nonce: undefined }))).toMatchObject({ failure: "claims", reason: "nonce does not match" });
  });

  it("refuses expired tokens and tokens not valid yet, allowing the clock skew", async () => {
    expect(await check(await sign("RS256", "rsa", { exp: now() - 120 }))).toMatchObject({ failure: "expired" });
    expect(await check(await sign("RS256", "rsa", { exp: now() - 30 }))).toEqual({ sub: "alice" });
    expect(await check(await sign("RS256", "rsa", { nbf: now() + 600 }))).toMatchObject({ failure: "claims", reason: "token not valid yet (nbf)" });
    expect(await check(await sign("RS256", "rsa", { nbf: now() + 30 }))).toEqual({ sub: "alice" });
    expect(await check(await sign("RS256", "rsa", { iat: now() + 600 }))).toMatchObject({ failure: "claims" });
  });

  it("refuses alg none, even when the allow-list names it", async () => {
    const claims = baseClaims();
    const unsigned = `${b64json({ alg: "none" })}.${b64json(claims)}.`;
    expect(await check(unsigned)).toMatchObject({ failure: "algorithm", reason: "alg none is refused" });
    expect(await check(unsigned, { allowedAlgs: ["none", "RS256"] })).toMatchObject({ failure: "algorithm" });
    const withRsaSignature = `${b64json({ alg: "none", kid: "rsa" })}.${b64json(claims)}.${(await sign("RS256", "rsa")).split(".")[2]}`;
    expect(await check(withRsaSignature)).toMatchObject({ failure: "algorithm" });
  });

  it("refuses HS256 signed with the RSA public key (algorithm confusion)", async () => {
    const pem = await exportSPKI(keys.rsa.publicKey);
    const jwk = JSON.stringify(await exportJWK(keys.rsa.publicKey));
    for (const secret of [pem, jwk]) {
      const token = await new SignJWT(baseClaims()).setProtectedHeader({ alg: "HS256", kid: "rsa" }).sign(new TextEncoder().encode(secret));
      expect(await check(token)).toMatchObject({ failure: "signature" });
    }
    // Without a configured HMAC key, HS256 has nothing to be checked with: refused.
    expect(await check(await sign("HS256", "secret"), { hmacKey: null })).toMatchObject({ failure: "signature", reason: "no HMAC key for alg HS256" });
  });

  it("refuses algorithms outside the allow-list", async () => {
    expect(await check(await sign("ES256", "ec256"), { allowedAlgs: ["RS256"] })).toMatchObject({ failure: "algorithm", reason: "alg ES256 is not allowed" });
    expect(await check(await sign("RS512", "rsa"))).toMatchObject({ failure: "algorithm", reason: "alg RS512 is not allowed" });
  });

  it("refuses a tampered payload", async () => {
    const [header, , signature] = (await sign("RS256", "rsa")).split(".");
    const forged = `${header}.${b64json({ ...baseClaims(), sub: "admin" })}.${signature}`;
    expect(await check(forged)).toMatchObject({ failure: "signature", reason: "signature does not match" });
  });

  it("reports an unknown kid as its own failure (the caller refetches the JWKS once)", async () => {
    expect(await check(await sign("RS256", "rsa_other", {}, { kid: "next-key" }))).toEqual({ failure: "unknown_key", reason: 'no key with kid "next-key" in the JWKS' });
    expect(await check(await sign("RS256", "rsa", {}, { kid: "bad\nkid" }))).toMatchObject({ failure: "unknown_key", reason: "no key with kid (unprintable) in the JWKS" });
  });

  it("takes a token without kid only when one JWKS key fits its alg (OpenID Connect Core 10.1)", async () => {
    const withoutKid = async (alg: string, key: KeyName) => new SignJWT(baseClaims()).setProtectedHeader({ alg }).sign(keys[key].privateKey);
    // One P-256 key: no doubt which key signed.
    expect(await check(await withoutKid("ES256", "ec256"))).toEqual({ sub: "alice" });
    // Two RSA keys: refused even though one of them verifies the signature.
    expect(await check(await withoutKid("RS256", "rsa"))).toEqual({ failure: "signature", reason: "token has no kid and the JWKS has 2 keys for alg RS256" });
    expect(await check(await withoutKid("RS256", "rsa_next"))).toMatchObject({ failure: "signature" });
    expect(await check(await sign("RS256", "rsa_next"))).toEqual({ sub: "alice" });
  });

  it("refuses invalid ES256, PS256 and EdDSA signatures", async () => {
    // Signed by a key that is not the one the kid names.
    expect(await check(await sign("ES256", "ec256_other", {}, { kid: "ec256" }))).toMatchObject({ failure: "signature" });
    expect(await check(await sign("PS256", "rsa_other", {}, { kid: "rsa" }))).toMatchObject({ failure: "signature" });
    // Altered signature bytes.
    for (const [alg, key] of [["ES256", "ec256"], ["PS256", "rsa"], ["EdDSA", "ed"], ["ES384", "ec384"]] as const) {
      expect(await check(flipSignature(await sign(alg, key)))).toMatchObject({ failure: "signature" });
    }
    // An ES256 signature of the wrong size, and an ES256 token pointing at the P-384 key.
    const [esHeader, esPayload, esSignature] = (await sign("ES256", "ec256")).split(".");
    const shortSignature = base64url.encode(base64url.decode(esSignature).subarray(0, 63));
    expect(await check(`${esHeader}.${esPayload}.${shortSignature}`)).toMatchObject({ failure: "signature", reason: "signature has the wrong length" });
    expect(await check(await sign("ES256", "ec256", {}, { kid: "ec384" }))).toMatchObject({ failure: "signature", reason: "no key fits alg ES256" });
    // An RS256 signature presented as PS256 (same key, other padding).
    const [, payload, rsSig] = (await sign("RS256", "rsa")).split(".");
    expect(await check(`${b64json({ alg: "PS256", kid: "rsa" })}.${payload}.${rsSig}`)).toMatchObject({ failure: "signature" });
  });

  it("applies the azp rules", async () => {
    const several = { aud: [CLIENT, "api://other"] };
    expect(await check(await sign("RS256", "rsa", several))).toMatchObject({ failure: "claims", reason: "azp is missing in a token with several audiences" });
    expect(await check(await sign("RS256", "rsa", { ...several, azp: CLIENT }))).toEqual({ sub: "alice" });
    expect(await check(await sign("RS256", "rsa", { azp: "another-client" }))).toMatchObject({ failure: "claims", reason: "azp is not the client_id" });
    expect(await check(await sign("RS256", "rsa"), { requireAzp: true })).toMatchObject({ failure: "claims", reason: "azp is missing" });
    // Access tokens: no client_id given, audience is the API; azp belongs to the calling client.
    const apiToken = await sign("ES256", "ec256", { aud: ["api://orders", "api://other"], azp: "some-spa", nonce: undefined });
    expect(await check(apiToken, { clientId: null, nonce: null, audience: "api://orders" })).toEqual({ sub: "alice" });
    expect(await check(apiToken, { clientId: null, nonce: null, audience: ["api://billing"] })).toMatchObject({ failure: "claims" });
  });

  it("answers truncated and garbage tokens with a reason", async () => {
    const good = await sign("RS256", "rsa");
    const [h, p, s] = good.split(".");
    const cases: Array<[unknown, string]> = [
      ["", "token is empty"],
      [42, "token is empty"],
      ["garbage", "no '.'"],
      [good.slice(0, good.indexOf(".") + 5), "two parts"],
      [`${h}.${p}`, "two parts"],
      [`${good}.${s}.${s}`, "more than three parts"],
      [`${h}.${p}.`, "empty part"],
      [`${h.slice(0, -1)}.${p}.${s}`, "header is not"],
      [`${h}.${p}.${s}!`, "signature is not base64url"],
      [`${h}.${p}.${s}==`, "signature is not base64url"],
      [`${b64json([1])}.${p}.${s}`, "header is not a JSON object"],
      [`${base64url.encode("{\"alg\":")}.${p}.${s}`, "header is not a JSON object"],
      [`${h}.${p.slice(0, -3)}.${s}`, "signature does not match"],
      ["a.".repeat(20000), "longer than"],
      ["\u00e9.\u00e9.\u00e9", "header is not base64url"],
    ];
    for (const [token, reason] of cases) {
      const verdict = await check(token);
      expect(verdict.sub, String(token).slice(0, 40)).toBeUndefined();
      expect(verdict.reason, String(token).slice(0, 40)).toContain(reason);
    }
  });

  it("checks the HMAC of HS256 in constant time against the configured secret only", async () => {
    const input = `${b64json({ alg: "HS256" })}.${b64json(baseClaims())}`;
    const mac = createHmac("sha256", SECRET).update(input).digest();
    expect(await check(`${input}.${base64url.encode(mac)}`)).toEqual({ sub: "alice" });
    mac[0] ^= 1;
    expect(await check(`${input}.${base64url.encode(mac)}`)).toMatchObject({ failure: "signature" });
  });

  it("runs every primitive the session code needs inside nginx", async () => {
    const lines = (await (await nginx.fetch("/primitives")).text()).split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      // RFC 5869 case 3, first 32 bytes
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d",
      "secret session 30 aes-256-gcm: authentication failed",
      "true false",
    ]);
  });

  it("left no error in the log", () => {
    expect(nginx.badLogLines()).toEqual([]);
  });
});
