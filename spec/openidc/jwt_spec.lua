-- plugins.openidc.jwk / jws / jwt under plain LuaJIT, with tokens and keys made by npm jose
-- (spec/openidc/make_fixtures.mjs). The fixtures carry fixed timestamps; `now` matches them.
local jwk = require("plugins.openidc.jwk")
local jwt = require("plugins.openidc.jwt")
local fx = require("openidc.jwt_fixtures")

local keyset = assert(jwk.parseJwks(fx.jwks))
local algs = { "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS512" }

local NIL = {} -- in `over`: remove the option

local function options(over)
  local o = {
    keys = keyset,
    hmacKey = jwk.secretKey(fx.secret),
    issuer = fx.issuer,
    audience = fx.client,
    clientId = fx.client,
    allowedAlgs = algs,
    clockSkew = 60,
    now = fx.now,
    nonce = "n-1",
    requireIat = true,
  }
  for k, v in pairs(over or {}) do
    if v == NIL then o[k] = nil else o[k] = v end
  end
  return o
end

local function refused(token, over, failure, reason)
  local claims, why, kind = jwt.validate(token, options(over))
  assert.is_nil(claims)
  assert.equal(failure, kind, why)
  if reason then assert.truthy(why:find(reason, 1, true), why) end
end

describe("jwk.parseJwks", function()
  it("keeps the signing keys and says why it left the others out", function()
    local kids = {}
    for _, k in ipairs(keyset.keys) do kids[#kids + 1] = k.kid end
    assert.same({ "rsa1", "ec256", "ec384", "ec521", "ed1" }, kids)
    assert.equal(3, #keyset.skipped)
    assert.truthy(keyset.skipped[1]:find('key 7 (kid "oct1"): symmetric (oct) keys are not accepted', 1, true))
    assert.truthy(keyset.skipped[2]:find('key 8 (kid "offcurve"): d2i_PUBKEY', 1, true))
    assert.truthy(keyset.skipped[3]:find('key 9 (kid "short"): RSA modulus of 1024 bits', 1, true))
  end)

  it("refuses documents without usable keys", function()
    local _, err = jwk.parseJwks("[1]")
    assert.equal("JWKS is not a JSON object", err)
    _, err = jwk.parseJwks('{"keys": 1}')
    assert.equal('JWKS has no "keys" list', err)
    _, err = jwk.parseJwks('{"keys": []}')
    assert.equal("JWKS has no signing key", err)
    _, err = jwk.parseJwks('{"keys": [{"kty": "RSA", "n": "a+b", "e": "AQAB"}]}')
    assert.equal('JWKS has no usable signing key: key 1: "n" is not base64url', err)
    _, err = jwk.parseJwks('{"keys": [{"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}]}')
    assert.truthy(err:find("unsupported EC curve", 1, true))
    _, err = jwk.parseJwks('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}]}')
    assert.truthy(err:find('"x" must be 32 bytes', 1, true))
    _, err = jwk.parseJwks('{"keys": [{"kty": "RSA", "e": "AQAB"}]}')
    assert.truthy(err:find('"n" is missing', 1, true))
    _, err = jwk.parseJwks('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAA"}]}')
    assert.truthy(err:find('"e" is not an odd exponent', 1, true))
    _, err = jwk.parseJwks("{")
    assert.equal("JWKS is not a JSON object", err)
  end)

  it("gives kids fit for a log line", function()
    assert.equal('"abc-1"', jwk.describeKid("abc-1"))
    assert.equal("(unprintable)", jwk.describeKid("a\nb"))
    assert.equal("(unprintable)", jwk.describeKid(string.rep("a", 65)))
  end)
end)

describe("jwt.validate", function()
  for _, alg in ipairs(algs) do
    it("accepts a valid " .. alg .. " token", function()
      local claims, why = jwt.validate(fx.tokens[alg], options())
      assert.is_nil(why)
      assert.equal("user-1", claims.sub)
    end)
  end

  it("accepts a token without kid when exactly one key fits its alg", function()
    assert.is_table((jwt.validate(fx.tokens.no_kid, options())))
  end)

  it("refuses a token without kid when several keys fit its alg (OpenID Connect Core 10.1)", function()
    local ec
    for _, k in ipairs(keyset.keys) do if k.kid == "ec256" then ec = k end end
    local twoKeys = { keys = { ec, { kid = "ec256-next", kty = ec.kty, crv = ec.crv, publicKey = ec.publicKey } }, skipped = {} }
    refused(fx.tokens.no_kid, { keys = twoKeys }, "signature", "token has no kid and the JWKS has 2 keys for alg ES256")
    -- With a kid, the same key set is unambiguous.
    assert.is_table((jwt.validate(fx.tokens.ES256, options({ keys = twoKeys }))))
  end)

  it("refuses alg none, unsupported and disallowed algs", function()
    refused(fx.tokens.none, nil, "algorithm", "alg none is refused")
    refused(fx.tokens.none_sig, { allowedAlgs = { "none", "RS256" } }, "algorithm", "alg none is refused")
    refused(fx.tokens.ES256, { allowedAlgs = { "RS256" } }, "algorithm", "alg ES256 is not allowed")
  end)

  it("never verifies HMAC with a public key (HS256 signed with the RSA key's PEM)", function()
    refused(fx.tokens.HS256_rsa_pem, nil, "signature", "signature does not match")
    refused(fx.tokens.HS256_rsa_pem, { hmacKey = NIL }, "signature", "no HMAC key")
  end)

  it("refuses a tampered payload and a key of the wrong curve", function()
    refused(fx.tokens.tampered, nil, "signature", "signature does not match")
    refused(fx.tokens.ES256_wrong_curve, nil, "signature", "no key fits alg ES256")
  end)

  it("tells an unknown kid apart (worth one JWKS refetch)", function()
    refused(fx.tokens.unknown_kid, nil, "unknown_key", 'no key with kid "rotated" in the JWKS')
  end)

  it("refuses crit extensions", function()
    refused(fx.tokens.crit, nil, "malformed", "crit")
  end)

  it("checks iss, aud and azp", function()
    refused(fx.tokens.RS256, { issuer = "https://op.example/" }, "claims", "iss")
    refused(fx.tokens.RS256, { audience = "other" }, "claims", "aud does not contain")
    assert.is_table((jwt.validate(fx.tokens.RS256, options({ audience = { "x", fx.client } }))))
    refused(fx.tokens.aud_list_without_client, nil, "claims", "aud does not contain")
    refused(fx.tokens.aud_number, nil, "claims", "aud is missing or not a string or list")
    refused(fx.tokens.several_aud_no_azp, nil, "claims", "azp is missing in a token with several audiences")
    assert.is_table((jwt.validate(fx.tokens.several_aud_no_azp, options({ clientId = NIL }))))
    assert.is_table((jwt.validate(fx.tokens.several_aud_azp, options())))
    refused(fx.tokens.azp_other, nil, "claims", "azp is not the client_id")
    refused(fx.tokens.RS256, { requireAzp = true }, "claims", "azp is missing")
  end)

  it("checks exp, nbf and iat with the clock skew", function()
    refused(fx.tokens.RS256, { now = fx.now + 360 }, "expired", "token expired")
    assert.is_table((jwt.validate(fx.tokens.RS256, options({ now = fx.now + 359 }))))
    refused(fx.tokens.no_exp, nil, "claims", "exp is missing")
    refused(fx.tokens.exp_string, nil, "claims", "exp is missing or not a number")
    refused(fx.tokens.exp_overflow, { nonce = NIL, requireIat = NIL }, "claims", "exp is missing or not a number")
    refused(fx.tokens.nbf_future, nil, "claims", "nbf")
    assert.is_table((jwt.validate(fx.tokens.nbf_future, options({ clockSkew = 120 }))))
    refused(fx.tokens.iat_future, nil, "claims", "iat")
    refused(fx.tokens.no_iat, nil, "claims", "iat is missing")
    assert.is_table((jwt.validate(fx.tokens.no_iat, options({ requireIat = NIL }))))
    refused(fx.tokens.sub_number, nil, "claims", "sub is not a string")
  end)

  it("checks the nonce", function()
    refused(fx.tokens.RS256, { nonce = "n-2" }, "claims", "nonce does not match")
    assert.is_table((jwt.validate(fx.tokens.RS256, options({ nonce = NIL }))))
  end)

  it("answers malformed tokens with a reason, never an error", function()
    local t = fx.tokens.RS256
    local h, p, s = t:match("^([^.]+)%.([^.]+)%.([^.]+)$")
    local cases = {
      { nil, "token is empty" }, { 42, "token is empty" }, { "", "token is empty" },
      { "abc", "no '.'" }, { "a.b", "two parts" }, { t .. ".x.y", "more than three parts" },
      { "." .. p .. "." .. s, "empty part" }, { h .. "." .. p .. ".", "empty part" },
      { h .. ".." .. s, "empty part" },
      { h .. "=." .. p .. "." .. s, "header is not base64url" },
      { h .. "." .. p .. "." .. s .. "=", "signature is not base64url" },
      { h .. "." .. p .. "." .. s:sub(1, -2) .. "+", "signature is not base64url" },
      { "e30." .. p .. "." .. s, "header has no alg" },
      { "WzFd." .. p .. "." .. s, "header is not a JSON object" },
      { "bm90IGpzb24." .. p .. "." .. s, "header is not a JSON object" },
      { string.rep("a", jwt.MAX_TOKEN_BYTES + 1), "longer than" },
      { fx.tokens.payload_array, "payload is not a JSON object" },
      { fx.tokens.payload_not_json, "payload is not a JSON object" },
      { h .. "." .. p .. "." .. s:sub(1, 20), "signature does not match" },
    }
    for _, case in ipairs(cases) do
      local ok, claims, why, kind = pcall(jwt.validate, case[1], options({ nonce = NIL, requireIat = NIL }))
      assert.is_true(ok, tostring(claims))
      assert.is_nil(claims)
      assert.truthy(why and why:find(case[2], 1, true), tostring(why) .. " (wanted " .. case[2] .. ")")
      assert.truthy(kind == "malformed" or kind == "signature", kind)
    end
  end)

  it("refuses truncated and bit-flipped ES256, PS256 and EdDSA signatures", function()
    for _, alg in ipairs({ "ES256", "PS256", "EdDSA" }) do
      local t = fx.tokens[alg]
      local cut = t:sub(1, -5)
      local _, why = jwt.validate(cut, options())
      assert.truthy(why, alg)
      local last = t:sub(-6, -6)
      local flipped = t:sub(1, -7) .. (last == "A" and "B" or "A") .. t:sub(-5)
      refused(flipped, nil, "signature", "signature")
    end
  end)
end)
