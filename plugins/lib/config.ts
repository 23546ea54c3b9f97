// Where each plugin's configuration section comes from.
// The resty-ts dispatcher hands `plugins.init(names, config)` a table; without one, and when
// ingress-nginx's own dispatcher loads a plugin (it passes no config), the JSON file named by
// the environment variable RESTY_TS_CONFIG is read once per Lua VM.
import * as cjson from "cjson.safe";
import { check, type Parser } from "./schema";

/** The whole configuration: one section per plugin name. */
export type ConfigTable = LuaTable<string, unknown>;

let given: ConfigTable | undefined;
let fromFile: ConfigTable | undefined;
let fileError: string | undefined;
let fileRead = false;

/** Name of the environment variable naming the JSON configuration file. */
export const CONFIG_ENV = "RESTY_TS_CONFIG";

/** Called by the dispatcher before it loads plugins: `config` replaces the file. */
export function provide(this: void, config: ConfigTable | undefined): void {
  given = config;
}

function readFile(this: void): LuaMultiReturn<[ConfigTable | undefined, string | undefined]> {
  const path = os.getenv(CONFIG_ENV);
  if (path === undefined || path === "") return $multi(undefined, undefined);
  const [file, openError] = io.open(path, "rb");
  if (file === undefined) return $multi(undefined, `${CONFIG_ENV}: cannot read ${openError}`);
  const text = file.read("*a") as string | undefined;
  file.close();
  if (text === undefined) return $multi(undefined, `${CONFIG_ENV}: cannot read ${path}`);
  const [decoded, decodeError] = cjson.decode(text);
  if (decodeError !== undefined) return $multi(undefined, `${CONFIG_ENV}: ${path} is not valid JSON: ${decodeError}`);
  if (type(decoded) !== "table") return $multi(undefined, `${CONFIG_ENV}: ${path} must hold a JSON object keyed by plugin name`);
  return $multi(decoded as ConfigTable, undefined);
}

/**
 * The whole configuration table, or nil and why the RESTY_TS_CONFIG file could not be used.
 * An absent variable is no error: every section is then nil (each plugin's defaults).
 */
export function all(this: void): LuaMultiReturn<[ConfigTable | undefined, string | undefined]> {
  if (given !== undefined) return $multi(given, undefined);
  if (!fileRead) {
    fileRead = true;
    const [table, err] = readFile();
    fromFile = table;
    fileError = err;
  }
  return $multi(fromFile, fileError);
}

/** One plugin's section (nil when absent), or nil and why the configuration could not be read. */
export function section(this: void, pluginName: string): LuaMultiReturn<[unknown, string | undefined]> {
  const [table, err] = all();
  if (err !== undefined) return $multi(undefined, err);
  if (table === undefined) return $multi(undefined, undefined);
  const value = table.get(pluginName);
  return $multi(value === cjson.null ? undefined : value, undefined);
}

/**
 * Reads and checks a plugin's section with `parser` (see schema.ts). Returns the config, or nil
 * and one line naming the plugin and the problem, which is also logged at ERR once.
 * Plugins call this when their module loads, so it works under any dispatcher.
 */
export function load<T>(this: void, pluginName: string, parser: Parser<T>): LuaMultiReturn<[T, undefined] | [undefined, string]> {
  const [value, readError] = section(pluginName);
  if (readError !== undefined) {
    const message = `resty-ts: plugin "${pluginName}" has no usable configuration: ${readError}`;
    ngx.log(ngx.ERR, message);
    return $multi(undefined, message);
  }
  const [config, problem] = check(parser, value);
  if (problem !== undefined) {
    const message = `resty-ts: plugin "${pluginName}": invalid config: ${problem}`;
    ngx.log(ngx.ERR, message);
    return $multi(undefined, message);
  }
  return $multi(config as T, undefined);
}
