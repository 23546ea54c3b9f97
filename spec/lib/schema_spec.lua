-- plugins.lib.schema: config validation, pure Lua (no ngx).
local schema = require("plugins.lib.schema")

describe("schema", function()
  local parser = schema.record({
    name = schema.str({ default = "x" }),
    count = schema.num({ default = 1, integer = true, min = 0, max = 10 }),
    on = schema.bool(true),
    items = schema.list(schema.str()),
    mode = schema.str({ oneOf = { "a", "b" }, default = "a" }),
  })

  it("fills defaults for an absent section", function()
    local config, err = schema.check(parser, nil)
    assert.is_nil(err)
    assert.same({ name = "x", count = 1, on = true, items = {}, mode = "a" }, config)
  end)

  it("names the key, the expectation and what it found", function()
    local _, err = schema.check(parser, { count = 2.5 })
    assert.equal('key "count": expected an integer from 0 to 10, found number 2.5', err)
    _, err = schema.check(parser, { items = { "a", 3 } })
    assert.equal('key "items[2]": expected a string, found number 3', err)
    _, err = schema.check(parser, { mode = "c" })
    assert.equal('key "mode": expected one of "a", "b", found string "c"', err)
    _, err = schema.check(parser, { on = "yes" })
    assert.equal('key "on": expected true or false, found string "yes"', err)
    _, err = schema.check(parser, "nope")
    assert.equal('key "(section)": expected an object, found string "nope"', err)
  end)

  it("refuses unknown keys", function()
    local _, err = schema.check(parser, { nmae = "y" })
    assert.equal('key "nmae": expected one of the known keys (count, items, mode, name, on), found an unknown key', err)
  end)

  it("refuses NaN and infinities", function()
    local _, err = schema.check(parser, { count = 0 / 0 })
    assert.truthy(err:find('key "count"', 1, true))
    _, err = schema.check(parser, { count = math.huge })
    assert.truthy(err:find('key "count"', 1, true))
  end)
end)
