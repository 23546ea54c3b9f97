// The phase dispatcher, Lua module `plugins`: a drop-in for ingress-nginx v1.11's plugins.lua
// (`plugins.init(names)` in init_by_lua, `plugins.run()` in each phase hook), extended with the
// access and ssl_cert phases and per-plugin configuration.
import * as config from "./plugins/lib/config";
import { raiseTraceConstants } from "./plugins/lib/jit";

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

/** A phase's handlers, in load order, and the runner that calls them all. */
interface PhaseRunner {
  /** Calls every handler in order; built once at init (see `buildRunner`). */
  readonly run: (this: void) => void;
  /** 1-based index of the handler `run` was calling when it last stopped. */
  readonly failedAt: (this: void) => number;
  readonly handlers: PhaseHandler[];
  /** Plugin names aligned with `handlers`, for error lines. */
  readonly owners: string[];
}

/** Per phase, its runner; phases nobody handles are absent, so they cost one table lookup. */
let runners = new LuaTable<string, PhaseRunner>();

const VALID_NAME = "^[%w_%-]+$";
const getPhase = ngx.get_phase;

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
 * Also raises LuaJIT's per-trace constant limit (plugins/lib/jit.ts). Call it in init_by_lua.
 */
export function init(this: void, names: string[] | string, configTable?: LuaTable<string, unknown>): void {
  loaded = [];
  runners = new LuaTable();
  raiseTraceConstants();
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
    const phaseHandlers: PhaseHandler[] = [];
    const owners: string[] = [];
    for (const plugin of loaded) {
      const handler = (plugin.module as unknown as LuaTable<string, unknown>).get(phase);
      if (type(handler) !== "function") continue;
      phaseHandlers.push(handler as PhaseHandler);
      owners.push(plugin.name);
    }
    if (phaseHandlers.length > 0) runners.set(phase, buildRunner(phaseHandlers, owners));
  }
}

/**
 * Builds a phase's runner: Lua source generated once at init that calls each handler as an
 * upvalue, straight-line. In LuaJIT's interpreter (where per-request code runs) that is about a
 * third cheaper than a loop over a table. `current` records which handler is running so that a
 * failure can be attributed and the rest of the list resumed.
 */
function buildRunner(this: void, handlers: PhaseHandler[], owners: string[]): PhaseRunner {
  const lines = ["local handlers = ...", "local current = 0"];
  for (let i = 1; i <= handlers.length; i++) lines.push(`local h${i} = handlers[${i}]`);
  lines.push("local function run()");
  for (let i = 1; i <= handlers.length; i++) lines.push(`  current = ${i} h${i}()`);
  lines.push("end", "return run, function() return current end");
  const [chunk, syntaxError] = loadstring(lines.join("\n"), "=plugins.runner");
  if (chunk === undefined) throw syntaxError;
  const [run, failedAt] = (chunk as (this: void, list: PhaseHandler[]) => LuaMultiReturn<[() => void, () => number]>)(handlers);
  return { run, failedAt, handlers, owners };
}

/** Index (1-based) of the handler `callFrom` is running, so a failure can name it. */
let current = 0;

/** Calls handlers first..last (1-based); the slow path after a failure. */
function callFrom(this: void, list: PhaseHandler[], first: number, last: number): void {
  const luaList = list as unknown as LuaTable<number, PhaseHandler>;
  for (const i of $range(first, last)) {
    current = i;
    luaList.get(i)();
  }
}

/**
 * Runs every loaded plugin's handler for the current phase in load order. Name the phase
 * (`plugins.run("rewrite")`) where you can: `ngx.get_phase()` costs about 250 ns per call in
 * LuaJIT's interpreter. A handler that throws is logged at ERR and the next one runs.
 */
export function run(this: void, phase?: NgxPhase): void {
  if (phase === undefined) phase = getPhase();
  const runner = runners.get(phase);
  if (runner === undefined) return;
  const [ok, err] = pcall(runner.run);
  if (!ok) recover(runner, phase, err);
}

/** After a handler failed: log it, then run the handlers after it (and so on, if more fail). */
function recover(this: void, runner: PhaseRunner, phase: string, err: unknown): void {
  const last = runner.handlers.length;
  let failed = runner.failedAt();
  for (;;) {
    ngx.log(ngx.ERR, `error while running plugin "${runner.owners[failed - 1]}" in phase "${phase}": ${tostring(err)}`);
    if (failed >= last) return;
    const [ok, nextErr] = pcall(callFrom, runner.handlers, failed + 1, last);
    if (ok) return;
    failed = current;
    err = nextErr;
  }
}

/** Names of the loaded plugins, in load order. */
export function names(this: void): string[] {
  const result: string[] = [];
  for (const plugin of loaded) result.push(plugin.name);
  return result;
}
