-- plugins.json_log.entry + fields: whole entries from given values (pure Lua, no nginx).
local fields = require("plugins.json_log.fields")
local entry = require("plugins.json_log.entry")
local headerLines = require("support.header_lines")
local cjson = require("cjson")

local function encoder(specs, omit, options)
  options = options or {}
  local redact = fields.redaction(options.redact or fields.DEFAULT_REDACT_HEADERS, { "access_token" }, "sess")
  return {
    plan = fields.compile(specs, omit),
    redaction = redact,
    includeHeaders = options.include,
    maxValueBytes = options.max or 4096,
    cookieRedaction = redact.headers.cookie ~= true,
  }
end

-- entry.build with the headers given as a table (see support/header_lines.lua).
local function build(enc, vals, headers, clientIp)
  local lines, count = headerLines(headers)
  return entry.build(enc, vals, lines, count, clientIp)
end

local function values(enc, byName)
  local out = {}
  for i = 1, enc.plan.varCount do out[i] = byName[enc.plan.vars[i]] end
  return out
end

describe("entry.build", function()
  local ingress = encoder(fields.ingressSpecs(), false)

  it("writes the ingress fields with the right types", function()
    local vals = values(ingress, {
      request_method = "GET", request_uri = "/p?access_token=t&x=1", args = "access_token=t&x=1",
      uri = "/p", remote_addr = "10.0.0.1", realip_remote_addr = "10.0.0.1", hostname = "gw", status = "200", bytes_sent = "300",
      body_bytes_sent = "100", request_time = "0.012", connection_requests = "3", request_id = "abc",
      upstream_addr = "127.0.0.1:1, 127.0.0.1:2", upstream_status = "502, 200",
      upstream_connect_time = "-, 0.001", upstream_response_time = "0.002 : 0.003", msec = "1700000000.500",
    })
    local headers = { host = "h", authorization = "Bearer x", accept = { "a", "b" }, cookie = "sess=1; k=v" }
    local line = build(ingress, vals, headers, "1.2.3.4")
    assert.is_nil(line:find("\n"))
    local e = cjson.decode(line)
    assert.equal("2023-11-14T22:13:20.500Z", e.time)
    assert.equal("/p", e.request_uri)
    assert.same({ access_token = "REDACTED", x = "1" }, e.args)
    assert.equal("1.2.3.4", e.client_ip)
    assert.equal(200, e.status)
    assert.equal(0.012, e.request_time)
    assert.same({ "127.0.0.1:1", "127.0.0.1:2" }, e.upstream_addr)
    assert.equal(2, e.upstream_tries)
    assert.same({ 502, 200 }, e.upstream_status)
    assert.equal(cjson.null, e.upstream_connect_time[1])
    assert.same({ 0.002, 0.003 }, e.upstream_response_time)
    assert.same({}, e.upstream_bytes_sent)
    assert.truthy(line:find('"upstream_bytes_sent":[]', 1, true))
    assert.equal("REDACTED", e.headers.authorization)
    assert.equal("REDACTED", e.headers.cookie)
    assert.same({ "a", "b" }, e.headers.accept)
  end)

  it("passes nginx's numbers through as written, rewriting only leading-zero forms", function()
    local line = build(ingress, values(ingress, { status = "000", request_time = "0.000", bytes_sent = "0",
      body_bytes_sent = "120", connection_requests = "07" }), nil, nil)
    assert.truthy(line:find('"status":0,', 1, true))
    assert.truthy(line:find('"request_time":0.000,', 1, true))
    assert.truthy(line:find('"bytes_sent":0,', 1, true))
    assert.truthy(line:find('"body_bytes_sent":120,', 1, true))
    assert.truthy(line:find('"connection_requests":7,', 1, true))
    assert.equal(0, cjson.decode(line).request_time)
  end)

  it("writes null for unset variables and {} / [] for empty ones", function()
    local line = build(ingress, {}, {}, nil)
    local e = cjson.decode(line)
    assert.equal(cjson.null, e.request_method)
    assert.truthy(line:find('"args":{}', 1, true))
    assert.truthy(line:find('"headers":{}', 1, true))
    assert.truthy(line:find('"upstream_status":[]', 1, true))
    assert.equal(0, e.upstream_tries)
    assert.equal(cjson.null, e.time)
    assert.equal(cjson.null, e.client_ip)
  end)

  it("client_ip is $remote_addr unless real_ip resolved one", function()
    local vals = values(ingress, { remote_addr = "10.1.1.1", realip_remote_addr = "10.1.1.1", msec = "1700000000.001" })
    local e = cjson.decode(build(ingress, vals, nil, nil))
    assert.equal("10.1.1.1", e.client_ip)
    assert.equal("2023-11-14T22:13:20.001Z", e.time)
    e = cjson.decode(build(ingress, vals, nil, "8.8.8.8"))
    assert.equal("8.8.8.8", e.client_ip)
    assert.equal("10.1.1.1", e.remote_addr)
  end)

  it("redacts only the session cookie when Cookie is not redacted", function()
    local enc = encoder(fields.ingressSpecs(), false, { redact = { "authorization" } })
    local e = cjson.decode(build(enc, {}, { cookie = "a=1; sess=secret; sess_2=more" }, nil))
    assert.equal("a=1; sess=REDACTED; sess_2=REDACTED", e.headers.cookie)
    e = cjson.decode(build(enc, {}, { cookie = { "sess_login_ab12=f", "k=v" } }, nil))
    assert.same({ "sess_login_ab12=REDACTED", "k=v" }, e.headers.cookie)
  end)

  it("redacts the session cookie inside a logged Set-Cookie request header too", function()
    local enc = encoder(fields.ingressSpecs(), false, { redact = { "authorization" } })
    local e = cjson.decode(build(enc, {}, { ["set-cookie"] = "sess_3=x; Path=/" }, nil))
    assert.equal("sess_3=REDACTED; Path=/", e.headers["set-cookie"])
  end)

  it("user fields: session cookie chunks and login cookies by prefix, Set-Cookie variables", function()
    local redact = fields.redaction({ "authorization" }, {}, "sess")
    local specs = fields.userSpecs({
      { name = "c2", value = "$cookie_sess_2" },
      { name = "cl", value = "$cookie_sess_login_9f" },
      { name = "other", value = "$cookie_theme" },
      { name = "sc", value = "$sent_http_set_cookie" },
      { name = "hc", value = "$http_cookie" },
    }, redact)
    local enc = encoder(specs, false)
    local vals = values(enc, { cookie_sess_2 = "secret2", cookie_sess_login_9f = "secret3", cookie_theme = "dark",
      sent_http_set_cookie = "a=1; Path=/, sess=secret4; HttpOnly", http_cookie = "sess_login_1=secret5; a=1" })
    local line = build(enc, vals, nil, nil)
    assert.is_nil(line:find("secret"))
    assert.same({ c2 = "REDACTED", cl = "REDACTED", other = "dark", sc = "a=1; Path=/, sess=REDACTED; HttpOnly",
      hc = "sess_login_1=REDACTED; a=1" }, cjson.decode(line))
  end)

  it("logs only included headers", function()
    local enc = encoder(fields.ingressSpecs(), false, { include = { "user-agent", "x-missing" } })
    local e = cjson.decode(build(enc, {}, { ["user-agent"] = "ua", accept = "x" }, nil))
    assert.same({ ["user-agent"] = "ua" }, e.headers)
  end)

  it("ecs leaves out absent fields and converts versions and durations", function()
    local enc = encoder(fields.ECS, true)
    local vals = values(enc, { request_time = "1.5", server_protocol = "HTTP/1.1", ssl_protocol = "TLSv1.3",
      status = "404", args = "access_token=a&b=c", request_uri = "/x?access_token=a&b=c" })
    local e = cjson.decode(build(enc, vals, nil, "9.9.9.9"))
    assert.equal(1500000000, e["event.duration"])
    assert.equal("1.1", e["http.version"])
    assert.equal("1.3", e["tls.version"])
    assert.equal("tls", e["tls.version_protocol"])
    assert.equal(404, e["http.response.status_code"])
    assert.equal("access_token=REDACTED&b=c", e["url.query"])
    assert.equal("/x", e["url.path"])
    assert.equal("9.9.9.9", e["client.ip"])
    assert.is_nil(e["http.request.method"])
    assert.is_nil(e["tls.cipher"])
  end)

  it("user fields: variables, known fields, and redaction of risky variables", function()
    local redact = fields.redaction(fields.DEFAULT_REDACT_HEADERS, { "access_token" }, "sess")
    local specs = fields.userSpecs({
      { name = "m", value = "$request_method" },
      { name = "n", value = "$request_length", type = "number" },
      { name = "auth", value = "$http_authorization" },
      { name = "ru", value = "$request_uri" },
      { name = "tok", value = "$arg_access_token" },
      { name = "s", value = "status" },
      { name = "we\"ird", value = "$cookie_sess" },
    }, redact)
    local enc = encoder(specs, false)
    local vals = values(enc, { request_method = "POST", request_length = "12", http_authorization = "secret",
      request_uri = "/a?access_token=1", arg_access_token = "1", status = "201", cookie_sess = "s" })
    local line = build(enc, vals, nil, nil)
    assert.is_nil(line:find("secret"))
    local e = cjson.decode(line)
    assert.same({ m = "POST", n = 12, auth = "REDACTED", ru = "/a?access_token=REDACTED", tok = "REDACTED",
      s = 201, ["we\"ird"] = "REDACTED" }, e)
    local _, bad = fields.userSpecs({ { name = "x", value = "nope" } }, redact)
    assert.equal(1, bad)
  end)
end)
