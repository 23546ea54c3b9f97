-- plugins.lib.exposition (text format 0.0.4 pieces) and plugins.prometheus.timing: pure Lua.
local text = require("plugins.lib.exposition")
local timing = require("plugins.prometheus.timing")

describe("exposition", function()
  it("escapes backslash, quote and newline in label values", function()
    assert.equal([[a\"b\\c\nd]], text.labelValue('a"b\\c\nd'))
    assert.equal("plain", text.labelValue("plain"))
    assert.equal("", text.labelValue(nil))
    assert.equal("200", text.labelValue(200))
  end)

  it("replaces each invalid UTF-8 byte with U+FFFD and keeps valid sequences", function()
    local r = "\239\191\189"
    assert.equal("x" .. r .. r .. "(" .. r .. r .. "y", text.validUtf8("x\255\195\40\226\130y"))
    assert.equal("ünï ✓ 😀", text.validUtf8("ünï ✓ 😀"))
    assert.equal(r .. r .. r, text.validUtf8("\237\160\128")) -- a UTF-16 surrogate
    assert.equal(r .. r, text.validUtf8("\192\175")) -- overlong "/"
    assert.equal(r .. r .. r .. r, text.validUtf8("\244\144\128\128")) -- above U+10FFFF
  end)

  it("cuts label values at 1024 bytes, then keeps them valid UTF-8", function()
    assert.equal(1024, #text.labelValue(string.rep("h", 10240)))
    local cut = text.labelValue(string.rep("a", 1023) .. "é")
    assert.equal(string.rep("a", 1023) .. "\239\191\189", cut)
  end)

  it("escapes HELP text (backslash and newline, not quotes)", function()
    assert.equal([[say "hi" \\ now\nthen]], text.helpText('say "hi" \\ now\nthen'))
  end)

  it("checks metric and label names", function()
    assert.is_true(text.isMetricName("nginx_ingress_controller_requests"))
    assert.is_true(text.isMetricName("a:b_c1"))
    assert.is_false(text.isMetricName("1abc"))
    assert.is_false(text.isMetricName("a-b"))
    assert.is_false(text.isMetricName(""))
    assert.is_true(text.isLabelName("host"))
    assert.is_false(text.isLabelName("__name__"))
    assert.is_false(text.isLabelName("a:b"))
  end)

  it("writes sample values and bucket bounds", function()
    assert.equal("+Inf", text.sampleValue(math.huge))
    assert.equal("-Inf", text.sampleValue(-math.huge))
    assert.equal("NaN", text.sampleValue(0 / 0))
    assert.equal("0.005", text.bucketBound(0.005))
    assert.equal("1", text.bucketBound(1))
    assert.equal("2.5", text.bucketBound(2.5))
  end)
end)

describe("upstream timings", function()
  it("reads one value, sums several, skips '-'", function()
    assert.equal(0.012, timing.upstreamSum("0.012"))
    assert.is_nil(timing.upstreamSum(nil))
    assert.is_nil(timing.upstreamSum("-"))
    assert.is_nil(timing.upstreamSum(""))
    assert.is_nil(timing.upstreamSum("- : -"))
    assert.near(0.035, timing.upstreamSum("0.010, 0.020 : 0.005"), 1e-12)
    assert.near(0.3, timing.upstreamSum("-, 0.300"), 1e-12)
  end)
end)
