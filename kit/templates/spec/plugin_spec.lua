-- The __NAME__ plugin's configuration checks, as plain Lua under LuaJIT (no nginx needed):
-- busted --lua=luajit spec   (after npx resty-ts build)
local schema = require("plugins.lib.schema")
local config = require("plugins.__NAME__.config")

describe("__NAME__ config", function()
  it("fills in the defaults", function()
    local checked, err = schema.check(config.parse, nil)
    assert.is_nil(err)
    assert.same({ path = "/__NAME__", greeting = "Hello from __NAME__!", header = "X-__HEADER__" }, checked)
  end)

  it("names the key that is wrong", function()
    local _, err = schema.check(config.parse, { path = "" })
    assert.matches('key "path"', err, 1, true)
    _, err = schema.check(config.parse, { colour = "red" })
    assert.matches('colour', err, 1, true)
  end)
end)
