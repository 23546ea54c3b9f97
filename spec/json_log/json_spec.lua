-- plugins.json_log.json: the string, number and list encoders (pure Lua).
local json = require("plugins.json_log.json")
local cjson = require("cjson")

local function q(s, max) return json.quote(s, max or 1e9) end

describe("json.quote", function()
  it("passes plain text and valid UTF-8 unchanged, without escaping /", function()
    assert.equal('"/a/b?c=d"', q("/a/b?c=d"))
    assert.equal('"h\195\169llo \226\130\172 \240\159\152\128"', q("h\195\169llo \226\130\172 \240\159\152\128"))
    assert.equal('""', q(""))
    assert.equal('"\127"', q("\127"))
  end)

  it("escapes quotes, backslashes and every control character", function()
    assert.equal([["a\"b\\c"]], q('a"b\\c'))
    assert.equal([["\n\r\t\b\f"]], q("\n\r\t\b\f"))
    assert.equal([["\u0000\u0001\u001f"]], q("\0\1\31"))
    for code = 0, 31 do
      local out = q(string.char(code))
      assert.is_nil(out:find("%c"), "raw control byte " .. code)
      assert.equal(string.char(code), cjson.decode(out))
    end
  end)

  it("replaces each byte that is not well-formed UTF-8 with \\ufffd", function()
    assert.equal([["a\ufffdb"]], q("a\255b"))
    assert.equal([["\ufffd"]], q("\128"))                       -- lone continuation
    assert.equal([["\ufffd\ufffd"]], q("\192\175"))             -- overlong '/'
    assert.equal([["\ufffd\ufffd\ufffd"]], q("\237\160\128"))   -- surrogate D800
    assert.equal([["\ufffd\ufffd\ufffd\ufffd"]], q("\244\144\128\128")) -- above U+10FFFF
    assert.equal([["\ufffdx"]], q("\226x"))                     -- truncated sequence
    assert.equal("\"\195\169\\ufffd\"", q("\195\169\169"))       -- extra continuation
    assert.equal([["\ufffd\ufffd"]], q("\226\130"))             -- cut 3-byte sequence
    assert.equal([["\ufffd\"\n"]], q("\255\"\n"))
  end)

  it("cuts long values at a character boundary and marks them", function()
    assert.equal('"abcd' .. json.TRUNCATED .. '"', q("abcdefgh", 4))
    -- a 2-byte character across the cut is left out whole
    assert.equal('"abc' .. json.TRUNCATED .. '"', q("abc\195\169fg", 4))
    assert.equal('"ab' .. json.TRUNCATED .. '"', q("ab\240\159\152\128zz", 4))
    assert.equal('"abcd"', q("abcd", 4))
  end)

  it("isUtf8 agrees", function()
    assert.is_true(json.isUtf8("h\195\169llo"))
    assert.is_false(json.isUtf8("\195"))
    assert.is_false(json.isUtf8("\237\160\128"))
  end)
end)

describe("json numbers and lists", function()
  it("numberOrNull gives finite numbers or null", function()
    assert.equal(200, json.numberOrNull("200"))
    assert.equal(0.001, json.numberOrNull("0.001"))
    assert.equal("null", json.numberOrNull("-"))
    assert.equal("null", json.numberOrNull(nil))
    assert.equal("null", json.numberOrNull("1e999"))
    assert.equal("null", json.numberOrNull("abc"))
  end)

  it("numberList reads nginx lists", function()
    assert.equal("[]", json.numberList(nil))
    assert.equal("[200]", json.numberList("200"))
    assert.equal("[0.004]", json.numberList("0.004"))
    assert.equal("[502,200]", json.numberList("502, 200"))
    assert.equal("[null]", json.numberList("-"))
    assert.equal("[0.001,null,0.002]", json.numberList("0.001, - : 0.002"))
    assert.equal("[5]", json.numberList("05"))
    for _, text in ipairs({ "502, 200", "-", "1 : 2, 3", "0.000", "12.", "x, y" }) do
      assert.is_table(cjson.decode(json.numberList(text)))
    end
  end)

  it("stringList reads address lists and counts them", function()
    local list, count = json.stringList(nil, 100)
    assert.equal("[]", list); assert.equal(0, count)
    list, count = json.stringList("127.0.0.1:8080", 100)
    assert.equal('["127.0.0.1:8080"]', list); assert.equal(1, count)
    list, count = json.stringList("127.0.0.1:1, 127.0.0.1:2 : unix:/tmp/x.sock", 100)
    assert.equal('["127.0.0.1:1","127.0.0.1:2","unix:/tmp/x.sock"]', list); assert.equal(3, count)
    list, count = json.stringList("[::1]:80, [::1]:81", 100)
    assert.equal('["[::1]:80","[::1]:81"]', list); assert.equal(2, count)
  end)

  it("nanoseconds converts seconds", function()
    assert.equal(1234000000, json.nanoseconds("1.234"))
    assert.equal(0, json.nanoseconds("0.000"))
    assert.equal("null", json.nanoseconds(nil))
  end)
end)
