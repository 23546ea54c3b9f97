-- plugins.real_ip.walk: nginx's X-Forwarded-For walk, pure Lua.
local ip = require("plugins.lib.ip")
local walk = require("plugins.real_ip.walk")

local trusted = assert(ip.compileCidrs({ "127.0.0.1", "10.0.0.0/8", "2001:db8::/32" }))

-- The address a single line resolves to from a trusted peer, or nil when unchanged.
local function resolve(line, recursive)
  if recursive == nil then recursive = true end
  local status = walk.walkLine(line, trusted, recursive, true)
  if status == walk.DECLINED then return nil end
  local port = walk.step.port
  return walk.stepAddress(line) .. (port and (" port " .. port) or "")
end

describe("real_ip walk: one line", function()
  it("follows nginx's examples (REFERENCE 4)", function()
    assert.equal("1.1.1.1", resolve("6.6.6.6, 1.1.1.1, 10.0.0.2"))
    assert.equal("10.0.0.3", resolve("10.0.0.3, 10.0.0.2"))
    assert.equal("10.0.0.2", resolve("1.1.1.1, garbage, 10.0.0.2"))
    assert.is_nil(resolve("1.1.1.1, 10.0.0.2, garbage"))
  end)

  it("takes one step when not recursive", function()
    assert.equal("10.0.0.2", resolve("6.6.6.6, 1.1.1.1, 10.0.0.2", false))
    assert.equal("1.1.1.1", resolve("1.1.1.1", false))
    assert.is_nil(resolve("1.1.1.1, garbage", false))
  end)

  it("splits on spaces and commas only, skipping runs of them", function()
    assert.equal("1.1.1.1", resolve("1.1.1.1,,  10.0.0.2 , ,"))
    assert.equal("1.1.1.1", resolve("1.1.1.1 10.0.0.2"))
    assert.is_nil(resolve("1.1.1.1;10.0.0.2"))
    assert.is_nil(resolve("10.0.0.2\t"))
  end)

  it("reads ports and bracketed IPv6, and writes IPv6 as nginx does", function()
    assert.equal("1.1.1.1 port 8080", resolve("1.1.1.1:8080, 10.0.0.2:1"))
    assert.equal("2001:db8::1 port 443", resolve("[2001:DB8:0::1]:443"))
    assert.equal("6.6.6.6", resolve("6.6.6.6, [2001:db8::1]:443"))
    assert.equal("::ffff:6.6.6.6", resolve("::ffff:6.6.6.6, ::ffff:10.1.1.1"))
  end)

  it("stops at what nginx cannot parse: port 0, ports above 65535, zone ids, unknown, 255.255.255.255", function()
    for _, bad in ipairs({ "1.1.1.1:0", "1.1.1.1:65536", "fe80::1%eth0", "unknown", "255.255.255.255",
      "::ffff:255.255.255.255", "[::1]", "1:2:3:4:5:6:7:8:9", '"1.1.1.1"', "" }) do
      assert.is_nil(resolve(bad), bad)
      assert.equal("10.0.0.2", resolve(bad .. ", 10.0.0.2"), bad)
    end
    -- ffff:...:ffff in hex is an address nginx parses
    assert.equal("::ffff:255.255.255.255", resolve("::ffff:ffff:ffff"))
  end)

  it("keeps the peer when the peer is not trusted", function()
    assert.equal(walk.DECLINED, walk.walkLine("1.1.1.1", trusted, true, false))
  end)

  it("records where the trusted chain starts", function()
    local line = "6.6.6.6, 1.1.1.1, 10.0.0.2"
    walk.walkLine(line, trusted, true, true)
    assert.equal("1.1.1.1, 10.0.0.2", line:sub(walk.step.start))
    assert.is_false(walk.step.trusted)
  end)

  it("survives huge and random input", function()
    local big = ("1.1.1.1, "):rep(8000) .. "10.0.0.2"
    assert.equal("1.1.1.1", resolve(big))
    local chain = {}
    for i = 1, 1000 do chain[i] = ("10.0.%d.%d"):format(i % 256, i % 200) end
    assert.equal("6.6.6.6", resolve("6.6.6.6, " .. table.concat(chain, ", ")))
    assert.is_nil(resolve(("x"):rep(65536)))
    assert.is_nil(resolve((":"):rep(65536)))
    math.randomseed(42)
    for _ = 1, 2000 do
      local bytes = {}
      for i = 1, math.random(1, 40) do bytes[i] = string.char(math.random(0, 255)) end
      resolve(table.concat(bytes))
    end
  end)
end)

