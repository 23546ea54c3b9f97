// request_id's configuration: its type, defaults and validation.
import * as schema from "../lib/schema";
import * as pluginConfig from "../lib/config";

/** An HTTP header name: letters, digits and hyphens (a token nginx exposes as $http_<name>). */
const headerName = schema.custom("a header name (letters, digits, -)", (value) =>
  type(value) === "string" && string.find(value as string, "^[%a%d][%a%d%-]*$")[0] !== undefined ? (value as string) : undefined);

/** The header name, "X-Request-Id" when absent. */
const header: schema.Parser<string> = (value, key) => (value === undefined ? "X-Request-Id" : headerName(value, key));

/** Checks the "request_id" section and fills in defaults. */
export const parse = schema.record({
  /** The request and response header carrying the id. */
  header,
  /** Keep an id the client (or a proxy in front) sent, when it is well formed. */
  trust_incoming: schema.bool(true),
  /** Longest incoming id kept; longer ones are replaced. */
  max_length: schema.num({ default: 64, min: 1, max: 1024, integer: true }),
  /** Also send the id back in the response. */
  echo: schema.bool(true),
});

/** The checked configuration. */
export type Config = schema.Parsed<typeof parse>;

/** The configuration, or nothing and why (also logged once at ERR). */
export function load(this: void): LuaMultiReturn<[Config, undefined] | [undefined, string]> {
  return pluginConfig.load("request_id", parse);
}
