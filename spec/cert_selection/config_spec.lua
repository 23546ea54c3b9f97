-- plugins.cert_selection.config: the section's keys, defaults and error lines (pure Lua).
local schema = require("plugins.lib.schema")
local config = require("plugins.cert_selection.config")

describe("cert_selection config", function()
  it("fills the defaults of an absent section", function()
    local section, err = schema.check(config.parser, nil)
    assert.is_nil(err)
    assert.same({}, section.certificates)
    assert.equal(10, section.rescan_interval)
    assert.is_false(section.reject_unknown)
    assert.is_nil(section.admin)
    assert.is_nil(section.default)
    assert.is_nil(section.directory)
  end)

  it("fills the admin defaults and compiles allow", function()
    local section = assert(schema.check(config.parser, { admin = {} }))
    assert.equal("/.resty-ts/certificates", section.admin.path)
    assert.equal("data/cert_selection.json", section.admin.state_file)
    assert.is_nil(section.admin.token)
    assert.same({ "127.0.0.1", "::1" }, section.admin.allow.entries)
  end)

  it("names the key and the problem", function()
    local cases = {
      { { certificates = { { cert = "a.crt" } } }, 'key "certificates%[1%]%.key": expected a string' },
      { { certificates = { { cert = "a.crt", key = "a.key", hosts = {} } } }, 'certificates%[1%]%.hosts' },
      { { rescan_interval = 0 }, 'key "rescan_interval": expected a number of at least 1' },
      { { admin = { token = "short" } }, 'key "admin%.token": expected a secret string of at least 16 bytes, found a string of 5 bytes %(not shown%)' },
      { { admin = { token = 42 } }, 'key "admin%.token": expected a secret string of at least 16 bytes, found a number' },
      { { admin = { allow = { "10.0.0.300" } } }, 'key "admin%.allow%[1%]"' },
      { { default = { cert = "a.crt" } }, 'key "default%.key"' },
      { { reject_unknown = "yes" }, 'key "reject_unknown": expected true or false' },
      { { certficates = {} }, 'key "certficates": expected one of the known keys' },
    }
    for _, case in ipairs(cases) do
      local section, err = schema.check(config.parser, case[1])
      assert.is_nil(section)
      assert.matches(case[2], err)
    end
  end)

  it("never shows the admin token in an error", function()
    local _, err = schema.check(config.parser, { admin = { token = "too-short-tok" } })
    assert.is_nil(err:find("too-short-tok", 1, true))
    local _, err2 = schema.check(config.parser, { admin = { token = "a-long-enough-token", path = 1 } })
    assert.is_nil(err2:find("a-long-enough-token", 1, true))
  end)
end)
