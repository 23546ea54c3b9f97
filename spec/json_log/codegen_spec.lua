-- plugins.json_log.codegen: the generated builder writes exactly what entry.build writes.
local fields = require("plugins.json_log.fields")
local entry = require("plugins.json_log.entry")
local headerLines = require("support.header_lines")
local codegen = require("plugins.json_log.codegen")

local function encoder(specs, omit, max)
  local redact = fields.redaction(fields.DEFAULT_REDACT_HEADERS, { "access_token" }, "sess")
  return { plan = fields.compile(specs, omit), redaction = redact, maxValueBytes = max or 64, cookieRedaction = false }
end

local samples = {
  {},
  { request_method = "GET", request_uri = "/a?b=c&access_token=x", args = "b=c&access_token=x", uri = "/a",
    remote_addr = "10.0.0.1", status = "200", bytes_sent = "0", request_time = "0.004", msec = "1700000000.250",
    upstream_addr = "1.1.1.1:80, 2.2.2.2:80 : 3.3.3.3:80", upstream_status = "502, 200 : -", request_id = "ab12",
    server_protocol = "HTTP/2.0", ssl_protocol = "TLSv1.3", http_user_agent = "ua\n\"x\"\255", request_length = "000" },
  { status = "", uri = string.rep("\226\130\172", 40), args = "&&=&a", msec = "bogus" },
  { status = "0", request_time = "0.000", bytes_sent = "07", upstream_addr = "unix:/s", request_length = "0.5" },
}
local headerSets = { nil, {}, { a = "1", b = { "x", "y" }, authorization = "t", ["x\255"] = "\0" } }

-- The builder writes into entry.entryBuffer; this gives what it wrote.
local function built(builder, values, headers, clientIp)
  entry.entryBuffer:put("left over") -- the builder must replace, not append
  local lines, count = headerLines(headers)
  builder(values, lines, count, clientIp)
  return entry.entryBuffer:tostring()
end

local function check(enc)
  local builder = codegen.compileBuilder(enc)
  for _, sample in ipairs(samples) do
    local values = {}
    for i = 1, enc.plan.varCount do values[i] = sample[enc.plan.vars[i]] end
    for h = 1, 3 do
      for _, ip in ipairs({ false, "9.9.9.9" }) do
        local clientIp = ip or nil
        local lines, count = headerLines(headerSets[h])
        assert.equal(entry.build(enc, values, lines, count, clientIp), built(builder, values, headerSets[h], clientIp))
      end
    end
  end
end

describe("codegen", function()
  it("matches entry.build for the ingress format", function() check(encoder(fields.ingressSpecs(), false)) end)
  it("matches entry.build with values long enough to be cut and memoized ones read inline", function()
    -- maxValueBytes at or above the memo's limit: the generated code reads quote's memo itself.
    local enc = encoder(fields.ingressSpecs(), false, 300)
    check(enc)
    check(enc) -- again, now with every short value memoized
    local long = string.rep("x", 400)
    local values = {}
    for i = 1, enc.plan.varCount do values[i] = long end
    entry.entryBuffer:reset()
    codegen.compileBuilder(enc)(values, nil, 0, nil)
    assert.equal(entry.build(enc, values, nil, 0, nil), entry.entryBuffer:tostring())
  end)
  it("matches entry.build for the ecs format (absent fields left out)", function() check(encoder(fields.ECS, true)) end)
  it("matches entry.build for user fields of every kind", function()
    local redact = fields.redaction(fields.DEFAULT_REDACT_HEADERS, { "access_token" }, "sess")
    local list = {}
    for name in pairs(fields.KNOWN) do list[#list + 1] = { name = "k_" .. name, value = name } end
    table.sort(list, function(a, b) return a.name < b.name end)
    for _, v in ipairs({ "$request_uri", "$args", "$request", "$http_cookie", "$http_authorization", "$request_length" }) do
      list[#list + 1] = { name = v, value = v }
    end
    local specs = fields.userSpecs(list, redact)
    check(encoder(specs, false))
    check(encoder(specs, true))
    check(encoder({}, false))
  end)
  it("counts upstream_addr entries with or without the list field, in any order", function()
    local redact = fields.redaction(fields.DEFAULT_REDACT_HEADERS, {}, "sess")
    local specs = fields.userSpecs({ { name = "t1", value = "upstream_tries" }, { name = "a", value = "upstream_addr" },
      { name = "t2", value = "upstream_tries" }, { name = "a2", value = "upstream_addr" } }, redact)
    check(encoder(specs, false))
    local enc = encoder(specs, false)
    local line = built(codegen.compileBuilder(enc), { "1.1.1.1:80, 2.2.2.2:80 : 3.3.3.3:80" }, nil, nil)
    assert.equal('{"t1":3,"a":["1.1.1.1:80","2.2.2.2:80","3.3.3.3:80"],"t2":3,"a2":["1.1.1.1:80","2.2.2.2:80","3.3.3.3:80"]}', line)
  end)
  it("falls back to entry.build for very long field lists", function()
    local specs = {}
    for i = 1, 80 do specs[i] = { key = "f" .. i, kind = 1, source = "uri" } end
    check(encoder(specs, false))
  end)
end)
