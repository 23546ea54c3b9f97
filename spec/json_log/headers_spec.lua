-- plugins.json_log.headers: the request headers as one JSON object, from header lines.
local fields = require("plugins.json_log.fields")
local headers = require("plugins.json_log.headers")
local cjson = require("cjson")

local function encoder(include)
  return {
    plan = fields.compile({}, false),
    redaction = fields.redaction(fields.DEFAULT_REDACT_HEADERS, {}, "sess"),
    includeHeaders = include,
    maxValueBytes = 4096,
  }
end

-- Lines in the given order: { { name, value }, ... }.
local function lines(list)
  local out = {}
  for i, pair in ipairs(list) do
    out[i - 1] = { key = { data = pair[1], len = #pair[1] }, value = { data = pair[2], len = #pair[2] } }
  end
  return out, #list
end

local function object(enc, list)
  local l, n = lines(list)
  return headers.headersObject(enc, l, n)
end

describe("headers", function()
  local plain = encoder(nil)

  it("writes the lines in request order, each value as a string", function()
    local list = { { "host", "h" }, { "accept", "*/*" }, { "x-a", "1" } }
    assert.equal('{"host":"h","accept":"*/*","x-a":"1"}', object(plain, list))
    assert.equal('{"host":"h","accept":"*/*","x-a":"1"}', object(plain, list)) -- again, from the memo
  end)

  it("writes {} for no lines, or lines that could not be read", function()
    assert.equal("{}", object(plain, {}))
    assert.equal("{}", headers.headersObject(plain, nil, -1))
  end)

  it("gathers a repeated header into an array at its first place, wherever the repeat is", function()
    local list = { { "host", "h" }, { "accept", "a" }, { "x-b", "2" }, { "accept", "b" }, { "x-c", "3" }, { "accept", "c" } }
    assert.equal('{"host":"h","accept":["a","b","c"],"x-b":"2","x-c":"3"}', object(plain, list))
    -- The next object has accept once: not taken for a repeat of the last object's.
    assert.equal('{"accept":"z","host":"h"}', object(plain, { { "accept", "z" }, { "host", "h" } }))
  end)

  it("redacts on both paths: Authorization whole, the session cookie inside Cookie", function()
    local once = cjson.decode(object(plain, { { "authorization", "Bearer t" }, { "proxy-authorization", "p" } }))
    assert.same({ authorization = "REDACTED", ["proxy-authorization"] = "REDACTED" }, once)
    local enc = {
      plan = plain.plan, maxValueBytes = 4096,
      redaction = fields.redaction({ "authorization" }, {}, "sess"),
    }
    local twice = cjson.decode(object(enc, { { "cookie", "sess=1; k=v" }, { "authorization", "a" }, { "authorization", "b" }, { "cookie", "sess_2=x" } }))
    assert.same({ cookie = { "sess=REDACTED; k=v", "sess_2=REDACTED" }, authorization = "REDACTED" }, twice)
    assert.equal('{"cookie":"a=1; sess=REDACTED"}', object(enc, { { "cookie", "a=1; sess=secret" } }))
  end)

  it("writes only included headers, in request order", function()
    local enc = encoder({ "user-agent", "accept", "x-missing" })
    local list = { { "accept", "a" }, { "host", "h" }, { "user-agent", "ua" }, { "accept", "b" } }
    assert.equal('{"accept":["a","b"],"user-agent":"ua"}', object(enc, list))
    assert.equal('{"user-agent":"ua","accept":"a"}', object(enc, { { "host", "h" }, { "user-agent", "ua" }, { "accept", "a" } }))
    -- A repeated name that is not included does not matter.
    assert.equal('{"accept":"a"}', object(enc, { { "host", "h" }, { "accept", "a" }, { "host", "i" } }))
    assert.equal("{}", object(enc, { { "host", "h" } }))
    assert.equal("{}", object(encoder({}), { { "host", "h" } }))
  end)

  it("escapes names and values that are not valid JSON text", function()
    assert.equal('{"x\\ufffd":"\\u0000\\"","y":"\\n"}', object(plain, { { "x\255", "\0\"" }, { "y", "\n" } }))
  end)

  it("writes lines past the 32 written without a loop, and finds repeats there", function()
    local list, expected = {}, {}
    for i = 1, 40 do
      list[i] = { "h" .. i, tostring(i) }
      expected[i] = string.format('"h%d":"%d"', i, i)
    end
    assert.equal("{" .. table.concat(expected, ",") .. "}", object(plain, list))
    list[41] = { "h3", "again" }
    expected[3] = '"h3":["3","again"]'
    assert.equal("{" .. table.concat(expected, ",") .. "}", object(plain, list))
  end)

  it("still finds repeats after many distinct names (its table of seen names is emptied now and then)", function()
    for i = 1, 5000 do object(plain, { { "x-" .. i, "v" } }) end
    assert.equal('{"x-1":["a","b"],"x-5000":"c"}', object(plain, { { "x-1", "a" }, { "x-5000", "c" }, { "x-1", "b" } }))
  end)
end)
