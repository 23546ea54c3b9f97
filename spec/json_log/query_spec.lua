-- plugins.json_log.query: query objects, query and cookie redaction (pure Lua).
local query = require("plugins.json_log.query")
local cjson = require("cjson")

local none = query.nameSet({})
local tokens = query.nameSet({ "access_token", "Code" })

describe("query.objectOf", function()
  it("decodes names and values, groups repeats, keeps order-independent content", function()
    assert.equal("{}", query.objectOf(nil, none, 100))
    assert.equal("{}", query.objectOf("", none, 100))
    assert.same({ a = "1", b = { "2", "3" }, c = "", ["d e"] = "x/y" },
      cjson.decode(query.objectOf("a=1&b=2&b=3&c&d+e=x%2fy", none, 100)))
    assert.same({ ["="] = "==" }, cjson.decode(query.objectOf("%3D===", none, 100)))
    assert.same({ a = "%zz" }, cjson.decode(query.objectOf("a=%zz&&", none, 100)))
  end)

  it("redacts listed names, case-insensitively", function()
    assert.same({ access_token = "REDACTED", CODE = "REDACTED", x = "1" },
      cjson.decode(query.objectOf("access_token=abc&CODE=1&x=1", tokens, 100)))
    assert.same({ access_token = "REDACTED" }, cjson.decode(query.objectOf("access_token=a&access_token=b", tokens, 100)))
  end)

  it("never leaves scratch state behind between calls", function()
    query.objectOf("a=1&b=2", none, 100)
    assert.same({ c = "3" }, cjson.decode(query.objectOf("c=3", none, 100)))
  end)
end)

describe("query redaction of raw strings", function()
  it("redactQuery replaces listed values only", function()
    assert.equal("a=1&access_token=REDACTED&code=REDACTED", query.redactQuery("a=1&access_token=xyz&code=9", tokens))
    assert.equal("a=1&b=2", query.redactQuery("a=1&b=2", tokens))
    assert.equal("access%5Ftoken=REDACTED", query.redactQuery("access%5Ftoken=xyz", tokens))
  end)

  it("redactUri and redactRequestLine keep the path", function()
    assert.equal("/cb?code=REDACTED&state=s", query.redactUri("/cb?code=abc&state=s", tokens))
    assert.equal("/x", query.redactUri("/x", tokens))
    assert.equal("GET /cb?code=REDACTED HTTP/1.1", query.redactRequestLine("GET /cb?code=abc HTTP/1.1", tokens))
  end)

  it("requestPath strips the query", function()
    assert.equal("/a/b", query.requestPath("/a/b?c=d?e"))
    assert.equal("/a", query.requestPath("/a"))
  end)
end)

describe("query.redactCookies", function()
  local names = { resty_ts_session = true }
  it("redacts the session cookie, its chunks and login-flow cookies (by prefix), nothing else", function()
    assert.equal("a=1; resty_ts_session=REDACTED; resty_ts_session_2=REDACTED; b=2",
      query.redactCookies("a=1; resty_ts_session=secret; resty_ts_session_2=more; b=2", names))
    assert.equal("resty_ts_session_login_9f3a0c=REDACTED;x=1",
      query.redactCookies("resty_ts_session_login_9f3a0c=flow;x=1", names))
    assert.equal("a=1; xresty_ts_session=v", query.redactCookies("a=1; xresty_ts_session=v", names))
    assert.equal("resty_ts_sessionx=v; Resty_ts_session=v", query.redactCookies("resty_ts_sessionx=v; Resty_ts_session=v", names))
    assert.equal("resty_ts_session_x=REDACTED", query.redactCookies("resty_ts_session_x=v", names))
  end)
  it("keeps separators and empty pieces exactly", function()
    assert.equal("a=1;;b=2;", query.redactCookies("a=1;;b=2;", names))
    assert.equal("", query.redactCookies("", names))
    assert.equal("a=1;resty_ts_session=REDACTED;", query.redactCookies("a=1;resty_ts_session=s;", names))
  end)
  it("finds the cookie in joined Set-Cookie values (after attributes and commas)", function()
    assert.equal("a=1; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT, resty_ts_session_2=REDACTED; HttpOnly",
      query.redactCookies("a=1; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT, resty_ts_session_2=tok; HttpOnly", names))
  end)
  it("isListedCookie matches the name and name_<anything>", function()
    assert.is_true(query.isListedCookie("resty_ts_session", names))
    assert.is_true(query.isListedCookie("resty_ts_session_12", names))
    assert.is_false(query.isListedCookie("resty_ts", names))
    assert.is_false(query.isListedCookie("_resty_ts_session", names))
  end)
end)
