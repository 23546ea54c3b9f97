-- plugins.lib.openssl under plain LuaJIT (libcrypto.so.3 loaded by name): known-answer vectors.
local ossl = require("plugins.lib.openssl")

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local function unhex(h)
  return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
end

describe("openssl", function()
  it("loads libcrypto 3", function()
    assert.is_true(ossl.version() >= 0x30000000)
  end)

  it("SHA-256 (FIPS 180-2 'abc')", function()
    local d, err = ossl.sha256("abc")
    assert.is_nil(err)
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex(d))
    assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex((ossl.sha256(""))))
  end)

  it("HMAC-SHA256 and HMAC-SHA512 (RFC 4231 cases 1, 2, 6)", function()
    assert.equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      hex((ossl.hmacSha256(string.rep("\11", 20), "Hi There"))))
    assert.equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      hex((ossl.hmacSha256("Jefe", "what do ya want for nothing?"))))
    assert.equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      hex((ossl.hmacSha256(string.rep("\170", 131), "Test Using Larger Than Block-Size Key - Hash Key First"))))
    assert.equal("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
      hex((ossl.hmac(ossl.sha512Digest, "Jefe", "what do ya want for nothing?"))))
  end)

  it("HKDF-SHA256 (RFC 5869 cases 1 and 3)", function()
    local okm, err = ossl.hkdfSha256(string.rep("\11", 22), unhex("000102030405060708090a0b0c"), unhex("f0f1f2f3f4f5f6f7f8f9"), 42)
    assert.is_nil(err)
    assert.equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", hex(okm))
    okm = ossl.hkdfSha256(string.rep("\11", 22), "", "", 42)
    assert.equal("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", hex(okm))
    local _, e = ossl.hkdfSha256("k", "", "", 0)
    assert.equal("hkdf: bad length", e)
    _, e = ossl.hkdfSha256("k", "", "", 255 * 32 + 1)
    assert.equal("hkdf: bad length", e)
  end)

  local key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
  local iv = unhex("cafebabefacedbaddecaf888")
  local aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
  local pt = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
  local ct = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
  local tag = "76fc6ece0f4e1768cddf8853bb2d551b"

  it("AES-256-GCM encrypts the GCM spec test case 16", function()
    local sealed, err = ossl.aes256GcmEncrypt(key, iv, pt, aad)
    assert.is_nil(err)
    assert.equal(ct .. tag, hex(sealed))
    -- test case 13: empty plaintext, zero key and nonce: the tag alone
    assert.equal("530f8afbc74536b9a963b4f1c4cb738b", hex((ossl.aes256GcmEncrypt(string.rep("\0", 32), string.rep("\0", 12), ""))))
  end)

  it("AES-256-GCM decrypts, and refuses any altered byte, key, nonce or aad", function()
    local sealed = unhex(ct .. tag)
    local plain, err = ossl.aes256GcmDecrypt(key, iv, sealed, aad)
    assert.is_nil(err)
    assert.equal(pt, plain)
    for _, i in ipairs({ 1, 30, #sealed - 16, #sealed - 15, #sealed }) do
      local b = sealed:byte(i)
      local bad = sealed:sub(1, i - 1) .. string.char((b + 1) % 256) .. sealed:sub(i + 1)
      local p, e = ossl.aes256GcmDecrypt(key, iv, bad, aad)
      assert.is_nil(p)
      assert.equal("aes-256-gcm: authentication failed", e)
    end
    assert.is_nil((ossl.aes256GcmDecrypt(key, iv, sealed, aad .. "x")))
    assert.is_nil((ossl.aes256GcmDecrypt(key, iv, sealed)))
    assert.is_nil((ossl.aes256GcmDecrypt(key:sub(2) .. "x", iv, sealed, aad)))
    assert.is_nil((ossl.aes256GcmDecrypt(key, iv:sub(2) .. "x", sealed, aad)))
    assert.is_nil((ossl.aes256GcmDecrypt(key, iv, sealed:sub(1, -2), aad)))
    local _, e = ossl.aes256GcmDecrypt(key, iv, "short", aad)
    assert.equal("aes-256-gcm: input shorter than the tag", e)
    _, e = ossl.aes256GcmEncrypt("short", iv, "x")
    assert.equal("aes-256-gcm: key must be 32 bytes", e)
    _, e = ossl.aes256GcmEncrypt(key, "short", "x")
    assert.equal("aes-256-gcm: nonce must be 12 bytes", e)
    -- the shared context still works after failures, and for large inputs
    local big = string.rep("0123456789abcdef", 1000)
    local s2 = assert(ossl.aes256GcmEncrypt(key, iv, big, ""))
    assert.equal(big, (ossl.aes256GcmDecrypt(key, iv, s2, "")))
  end)

  it("random bytes", function()
    local a, err = ossl.randomBytes(32)
    assert.is_nil(err)
    assert.equal(32, #a)
    assert.not_equal(a, (ossl.randomBytes(32)))
    assert.is_nil((ossl.randomBytes(0)))
  end)

  it("constant-time equality", function()
    assert.is_true(ossl.constantTimeEquals("abc", "abc"))
    assert.is_false(ossl.constantTimeEquals("abc", "abd"))
    assert.is_false(ossl.constantTimeEquals("abc", "ab"))
    assert.is_true(ossl.constantTimeEquals("", ""))
  end)

  it("base64url: round trip and strict decoding", function()
    for n = 0, 40 do
      local data = (ossl.randomBytes(n + 1)):sub(2)
      local text = ossl.base64UrlEncode(data)
      assert.is_nil(text:find("[^%w%-_]"))
      assert.equal(data, (ossl.base64UrlDecode(text)))
    end
    assert.equal("-_8", ossl.base64UrlEncode("\251\255"))
    assert.equal("\251\255", (ossl.base64UrlDecode("-_8")))
    local bad = { "-_8=", "ab+c", "ab/c", "a", "ab c", "ab\ncd", "QR", "QUF", "QUJ=" }
    for _, text in ipairs(bad) do
      local v, e = ossl.base64UrlDecode(text)
      assert.is_nil(v, text)
      assert.truthy(e:find("^base64url: "), text)
    end
    assert.equal("A", (ossl.base64UrlDecode("QQ")))
    assert.equal("AA", (ossl.base64UrlDecode("QUE")))
  end)

  it("ECDSA JOSE r||s to DER", function()
    local r = string.rep("\1", 32)
    local s = "\128" .. string.rep("\2", 31)
    local der = assert(ossl.ecdsaSignatureToDer(r .. s))
    assert.equal("3045" .. "0220" .. string.rep("01", 32) .. "022100" .. "80" .. string.rep("02", 31), hex(der))
    local _, e = ossl.ecdsaSignatureToDer("abc")
    assert.equal("ecdsa: bad signature length", e)
  end)

  it("public keys from DER; errors carry OpenSSL's reason and leave the queue empty", function()
    local k, e = ossl.publicKeyFromDer("\48\3\2\1\1")
    assert.is_nil(k)
    assert.truthy(e:find("^d2i_PUBKEY: "))
  end)
end)

describe("openssl.base64UrlDecode, every character", function()
  local ossl = require("plugins.lib.openssl")
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

  it("refuses every byte outside the alphabet, in a group and in the tail", function()
    for b = 0, 255 do
      local c = string.char(b)
      local inside = alphabet:find(c, 1, true) ~= nil
      for _, text in ipairs({ c .. "AAA", "AAA" .. c, "AAAA" .. c .. "A", "AAAAA" .. c .. "A" }) do
        local v = ossl.base64UrlDecode(text)
        if inside then assert.is_string(v, text) else assert.is_nil(v, ("byte %d in %q"):format(b, text)) end
      end
    end
  end)

  it("accepts only the canonical last character", function()
    local ok2, ok3 = 0, 0
    for i = 1, 64 do
      local c = alphabet:sub(i, i)
      if ossl.base64UrlDecode("Q" .. c) then ok2 = ok2 + 1 end
      if ossl.base64UrlDecode("QU" .. c) then ok3 = ok3 + 1 end
    end
    assert.equal(4, ok2)
    assert.equal(16, ok3)
  end)
end)
