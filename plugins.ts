// The phase dispatcher, Lua module `plugins`: a drop-in for ingress-nginx v1.11's plugins.lua
// (`plugins.init(names)` in init_by_lua, `plugins.run()` in each phase hook), extended with the
// access and ssl_cert phases and per-plugin configuration.
import * as config from "./plugins/lib/config";

/** ingress-nginx loads at most this many names; failed loads count too. */
const MAX_PLUGINS = 20;

/** Phase names a plugin may handle, as `ngx.get_phase()` reports them. */
const PHASES: NgxPhase[] = [
  "init_worker", "ssl_cert", "ssl_session_fetch", "ssl_session_store", "ssl_client_hello",
  "set", "rewrite", "server_rewrite", "balancer", "access", "content",
  "header_filter", "body_filter", "log", "exit_worker",
];

/** A plugin that loaded, with the name it is logged under. */
interface LoadedPlugin {
  readonly name: string;
  readonly module: Plugin;
}

let loaded: LoadedPlugin[] = [];
/** Per phase, the handlers to call in load order; phases nobody handles are absent. */
let handlers = new LuaTable<string, PhaseHandler[]>();
/** Per phase, the plugin names aligned with `handlers`, for error lines. */
let handlerOwners = new LuaTable<string, string[]>();

const VALID_NAME = "^[%w_%-]+$";

function loadPlugin(this: void, name: unknown): void {
  const modulePath = `plugins.${tostring(name)}.main`;
  if (type(name) !== "string" || string.find(name as string, VALID_NAME)[0] === undefined) {
    ngx.log(ngx.ERR, `error loading plugin "${modulePath}": invalid plugin name`);
    return;
  }
  const [ok, result] = pcall(require, modulePath);
  if (!ok) {
    ngx.log(ngx.ERR, `error loading plugin "${modulePath}": ${tostring(result)}`);
    return;
  }
  if (type(result) !== "table") {
    ngx.log(ngx.ERR, `error loading plugin "${modulePath}": the module returned ${type(result)}, not a table`);
    return;
  }
  for (const plugin of loaded) {
    if (plugin.module === result) {
      ngx.log(ngx.ERR, `error loading plugin "${modulePath}": listed twice`);
      return;
    }
  }
  const module = result as Plugin;
  if (type(module.name) !== "string" || module.name === "") module.name = name as string;
  loaded.push({ name: module.name as string, module });
}

function splitNames(this: void, names: string): string[] {
  const list: string[] = [];
  for (const [name] of string.gmatch(names, "[^%s,]+")) list.push(name);
  return list;
}

/**
 * Loads `plugins.<name>.main` for each name, in order (at most 20; failed loads count), and
 * builds each phase's handler list. `names` is a list or a comma-separated string. `configTable`
 * is keyed by plugin name; without it the JSON file named by RESTY_TS_CONFIG is used.
 * Call it in init_by_lua.
 */
export function init(this: void, names: string[] | string, configTable?: LuaTable<string, unknown>): void {
  loaded = [];
  handlers = new LuaTable();
  handlerOwners = new LuaTable();
  if (configTable !== undefined && type(configTable) !== "table") {
    ngx.log(ngx.ERR, `resty-ts: plugins.init: the configuration must be a table keyed by plugin name, found ${type(configTable)}; using ${config.CONFIG_ENV}`);
    configTable = undefined;
  }
  config.provide(configTable);
  const list = type(names) === "string" ? splitNames(names as string) : type(names) === "table" ? (names as string[]) : [];
  if (type(names) !== "string" && type(names) !== "table") {
    ngx.log(ngx.ERR, `resty-ts: plugins.init: names must be a list of plugin names, found ${type(names)}`);
  }
  for (let i = 0; i < list.length; i++) {
    if (i >= MAX_PLUGINS) {
      ngx.log(ngx.ERR, "the total number of plugins exceed the maximum number: ", MAX_PLUGINS);
      break;
    }
    loadPlugin(list[i]);
  }
  for (const phase of PHASES) {
    for (const plugin of loaded) {
      const handler = (plugin.module as unknown as LuaTable<string, unknown>).get(phase);
      if (type(handler) !== "function") continue;
      let phaseHandlers = handlers.get(phase);
      let owners = handlerOwners.get(phase);
      if (phaseHandlers === undefined || owners === undefined) {
        phaseHandlers = [];
        owners = [];
        handlers.set(phase, phaseHandlers);
        handlerOwners.set(phase, owners);
      }
      phaseHandlers.push(handler as PhaseHandler);
      owners.push(plugin.name);
    }
  }
}

/** Index (1-based) of the handler `callFrom` is running, so a failure can name it. */
let current = 0;

// One pcall per phase rather than one per plugin: on an error the loop resumes after the
// handler that failed, so every other plugin still runs.
function callFrom(this: void, list: PhaseHandler[], first: number, last: number): void {
  const luaList = list as unknown as LuaTable<number, PhaseHandler>;
  for (const i of $range(first, last)) {
    current = i;
    luaList.get(i)();
  }
}

/**
 * Runs every loaded plugin's handler for the current phase (or `phase` when given, which saves
 * the `ngx.get_phase()` call), in load order. A handler that throws is logged at ERR and the
 * next one runs.
 */
export function run(this: void, phase?: NgxPhase): void {
  if (phase === undefined) phase = ngx.get_phase();
  const list = handlers.get(phase);
  if (list === undefined) return;
  const last = list.length;
  let first = 1;
  while (first <= last) {
    const [ok, err] = pcall(callFrom, list, first, last);
    if (ok) return;
    const owners = handlerOwners.get(phase) as unknown as LuaTable<number, string>;
    ngx.log(ngx.ERR, `error while running plugin "${owners.get(current)}" in phase "${phase}": ${tostring(err)}`);
    first = current + 1;
  }
}

/** Names of the loaded plugins, in load order. */
export function names(this: void): string[] {
  const result: string[] = [];
  for (const plugin of loaded) result.push(plugin.name);
  return result;
}
