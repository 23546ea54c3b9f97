-- plugins.real_ip.config and plugins.real_ip.connection, pure Lua.
local schema = require("plugins.lib.schema")
local ip = require("plugins.lib.ip")
local config = require("plugins.real_ip.config")
local connection = require("plugins.real_ip.connection")

describe("real_ip config", function()
  it("defaults: nobody trusted, X-Forwarded-For, recursive", function()
    local parsed = assert(schema.check(config.parser, nil))
    local settings = config.settings(parsed)
    assert.is_false(ip.cidrContains(settings.trusted, "127.0.0.1"))
    assert.is_true(settings.recursive)
    assert.equal(1, settings.source)
    assert.equal("http_x_forwarded_for", settings.variable)
    assert.is_false(settings.viaVariables)
  end)

  it("upstream_headers: request (default) or variables", function()
    local function via(value)
      return config.settings(assert(schema.check(config.parser, { upstream_headers = value }))).viaVariables
    end
    assert.is_false(via("request"))
    assert.is_true(via("variables"))
    local _, err = schema.check(config.parser, { upstream_headers = "headers" })
    assert.equal('key "upstream_headers": expected one of "request", "variables", found string "headers"', err)
  end)

  it("derives the source and variable from the header name", function()
    local function source(header)
      local s = config.settings(assert(schema.check(config.parser, { header = header })))
      return s.source, s.headerKey, s.variable
    end
    assert.same({ 1, "x-forwarded-for", "http_x_forwarded_for" }, { source("x-forwarded-for") })
    assert.same({ 2, "x-real-ip", "http_x_real_ip" }, { source("X-Real-IP") })
    assert.same({ 3, "forwarded", "http_forwarded" }, { source("Forwarded") })
    assert.same({ 4, "proxy_protocol", "http_proxy_protocol" }, { source("proxy_protocol") })
    assert.same({ 2, "cf-connecting-ip", "http_cf_connecting_ip" }, { source("CF-Connecting-IP") })
  end)

  it("names bad keys", function()
    local _, err = schema.check(config.parser, { trusted = { "10.0.0.0/8", "10.0.0.300" } })
    assert.equal('key "trusted[2]": expected an IP address, a CIDR or "unix:", found string "10.0.0.300"', err)
    _, err = schema.check(config.parser, { header = "X Real IP" })
    assert.equal('key "header": expected a header name or "proxy_protocol", found string "X Real IP"', err)
    _, err = schema.check(config.parser, { header = "" })
    assert.equal('key "header": expected a non-empty string, found string ""', err)
    _, err = schema.check(config.parser, { recursive = "yes" })
    assert.equal('key "recursive": expected true or false, found string "yes"', err)
    _, err = schema.check(config.parser, { trusted_proxies = {} })
    assert.truthy(err:find('key "trusted_proxies"', 1, true))
  end)
end)

describe("real_ip Connection header", function()
  local protected = { ["x-forwarded-for"] = true, ["x-real-ip"] = true }

  it("cheaply rules out ordinary values", function()
    assert.is_false(connection.mayName("keep-alive"))
    assert.is_false(connection.mayName("close"))
    assert.is_true(connection.mayName("X-Forwarded-For"))
    assert.is_true(connection.mayName("x-REAL-ip"))
  end)

  it("removes protected names in any case and keeps the rest", function()
    assert.equal("close, Upgrade", connection.withoutNames("close, X-Forwarded-For,Upgrade ,X-REAL-IP", protected))
    assert.is_nil(connection.withoutNames("x-forwarded-for", protected))
    assert.equal("x-forwarded-foo", connection.withoutNames("x-forwarded-foo", protected))
  end)
end)
