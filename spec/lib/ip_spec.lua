-- plugins.lib.ip: address parsers, CIDR sets and formatting, pure Lua (no ngx).
local ip = require("plugins.lib.ip")
local schema = require("plugins.lib.schema")

local function v6(text)
  return { ip.parseIpv6(text) }
end

describe("ip.parseIpv4", function()
  it("parses dotted quads to their 32-bit value", function()
    assert.equal(0x01020304, ip.parseIpv4("1.2.3.4"))
    assert.equal(0, ip.parseIpv4("0.0.0.0"))
    assert.equal(4294967295, ip.parseIpv4("255.255.255.255"))
    assert.equal(0x0A000001, ip.parseIpv4("x10.0.0.1y", 2, 9))
  end)

  it("refuses nginx's leniencies and anything malformed", function()
    for _, bad in ipairs({ "", "1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "01.2.3.4",
      "001.002.003.004", "256.1.1.1", "1.2.3.1000", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "a.b.c.d",
      "1.2.3.4:80", "1.2.3.4/8", "0x1.2.3.4", "1.2.3.4%eth0", "1111.2.3.4" }) do
      assert.is_nil(ip.parseIpv4(bad), bad)
    end
  end)
end)

describe("ip.parseIpv6", function()
  it("parses full, compressed and embedded-IPv4 forms", function()
    assert.same({ 0x20010db8, 0, 0, 1 }, v6("2001:db8::1"))
    assert.same({ 0x20010db8, 0, 0, 1 }, v6("2001:DB8:0000:0:0:0:0:0001"))
    assert.same({ 0, 0, 0, 0 }, v6("::"))
    assert.same({ 0, 0, 0, 1 }, v6("::1"))
    assert.same({ 0x00010000, 0, 0, 0 }, v6("1::"))
    assert.same({ 0, 0, 0xffff, 0x01020304 }, v6("::ffff:1.2.3.4"))
    assert.same({ 0, 0, 0, 0x01020304 }, v6("::1.2.3.4"))
    assert.same({ 0x00010002, 0x00030004, 0x00050006, 0x01020304 }, v6("1:2:3:4:5:6:1.2.3.4"))
    assert.same({ 0x00010002, 0x00030004, 0x00050000, 0x01020304 }, v6("1:2:3:4:5::1.2.3.4"))
    assert.same({ 0, 0x00020003, 0x00040005, 0x00060007 }, v6("::2:3:4:5:6:7"))
    assert.same({ 0x00010000, 0x00030004, 0x00050006, 0x00070008 }, v6("1::3:4:5:6:7:8"))
    assert.same({ 2, 0x00030004, 0x00050006, 0x00070000 }, v6("0:2:3:4:5:6:7:0"))
    assert.same({ 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
  end)

  it("refuses malformed forms", function()
    for _, bad in ipairs({ "", ":", ":::", "1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "::1:2:3:4:5:6:7:8",
      "1::2::3", "12345::1", "1:2:3:4:5:6:7::", ":1:2:3:4:5:6:7:8", "1::2:", ":1::2", "1:", "fe80::1%eth0",
      "::g", "2001:db8::1 ", "[::1]", "::ffff:1.2.3", "::ffff:1..2.3", "::ffff:01.2.3.4",
      "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3.4:5", "::1.2.3.4.5", "::a.2.3.4", "1.2.3.4",
      "1:2:3:4:5:6:7:8/64" }) do
      assert.is_nil(ip.parseIpv6(bad), bad)
    end
  end)
end)

describe("ip.parseAddressPort", function()
  local function parsed(text)
    return { ip.parseAddressPort(text) }
  end

  it("reads addresses with and without a port, giving the address bytes and the port", function()
    assert.same({ 4, 0, 0, 0xffff, 0x01020304, 1, 7 }, parsed("1.2.3.4"))
    assert.same({ 4, 0, 0, 0xffff, 0x01020304, 1, 7, 80 }, parsed("1.2.3.4:80"))
    assert.same({ 4, 0, 0, 0xffff, 0x01020304, 1, 7, 80 }, parsed("1.2.3.4:0080"))
    assert.same({ 6, 0x20010db8, 0, 0, 1, 2, 12, 443 }, parsed("[2001:db8::1]:443"))
    assert.same({ 6, 0x20010db8, 0, 0, 0x00010080, 1, 14 }, parsed("2001:db8::1:80"))
    assert.same({ 4, 0, 0, 0xffff, 0x01020304, 1, 7, 65535 }, parsed("1.2.3.4:65535"))
    assert.same({ 6, 0x20010db8, 0, 0, 1, 4, 14, 1 }, { ip.parseAddressPort("x [2001:db8::1]:1 y", 3, 17) })
  end)

  it("refuses port 0, ports above 65535, bracketed IPv4 and brackets without a port", function()
    for _, bad in ipairs({ "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:99999999999", "1.2.3.4:", "1.2.3.4:+80",
      "1.2.3.4:80:90", "[1.2.3.4]:80", "[::1]", "[::1]:", "[::1]:0", "[::1]:70000", "[::1]x80", "[::1",
      "::ffff:1.2.3.4:80", "[fe80::1%eth0]:80", "unknown", "", ":80", "1.2.3.4 :80" }) do
      assert.is_nil(ip.parseAddressPort(bad), bad)
    end
  end)
end)

describe("ip.compileCidrs / cidrContains", function()
  it("matches IPv4, IPv6 and unix: entries", function()
    local set = assert(ip.compileCidrs({ "10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1", "unix:", "0.0.0.0/32" }))
    assert.is_true(ip.cidrContains(set, "10.0.0.0"))
    assert.is_true(ip.cidrContains(set, "10.255.255.255"))
    assert.is_false(ip.cidrContains(set, "11.0.0.0"))
    assert.is_false(ip.cidrContains(set, "9.255.255.255"))
    assert.is_true(ip.cidrContains(set, "192.168.1.7"))
    assert.is_false(ip.cidrContains(set, "192.168.1.8"))
    assert.is_true(ip.cidrContains(set, "2001:db8:ffff::1"))
    assert.is_true(ip.cidrContains(set, "2001:DB8::"))
    assert.is_false(ip.cidrContains(set, "2001:db9::"))
    assert.is_true(ip.cidrContains(set, "::1"))
    assert.is_false(ip.cidrContains(set, "::2"))
    assert.is_true(ip.cidrContains(set, "unix:"))
    assert.is_true(ip.cidrContains(set, "0.0.0.0"))
    assert.is_false(ip.cidrContains(set, "garbage"))
    assert.is_false(ip.cidrContains(set, ""))
    assert.is_false(ip.cidrContains(assert(ip.compileCidrs({ "10.0.0.0/8" })), "unix:"))
  end)

  it("matches IPv4-mapped IPv6 addresses against IPv4 entries only", function()
    local set = assert(ip.compileCidrs({ "127.0.0.0/8", "::/0" }))
    assert.is_true(ip.cidrContains(set, "::ffff:127.0.0.1"))
    assert.is_false(ip.cidrContains(set, "::ffff:128.0.0.1"))
    assert.is_true(ip.cidrContains(set, "2001:db8::1"))
    -- An IPv6 CIDR inside ::ffff:0:0/96 is the IPv4 CIDR it denotes.
    local mapped = assert(ip.compileCidrs({ "::ffff:10.0.0.0/104" }))
    assert.is_true(ip.cidrContains(mapped, "10.1.2.3"))
    assert.is_true(ip.cidrContains(mapped, "::ffff:10.1.2.3"))
    assert.is_false(ip.cidrContains(mapped, "11.1.2.3"))
  end)

  it("handles prefix lengths at every word boundary and ignores host bits", function()
    local set = assert(ip.compileCidrs({ "2001:db8:1234:5678::/63", "10.1.2.3/8", "172.16.0.0/12" }))
    assert.is_true(ip.cidrContains(set, "2001:db8:1234:5679:ffff::"))
    assert.is_false(ip.cidrContains(set, "2001:db8:1234:567a::"))
    assert.is_true(ip.cidrContains(set, "10.200.0.1"))
    assert.is_true(ip.cidrContains(set, "172.31.255.255"))
    assert.is_false(ip.cidrContains(set, "172.32.0.0"))
    local all = assert(ip.compileCidrs({ "0.0.0.0/0", "::/0" }))
    assert.is_true(ip.cidrContains(all, "255.255.255.255"))
    assert.is_true(ip.cidrContains(all, "ffff::"))
    local exact = assert(ip.compileCidrs({ "2001:db8::1/128", "2001:db8::/96", "fe80::/10" }))
    assert.is_true(ip.cidrContains(exact, "2001:db8::1"))
    assert.is_true(ip.cidrContains(exact, "2001:db8::ffff:ffff"))
    assert.is_false(ip.cidrContains(exact, "2001:db8::1:0:0"))
    assert.is_true(ip.cidrContains(exact, "febf::"))
    assert.is_false(ip.cidrContains(exact, "fec0::"))
  end)

  it("finds an IPv4 address in overlapping, adjacent and nested ranges as a scan of the entries does", function()
    math.randomseed(7)
    for _ = 1, 300 do
      local entries, ranges = {}, {}
      for _ = 1, math.random(0, 12) do
        local base, bits = math.random(0, 255) * 16777216 + math.random(0, 3) * 65536, math.random(6, 32)
        local size = 2 ^ (32 - bits)
        local first = base - base % size
        entries[#entries + 1] = string.format("%d.%d.%d.%d/%d", math.floor(first / 16777216), math.floor(first / 65536) % 256,
          math.floor(first / 256) % 256, first % 256, bits)
        ranges[#ranges + 1] = { first, first + size - 1 }
      end
      local set = assert(ip.compileCidrs(entries))
      for _, range in ipairs(ranges) do
        for _, probe in ipairs({ range[1] - 1, range[1], range[2], range[2] + 1 }) do
          if probe >= 0 and probe <= 4294967295 then
            local expected = false
            for _, other in ipairs(ranges) do expected = expected or (probe >= other[1] and probe <= other[2]) end
            assert.equal(expected, set.v4Contains(probe), table.concat(entries, " ") .. " " .. probe)
          end
        end
      end
      assert.is_false(#entries == 0 and set.v4Contains(0))
    end
  end)

  it("names the first bad entry", function()
    for _, bad in ipairs({ "10.0.0.300", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1",
      "unix", "fe80::1%eth0/64", "", "10.0.0.0/8/8", "localhost" }) do
      local set, err = ip.compileCidrs({ "127.0.0.1", bad })
      assert.is_nil(set, bad)
      assert.equal(('invalid address or CIDR "%s" (entry 2)'):format(bad), err)
    end
    local _, err = ip.compileCidrs({ 42 })
    assert.equal("entry 1 is not a string: number 42", err)
  end)
end)

describe("ip.cidrList", function()
  local parser = schema.record({ allow = ip.cidrList({ default = { "127.0.0.1", "::1" } }) })

  it("compiles the configured list, or the default when absent", function()
    local config = assert(schema.check(parser, nil))
    assert.is_true(ip.cidrContains(config.allow, "127.0.0.1"))
    assert.is_true(ip.cidrContains(config.allow, "::1"))
    assert.is_false(ip.cidrContains(config.allow, "127.0.0.2"))
    config = assert(schema.check(parser, { allow = { "10.0.0.0/8" } }))
    assert.is_true(ip.cidrContains(config.allow, "10.9.9.9"))
    assert.is_false(ip.cidrContains(config.allow, "127.0.0.1"))
    config = assert(schema.check(parser, { allow = {} }))
    assert.is_false(ip.cidrContains(config.allow, "127.0.0.1"))
  end)

  it("names the key and the bad entry", function()
    local _, err = schema.check(parser, { allow = { "10.0.0.1", "10.0.0.300" } })
    assert.equal('key "allow[2]": expected an IP address, a CIDR or "unix:", found string "10.0.0.300"', err)
    _, err = schema.check(parser, { allow = "10.0.0.1" })
    assert.equal('key "allow": expected a list, found string "10.0.0.1"', err)
    _, err = schema.check(parser, { allow = { 1 } })
    assert.equal('key "allow[1]": expected a string, found number 1', err)
  end)
end)

describe("ip.formatIpv6", function()
  local function canonical(text)
    return ip.formatIpv6(ip.parseIpv6(text))
  end

  it("writes addresses as nginx writes $remote_addr", function()
    assert.equal("2001:db8::1", canonical("2001:0DB8:0:0:0:0:0:1"))
    assert.equal("::", canonical("::"))
    assert.equal("::1", canonical("0:0:0:0:0:0:0:1"))
    assert.equal("1::", canonical("1:0:0:0:0:0:0:0"))
    assert.equal("::ffff:1.2.3.4", canonical("::FFFF:0102:0304"))
    assert.equal("::1.2.3.4", canonical("::1.2.3.4"))
    assert.equal("::0.0.1.2", canonical("::102"))
    assert.equal("::fe", canonical("::fe"))
    assert.equal("1:0:2::3", canonical("1:0:2:0:0:0:0:3"))
    assert.equal("1:0:0:2::3", canonical("1:0:0:2:0:0:0:3"))
    assert.equal("1::2:0:0:3:4", canonical("1:0:0:2:0:0:3:4"))
    assert.equal("1:2:3:4:5:6:7:8", canonical("1:2:3:4:5:6:7:8"))
    assert.equal("1:0:3:4:5:6:7:8", canonical("1:0:3:4:5:6:7:8"))
    assert.equal("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", canonical("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF"))
  end)

  it("formats either family with formatAddress", function()
    assert.equal("10.20.30.40", ip.formatAddress(ip.parseAddress("10.20.30.40")))
    assert.equal("255.255.255.255", ip.formatAddress(ip.parseAddress("255.255.255.255")))
    assert.equal("2001:db8::", ip.formatAddress(ip.parseAddress("2001:db8:0::")))
  end)
end)