describe("real_ip walk: several lines", function()
  local function lines(list, recursive)
    if recursive == nil then recursive = true end
    local at = walk.walkLines(list, trusted, recursive, true)
    if at < 0 then return nil end
    return walk.stepAddress(list[at + 1]), at
  end

  it("walks the last line first and goes on only after a line was walked to its start", function()
    assert.same({ "6.6.6.6", 0 }, { lines({ "6.6.6.6", "10.0.0.2" }) })
    assert.same({ "1.1.1.1", 1 }, { lines({ "6.6.6.6", ", 1.1.1.1", "10.0.0.2" }) })
    assert.same({ "10.0.0.2", 2 }, { lines({ "6.6.6.6", "", "10.0.0.2" }) })
    assert.is_nil(lines({ "1.1.1.1", "" }))
    assert.same({ "10.0.0.2", 1 }, { lines({ "6.6.6.6", "10.0.0.2" }, false) })
  end)

  it("knows when nginx's joined value may walk differently from the lines", function()
    assert.is_false(walk.joinedIsAmbiguous("1.1.1.1, 10.0.0.2"))
    assert.is_false(walk.joinedIsAmbiguous("1.1.1.1,10.0.0.2 10.0.0.3"))
    assert.is_false(walk.joinedIsAmbiguous("1.1.1.1 ,  10.0.0.2"))
    assert.is_false(walk.joinedIsAmbiguous(""))
    assert.is_true(walk.joinedIsAmbiguous("1.1.1.1, , 10.0.0.2"))
    assert.is_true(walk.joinedIsAmbiguous(", 10.0.0.2"))
    assert.is_true(walk.joinedIsAmbiguous("1.1.1.1, "))
    assert.is_false(walk.joinedIsAmbiguous("1.1.1.1,, 10.0.0.2"))
    assert.is_true(walk.joinedIsAmbiguous("1.1.1.1, ,10.0.0.2"))
  end)
end)

describe("real_ip walk: the fast path for joined values", function()
  local pool = { "1.1.1.1", "10.0.0.2", "10.0.0.3:80", "127.0.0.1", "6.6.6.6:0", "2001:db8::1", "[2001:db8::2]:443",
    "garbage", "010.0.0.1", "10.0.0.256", "255.255.255.255", "0.0.0.0", "10.0.0.1:65536", "::ffff:10.0.0.9",
    "1.2.3.4x", "1.2.3.4:", "1.2.3.4:8:8", "[1.2.3.4]:80", "fe80::1%eth0", "10.0.0.00", "10.0.0.0",
    "10.0.0.2 ", " 10.0.0.3", "10.0.0.2.", ".10.0.0.2", "10..0.2", "10.0.0.", "255.0.0.255", "10.1.2.3.4", "1000.0.0.1", "" }
  local seps = { ", ", ",", " ", ",,", ", ", " ," }

  -- The same answer as walkLine, with the cache of trusted entries cold and warm.
  it("agrees with walkLine on every clean value", function()
    math.randomseed(1)
    for _, recursive in ipairs({ true, false }) do
      for _ = 1, 3000 do
        local parts = {}
        for i = 1, math.random(1, 6) do
          parts[#parts + 1] = pool[math.random(#pool)]
          if i > 0 then parts[#parts + 1] = seps[math.random(#seps)] end
        end
        parts[#parts] = nil
        local text = table.concat(parts)
        if not walk.joinedIsAmbiguous(text) then
          local expected = walk.walkLine(text, trusted, recursive, true) ~= walk.DECLINED
            and { walk.stepAddress(text), walk.step.port, walk.step.start } or {}
          for _ = 1, 2 do
            local got = walk.walkJoined(text, trusted, recursive)
              and { walk.stepAddress(text), walk.step.port, walk.step.start } or {}
            assert.same(expected, got, text)
          end
        end
      end
    end
  end)
end)
