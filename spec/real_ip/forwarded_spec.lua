-- plugins.real_ip.forwarded: RFC 7239 parser and walk, pure Lua.
local ip = require("plugins.lib.ip")
local walk = require("plugins.real_ip.walk")
local forwarded = require("plugins.real_ip.forwarded")

local function nodes(...)
  local list = {}
  for _, line in ipairs({ ... }) do forwarded.parseForwardedLine(line, list) end
  return list
end

describe("real_ip Forwarded parser", function()
  it("reads the for= value of each element, quoted or not, parameter names in any case", function()
    assert.same({ "192.0.2.43", "198.51.100.17" }, nodes("for=192.0.2.43, for=198.51.100.17"))
    assert.same({ "[2001:db8:cafe::17]:4711" }, nodes('For="[2001:db8:cafe::17]:4711"'))
    assert.same({ "192.0.2.60" }, nodes("for=192.0.2.60;proto=http;by=203.0.113.43"))
    assert.same({ "192.0.2.60" }, nodes("proto=http ; FOR=192.0.2.60 ;by=203.0.113.43"))
    assert.same({ "unknown", "_hidden" }, nodes('for=unknown, for="_hidden"'))
  end)

  it("unescapes quoted-pairs and keeps commas and semicolons inside quotes", function()
    assert.same({ '1.1.1.1' }, nodes('for="\\1.1.1\\.1"'))
    assert.same({ "a,b;c", "2.2.2.2" }, nodes('for="a,b;c", for=2.2.2.2'))
    assert.same({ 'x"y' }, nodes('for="x\\"y"'))
  end)

  it("joins several lines in order and skips empty elements", function()
    assert.same({ "1.1.1.1", "2.2.2.2", "3.3.3.3" }, nodes("for=1.1.1.1", "for=2.2.2.2,, for=3.3.3.3"))
    assert.same({}, nodes(""))
  end)

  it("marks elements without for=, with for= twice, and lines that do not parse", function()
    assert.same({ false, "2.2.2.2" }, nodes("proto=https, for=2.2.2.2"))
    assert.same({ false }, nodes("for=1.1.1.1;for=2.2.2.2"))
    for _, bad in ipairs({ 'for="1.1.1.1', "for=[::1]", "for=1.1.1.1:80", "for = 1.1.1.1", "for", "=1.1.1.1",
      "for=1.1.1.1 x", 'for="a\1b"', 'for="a\\', "for=1.1.1.1;;=" }) do
      local list = nodes("for=9.9.9.9, for=8.8.8.8", bad)
      assert.is_false(list[#list], bad)
    end
  end)
end)

describe("real_ip Forwarded nodes", function()
  local function node(text)
    if not forwarded.parseNode(text) then return nil end
    return walk.stepAddress(text), walk.step.port
  end

  it("reads IPv4, bracketed IPv6, ports and obfuscated ports", function()
    assert.same({ "192.0.2.43" }, { node("192.0.2.43") })
    assert.same({ "192.0.2.43", 47011 }, { node("192.0.2.43:47011") })
    assert.same({ "2001:db8:cafe::17" }, { node("[2001:db8:cafe::17]") })
    assert.same({ "2001:db8:cafe::17", 4711 }, { node("[2001:DB8:CAFE::17]:4711") })
    assert.same({ "192.0.2.43" }, { node("192.0.2.43:_abc-1.x") })
  end)

  it("refuses unknown, obfuscated nodes, bare IPv6, port 0 and junk", function()
    for _, bad in ipairs({ "unknown", "UNKNOWN", "_hidden", "2001:db8::1", "[2001:db8::1", "1.1.1.1:0", "1.1.1.1:65536",
      "1.1.1.1:", "[::1]:", "[::1]x", "1.1.1.1:_", "1.1.1.1:_a b", "[fe80::1%eth0]", "01.1.1.1", "" }) do
      assert.is_nil(node(bad), bad)
    end
  end)
end)

describe("real_ip Forwarded walk", function()
  local trusted = assert(ip.compileCidrs({ "127.0.0.1", "10.0.0.0/8" }))
  local function resolve(recursive, ...)
    local list = nodes(...)
    local at = forwarded.walkForwarded(list, trusted, recursive, true)
    if at < 0 then return nil end
    return walk.stepAddress(list[at + 1])
  end

  it("walks right to left while trusted", function()
    assert.equal("2001:db8::17", resolve(true, 'for=6.6.6.6, for="[2001:db8::17]:4711", for=10.0.0.2'))
    assert.equal("6.6.6.6", resolve(true, "for=6.6.6.6", "for=10.0.0.3, for=10.0.0.2"))
    assert.equal("10.0.0.2", resolve(false, "for=6.6.6.6, for=10.0.0.2"))
  end)

  it("stops at unknown, obfuscated, missing and malformed nodes", function()
    assert.equal("10.0.0.2", resolve(true, "for=1.1.1.1, for=unknown, for=10.0.0.2"))
    assert.equal("10.0.0.2", resolve(true, 'for=1.1.1.1, for="_x", for=10.0.0.2'))
    assert.equal("10.0.0.2", resolve(true, "for=1.1.1.1, by=10.0.0.9, for=10.0.0.2"))
    assert.equal("10.0.0.2", resolve(true, "for=1.1.1.1, for=garbage", "for=10.0.0.2"))
    assert.is_nil(resolve(true, "for=unknown"))
    assert.is_nil(resolve(true, "for=1.1.1.1, for=10.0.0.2, for=[::1]"))
  end)

  it("survives random bytes", function()
    math.randomseed(7239)
    for _ = 1, 2000 do
      local bytes = {}
      for i = 1, math.random(1, 60) do bytes[i] = string.char(math.random(0, 255)) end
      resolve(true, "for=1.1.1.1;" .. table.concat(bytes))
      resolve(true, 'for="' .. table.concat(bytes))
    end
  end)
end)
