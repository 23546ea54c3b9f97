-- request_id's id checks, as plain Lua under LuaJIT: busted --lua=luajit spec (after the build).
local id = require("plugins.request_id.id")

describe("request_id ids", function()
  it("keeps ids made of letters, digits and . _ : -", function()
    assert.is_true(id.isValidId("3f2a-11ee.b:9_X", 64))
    assert.is_true(id.isValidId(string.rep("a", 64), 64))
  end)

  it("refuses empty, too long, and ids with other bytes", function()
    assert.is_false(id.isValidId(nil, 64))
    assert.is_false(id.isValidId("", 64))
    assert.is_false(id.isValidId(string.rep("a", 65), 64))
    for _, bad in ipairs({ "a b", "a\"b", "a\nb", "a,b", "<x>", "a\0b", "\xff" }) do
      assert.is_false(id.isValidId(bad, 64), bad)
    end
  end)

  it("names the nginx variable of a header", function()
    assert.equal("http_x_request_id", id.headerVariable("X-Request-Id"))
    assert.equal("http_x_correlation_id", id.headerVariable("x-correlation-id"))
  end)
end)
