-- plugins.openidc.rules and plugins.openidc.cookies: pure Lua, no ngx.
local rules = require("plugins.openidc.rules")
local cookies = require("plugins.openidc.cookies")

local PASS, LOGIN, BEARER, DENY = 0, 1, 2, 3

describe("openidc rules", function()
  local compiled = rules.compileRules({
    { host = "API.example.com", path_prefix = "/v1", action = "bearer" },
    { host = "*.example.com", action = "deny" },
    { path_prefix = "/public/", action = "pass" },
    { path_prefix = "/app", action = "login" },
    { path_prefix = "/", action = "deny" },
  })

  it("takes the first rule whose host and path prefix match", function()
    assert.equal(BEARER, rules.matchRules(compiled, "api.example.com", "/v1/items"))
    assert.equal(DENY, rules.matchRules(compiled, "api.example.com", "/v2"))
    assert.equal(DENY, rules.matchRules(compiled, "x.example.com", "/app"))
    assert.equal(LOGIN, rules.matchRules(compiled, "example.com", "/app"))
    assert.equal(PASS, rules.matchRules(compiled, "other.org", "/public/a/b"))
  end)

  it("matches path prefixes at segment boundaries unless they end with /", function()
    assert.equal(LOGIN, rules.matchRules(compiled, "h", "/app/x"))
    assert.equal(DENY, rules.matchRules(compiled, "h", "/apples"))
    assert.equal(DENY, rules.matchRules(compiled, "h", "/public"))
    assert.equal(BEARER, rules.matchRules(compiled, "api.example.com", "/v1"))
  end)

  it("lets unmatched requests pass", function()
    local only = rules.compileRules({ { path_prefix = "/app", action = "login" } })
    assert.equal(PASS, rules.matchRules(only, "h", "/other"))
    assert.equal(PASS, rules.matchRules({}, "h", "/"))
  end)

  it("does not let a wildcard host match the bare domain", function()
    local wild = rules.compileRules({ { host = "*.example.com", action = "deny" } })
    assert.equal(PASS, rules.matchRules(wild, "example.com", "/"))
    assert.equal(PASS, rules.matchRules(wild, "badexample.com", "/"))
    assert.equal(DENY, rules.matchRules(wild, "a.b.example.com", "/"))
  end)
end)

describe("openidc cookies", function()
  it("stores a short value in one cookie and deletes chunks left from a longer one", function()
    local out = {}
    assert.is_nil(cookies.storeChunked(out, "s", "abc", "; Path=/", 60, 3))
    assert.same({
      "s=abc; Path=/; Max-Age=60",
      "s_2=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
      "s_3=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    }, out)
  end)

  it("splits a long value and joins it back", function()
    local value = string.rep("x", cookies.CHUNK_SIZE * 2 + 5)
    local out = {}
    assert.is_nil(cookies.storeChunked(out, "s", value, "", 60, 0))
    assert.equal(3, #out)
    local first = out[1]:match("^s=([^;]*)")
    local count, piece = cookies.chunkCount(first)
    assert.equal(3, count)
    local joined = piece .. out[2]:match("^s_2=([^;]*)") .. out[3]:match("^s_3=([^;]*)")
    assert.equal(value, joined)
  end)

  it("refuses values over the chunk limit and malformed chunk counts", function()
    assert.matches("more than", cookies.storeChunked({}, "s", string.rep("x", cookies.CHUNK_SIZE * cookies.MAX_CHUNKS + 1), "", 60, 0))
    assert.is_nil((cookies.chunkCount("1.abc")))
    assert.equal(1, (cookies.chunkCount("abc")))
  end)

  it("finds the login-flow cookies by prefix", function()
    assert.same({ "s_login_ab12", "s_login_ff00" },
      cookies.namesWithPrefix("a=1; s_login_ab12=x;s_login_ff00=y; s=z; xs_login_1=q", "s_login_"))
    assert.same({}, cookies.namesWithPrefix(nil, "s_login_"))
  end)
end)
