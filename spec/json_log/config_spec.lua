-- plugins.json_log.config: redaction lists add to the defaults; unredact_* takes defaults off.
local config = require("plugins.json_log.config")
local schema = require("plugins.lib.schema")

local function parsed(section)
  local value, err = schema.check(config.parse, section)
  assert.is_nil(err)
  return value
end

local function sorted(list)
  table.sort(list)
  return list
end

describe("json_log config redaction lists", function()
  it("defaults: the four headers and five query names", function()
    local c = parsed({})
    assert.same(sorted({ "authorization", "proxy-authorization", "cookie", "set-cookie" }), sorted(config.redactedHeaders(c)))
    assert.same(sorted({ "access_token", "id_token", "refresh_token", "code", "client_secret" }), sorted(config.redactedQuery(c)))
  end)

  it("redact_headers and redact_query add to the defaults (lower-cased)", function()
    local c = parsed({ redact_headers = { "X-Api-Key" }, redact_query = { "Password" } })
    local headers = config.redactedHeaders(c)
    assert.same(sorted({ "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key" }), sorted(headers))
    assert.same(sorted({ "access_token", "id_token", "refresh_token", "code", "client_secret", "password" }), sorted(config.redactedQuery(c)))
  end)

  it("unredact_headers / unredact_query take defaults off, explicitly", function()
    local c = parsed({ unredact_headers = { "Cookie" }, unredact_query = { "code" } })
    assert.same(sorted({ "authorization", "proxy-authorization", "set-cookie" }), sorted(config.redactedHeaders(c)))
    assert.same(sorted({ "access_token", "id_token", "refresh_token", "client_secret" }), sorted(config.redactedQuery(c)))
  end)

  it("refuses unredacting a name that is not a default, naming the key", function()
    local _, err = schema.check(config.parse, { unredact_headers = { "x-api-key" } })
    assert.matches('key "unredact_headers%[1%]": expected one of authorization, proxy%-authorization, cookie, set%-cookie', err)
  end)

  it("refuses a name in both lists", function()
    local c = parsed({ redact_headers = { "cookie" }, unredact_headers = { "cookie" } })
    assert.matches('key "unredact_headers": "cookie" is also in redact_headers', config.crossCheck(c))
  end)
end)
