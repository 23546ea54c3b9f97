-- plugins.cert_selection.names: SNI normalisation, store names, lookup, coverage (pure Lua).
local names = require("plugins.cert_selection.names")

describe("normaliseSni", function()
  local n = names.normaliseSni

  it("lower-cases ASCII and removes one trailing dot", function()
    assert.equal("www.example.com", n("WWW.Example.COM"))
    assert.equal("www.example.com", n("www.example.com."))
    assert.is_nil(n("www.example.com.."):match("^www%.example%.com$"))
  end)

  it("matches nothing for empty, over-long, IP-literal and odd-byte names", function()
    assert.is_nil(n(nil))
    assert.is_nil(n(""))
    assert.is_nil(n("."))
    assert.is_nil(n(string.rep("a", 254)))
    assert.equal(string.rep("a", 253), n(string.rep("a", 253)))
    assert.equal(string.rep("a", 253), n(string.rep("a", 253) .. "."))
    assert.is_nil(n(string.rep("a", 300)))
    assert.is_nil(n("10.0.0.1"))
    assert.is_nil(n("10.0.0.1."))
    assert.is_nil(n("::1"))
    assert.is_nil(n("[::1]"))
    assert.is_nil(n("a\0.example.com"))
    assert.is_nil(n("caf\195\169.example.com"))
    assert.is_nil(n("*.example.com"))
    assert.is_nil(n("a b.example.com"))
    assert.is_nil(n("a/b"))
  end)

  it("keeps digits-and-letters names that only look numeric in part", function()
    assert.equal("1.2.3.4.nip.io", n("1.2.3.4.nip.io"))
    assert.equal("123abc", n("123ABC"))
  end)
end)

describe("storeName", function()
  local s = names.storeName

  it("normalises plain names and wildcards of the whole leftmost label", function()
    assert.equal("a.example.com", (s("A.Example.com.")))
    assert.equal("*.example.com", (s("*.Example.COM")))
    assert.equal("localhost", (s("localhost")))
  end)

  it("refuses partial, nested, too-high and malformed wildcards and names", function()
    for _, bad in ipairs({ "*.com", "*", "*.", "a*.example.com", "*a.example.com", "*.*.example.com",
      "a.*.example.com", "**.example.com", "", ".example.com", "a..example.com", "10.0.0.1", "*.10.0.0.1x" }) do
      local name, err = s(bad)
      if bad == "*.10.0.0.1x" then
        assert.equal("*.10.0.0.1x", name)
      else
        assert.is_nil(name, bad)
        assert.is_string(err, bad)
      end
    end
    local name, err = s(42)
    assert.is_nil(name)
    assert.matches("must be a string", err)
  end)
end)

describe("lookup", function()
  local index = names.newIndex()
  local function add(name, value)
    local key = assert(names.storeName(name))
    local slot = names.slotFor(index, key, function() return {} end)
    slot.value = value
  end
  add("example.com", "apex")
  add("*.example.com", "wild")
  add("www.example.com", "www")
  add("*.b.example.com", "wild-b")

  local function value(name)
    local slot = names.lookup(index, name)
    return slot and slot.value
  end

  it("prefers the exact name, then the one-label wildcard", function()
    assert.equal("www", value("www.example.com"))
    assert.equal("apex", value("example.com"))
    assert.equal("wild", value("a.example.com"))
    assert.equal("wild-b", value("x.b.example.com"))
    assert.equal("wild", value("b.example.com"))
  end)

  it("never covers two labels, the bare parent of a missing apex, or an empty label", function()
    assert.is_nil(value("a.c.example.com"))
    assert.is_nil(value("c.example.org"))
    assert.is_nil(value(".example.com"))
    assert.is_nil(value("com"))
    assert.is_nil(value("b.example.com.evil"))
  end)
end)

describe("covers", function()
  local c = names.covers
  it("allows equal names and one-label wildcard coverage only", function()
    assert.is_true(c("a.example.com", "a.example.com"))
    assert.is_true(c("*.example.com", "a.example.com"))
    assert.is_true(c("*.example.com", "*.example.com"))
    assert.is_false(c("*.example.com", "example.com"))
    assert.is_false(c("*.example.com", "a.b.example.com"))
    assert.is_false(c("a.example.com", "*.example.com"))
    assert.is_false(c("a.example.com", "b.example.com"))
  end)
end)
