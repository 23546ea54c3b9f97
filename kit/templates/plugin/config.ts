// The __NAME__ plugin's configuration: its type, defaults and validation.
import * as schema from "../lib/schema";
import * as pluginConfig from "../lib/config";

/** Checks the "__NAME__" section of the configuration and fills in defaults. */
export const parse = schema.record({
  /** The path the plugin answers itself. */
  path: schema.str({ default: "/__NAME__", nonEmpty: true }),
  /** The text it answers with. */
  greeting: schema.str({ default: "Hello from __NAME__!" }),
  /** Response header set to "1" on every response. */
  header: schema.str({ default: "X-__HEADER__", nonEmpty: true }),
});

/** The checked configuration. */
export type Config = schema.Parsed<typeof parse>;

/** The plugin's configuration, or nothing and why (also logged once at ERR). */
export function load(this: void): LuaMultiReturn<[Config, undefined] | [undefined, string]> {
  return pluginConfig.load("__NAME__", parse);
}
