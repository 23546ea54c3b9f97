// @ts-check
// Starts real nginx (Debian nginx + libnginx-mod-http-lua) with a generated nginx.conf in a
// fresh prefix directory on free loopback ports, with resty-ts' build on lua_package_path.
// Used by resty-ts' own tests, by `npm start`, and by the tests of users' plugins.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, chmodSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** Folder of the built Lua of this package (`build/lua`). */
export const BUILD_LUA = resolve(dirname(fileURLToPath(import.meta.url)), "..", "build", "lua");

/** Where Debian keeps the dynamic modules. */
const MODULES = "/usr/lib/nginx/modules";

/**
 * The phase hooks that hand every request phase to the dispatcher (`plugins` is set in init).
 * Naming the phase saves an `ngx.get_phase()` call; ingress-nginx's template calls `plugins.run()`.
 */
export const PHASE_HOOKS = `
        rewrite_by_lua_block { plugins.run("rewrite") }
        access_by_lua_block { plugins.run("access") }
        header_filter_by_lua_block { plugins.run("header_filter") }
        body_filter_by_lua_block { plugins.run("body_filter") }
        log_by_lua_block { plugins.run("log") }`;

/** The same hooks as ingress-nginx v1.11's template writes them (no phase argument). */
export const INGRESS_PHASE_HOOKS = PHASE_HOOKS.replace(/plugins\.run\("\w+"\)/g, "plugins.run()");

/**
 * error.log lines that fail a test unless the test allows them: Lua errors, alerts, crashes,
 * global variable writes, and the dispatcher's own error lines.
 */
export const BAD_LOG_LINES = [
  /\[(alert|crit|emerg)\]/,
  /writing a global Lua variable/,
  /global variable write/,
  // [error] lines from Lua: ngx.log(ngx.ERR, ...) ("[lua] file:line:"), uncaught errors and
  // failed hooks. Not every [error] line (a 404's open() failure is nginx's business).
  /\[error\].*(\[lua\]|lua entry thread aborted|runtime error|failed to run|_by_lua|error loading plugin|error while running plugin)/,
  /stack traceback/,
  /worker process \d+ exited on signal/,
];

/**
 * @typedef {object} ConfContext
 * @property {number} port the main HTTP port
 * @property {Record<string, number>} ports the extra ports, by the names given in `ports`
 * @property {string} prefix the prefix directory (nginx -p)
 * @property {string} buildLua the folder put first on lua_package_path
 */

/**
 * @typedef {string | ((ctx: ConfContext) => string)} ConfPart
 */

/**
 * @typedef {object} NginxOptions
 * @property {string[]} [plugins] plugins to load, in order
 * @property {Record<string, unknown>} [config] plugin configuration, keyed by plugin name
 * @property {"init" | "env" | "none"} [configVia] pass `config` to plugins.init (default), or write it to a file named by RESTY_TS_CONFIG
 * @property {ConfPart} [init] Lua code run in init_by_lua instead of the default `plugins.init(...)`
 * @property {ConfPart} [main] directives for the main context
 * @property {ConfPart} [http] directives for the http block
 * @property {ConfPart} [locations] location blocks for the default server (default: a location that answers "ok")
 * @property {ConfPart} [servers] server blocks replacing the default server
 * @property {ConfPart} [serverExtra] directives added to the default server
 * @property {string[]} [ports] names of extra free ports to allocate (see ConfContext.ports)
 * @property {number} [port] a fixed main port instead of a free one
 * @property {Record<string, number>} [fixedPorts] fixed numbers for some of the named ports
 * @property {number} [workers] worker_processes (default 1)
 * @property {Record<string, string>} [env] environment for nginx (names are also declared with `env`)
 * @property {Record<string, string>} [files] files to write into the prefix before starting, by relative path
 * @property {RegExp[]} [allowLog] error.log lines that are expected and do not fail the run
 * @property {string[]} [luaPath] more lua_package_path entries (before the build)
 * @property {string} [logLevel] error_log level (default info)
 * @property {boolean} [strictGlobals] after init, log an alert on any write to _G (default true)
 * @property {string} [buildLua] the folder of built Lua to put on lua_package_path (default: this package's build/lua)
 * @property {string[]} [spawnPrefix] command words put before `nginx` (e.g. `["taskset", "-c", "0"]` to pin it)
 * @property {number} [startTimeoutMs] how long to wait for the ports to answer (default 10000; a long init, e.g. 10,000 certificates, needs more)
 */

/** @type {Set<Nginx>} */
const running = new Set();

/** Every nginx started by this process that has not been stopped yet. */
export function runningNginx() {
  return [...running];
}

/** Returns a free TCP port on 127.0.0.1. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves to whether a TCP connection to 127.0.0.1:port succeeds. @param {number} port @returns {Promise<boolean>} */
function canConnect(port) {
  return new Promise((resolveConnect) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => { socket.destroy(); resolveConnect(true); });
    socket.once("error", () => { socket.destroy(); resolveConnect(false); });
  });
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Lua string literal for any text (long bracket form). @param {string} text */
export function luaString(text) {
  let level = "";
  while (`${text}]`.includes(`]${level}]`)) level += "=";
  return `[${level}[\n${text}]${level}]`;
}

/** A Lua table constructor for a JSON-compatible value, via cjson at init. @param {unknown} value */
export function luaJson(value) {
  return `require("cjson").decode(${luaString(JSON.stringify(value))})`;
}

/** @param {ConfPart | undefined} part @param {ConfContext} ctx */
function render(part, ctx) {
  if (part === undefined) return "";
  return typeof part === "function" ? part(ctx) : part;
}

/**
 * Builds the nginx.conf text for the options.
 * @param {NginxOptions} options
 * @param {ConfContext} ctx
 */
export function buildConf(options, ctx) {
  const plugins = options.plugins ?? [];
  const configVia = options.configVia ?? "init";
  const configArg = options.config && configVia === "init" ? `, ${luaJson(options.config)}` : "";
  const envNames = Object.keys(options.env ?? {});
  if (options.config && configVia === "env") envNames.push("RESTY_TS_CONFIG");
  const luaPath = [...(options.luaPath ?? []), `${ctx.buildLua}/?.lua`].join(";");
  const strict = options.strictGlobals !== false;
  const init = options.init !== undefined
    ? render(options.init, ctx)
    : `plugins = require("plugins")\n        plugins.init(${luaJson(plugins)}${configArg})`;
  const guard = strict
    ? `setmetatable(_G, { __newindex = function(t, k, v)
            ngx.log(ngx.ALERT, "global variable write: ", tostring(k), "\\n", debug.traceback())
            rawset(t, k, v)
        end })`
    : "";
  const server = options.servers !== undefined ? render(options.servers, ctx) : `
    server {
        listen 127.0.0.1:${ctx.port};
        server_name localhost;
${PHASE_HOOKS}
${render(options.serverExtra, ctx)}
${options.locations !== undefined ? render(options.locations, ctx) : 'location / { content_by_lua_block { ngx.say("ok") } }'}
    }`;
  return `# generated by resty-ts harness
load_module ${MODULES}/ndk_http_module.so;
load_module ${MODULES}/ngx_http_lua_module.so;
worker_processes ${options.workers ?? 1};
daemon off;
master_process on;
pid ${ctx.prefix}/logs/nginx.pid;
error_log ${ctx.prefix}/logs/error.log ${options.logLevel ?? "info"};
${envNames.map((name) => `env ${name};`).join("\n")}
${render(options.main, ctx)}
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${ctx.prefix}/tmp/body;
    proxy_temp_path ${ctx.prefix}/tmp/proxy;
    fastcgi_temp_path ${ctx.prefix}/tmp/fastcgi;
    uwsgi_temp_path ${ctx.prefix}/tmp/uwsgi;
    scgi_temp_path ${ctx.prefix}/tmp/scgi;
    lua_package_path "${luaPath};;";
    init_by_lua_block {
        ${init}
        ${guard}
    }
    init_worker_by_lua_block { if plugins then plugins.run("init_worker") end }
${render(options.http, ctx)}
${server}
}
`;
}

/** A running nginx. */
export class Nginx {
  /**
   * @param {import("node:child_process").ChildProcess} child
   * @param {ConfContext} ctx
   * @param {NginxOptions} options
   */
  constructor(child, ctx, options) {
    this.child = child;
    this.port = ctx.port;
    this.ports = ctx.ports;
    this.prefix = ctx.prefix;
    this.options = options;
    /** @type {Promise<number | null>} */
    this.exited = new Promise((r) => child.once("exit", (code) => r(code)));
    this.stderr = "";
    child.stderr?.on("data", (chunk) => { this.stderr += chunk; });
  }

  /** `http://127.0.0.1:<port><path>` on the main port. */
  url(path = "/") {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** fetch() a path on the main port. @param {string} path @param {RequestInit} [init] */
  fetch(path, init) {
    return fetch(this.url(path), init);
  }

  /** The whole error.log so far. */
  errorLog() {
    const file = join(this.prefix, "logs", "error.log");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  /** error.log lines that match a bad pattern and none of `allow`. @param {RegExp[]} [allow] */
  badLogLines(allow = []) {
    const allowed = [...(this.options.allowLog ?? []), ...allow];
    return this.errorLog().split("\n").filter((line) =>
      BAD_LOG_LINES.some((bad) => bad.test(line)) && !allowed.some((ok) => ok.test(line)));
  }

  /** Sends a signal to the master process (HUP reloads, USR1 reopens logs). @param {NodeJS.Signals} signal */
  signal(signal) {
    if (this.child.pid) process.kill(this.child.pid, signal);
  }

  /** Reloads the configuration and waits until new workers answer. */
  async reload() {
    this.signal("SIGHUP");
    await sleep(500);
  }

  /** Process ids of this nginx's worker processes. */
  workerPids() {
    try {
      return execFileSync("pgrep", ["-P", String(this.child.pid)], { encoding: "utf8" })
        .split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /**
   * Stops nginx gracefully (SIGQUIT, then SIGKILL to the process group after `graceMs`),
   * then throws when error.log has bad lines (unless `check` is false).
   * @param {{ check?: boolean, allow?: RegExp[], graceMs?: number }} [options]
   */
  async stop(options = {}) {
    running.delete(this);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.signal("SIGQUIT");
      const timeout = sleep(options.graceMs ?? 5000).then(() => "timeout");
      if ((await Promise.race([this.exited, timeout])) === "timeout") killGroup(this.child.pid);
    }
    killGroup(this.child.pid);
    if (options.check === false) return;
    const bad = this.badLogLines(options.allow);
    if (bad.length > 0) {
      throw new Error(`nginx error.log has ${bad.length} bad line(s):\n${bad.join("\n")}\n--- error.log ---\n${this.errorLog()}`);
    }
  }
}

/** @param {number | undefined} pid */
function killGroup(pid) {
  if (!pid) return;
  try { process.kill(-pid, "SIGKILL"); } catch { /* already gone */ }
}

process.on("exit", () => {
  for (const nginx of running) killGroup(nginx.child.pid);
});
// A signal ends the process without "exit" handlers: kill our nginx first. When nobody else
// listens for the signal, exit as the default action would.
for (const [signal, number] of /** @type {const} */ ([["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]])) {
  process.on(signal, () => {
    for (const nginx of running) killGroup(nginx.child.pid);
    if (process.listenerCount(signal) === 1) process.exit(128 + number);
  });
}

/**
 * Starts nginx with the options and waits until every listening port answers.
 * @param {NginxOptions} [options]
 * @returns {Promise<Nginx>}
 */
export async function startNginx(options = {}) {
  const prefix = mkdtempSync(join(tmpdir(), "resty-ts-nginx-"));
  // Workers run as nobody when the master is root: they must read the prefix and write logs.
  chmodSync(prefix, 0o755);
  for (const dir of ["logs", "tmp", "conf", "data"]) {
    mkdirSync(join(prefix, dir), { recursive: true });
    chmodSync(join(prefix, dir), 0o777);
  }
  const port = options.port ?? await freePort();
  /** @type {Record<string, number>} */
  const ports = {};
  for (const name of options.ports ?? []) ports[name] = options.fixedPorts?.[name] ?? await freePort();
  /** @type {ConfContext} */
  const ctx = { port, ports, prefix, buildLua: options.buildLua ?? BUILD_LUA };
  for (const [relative, content] of Object.entries(options.files ?? {})) {
    const file = join(prefix, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, 0o644);
  }
  const env = { ...process.env, ...(options.env ?? {}) };
  if (options.config && options.configVia === "env") {
    const file = join(prefix, "conf", "resty-ts.json");
    writeFileSync(file, JSON.stringify(options.config));
    env.RESTY_TS_CONFIG = file;
  }
  const confFile = join(prefix, "conf", "nginx.conf");
  writeFileSync(confFile, buildConf(options, ctx));
  const command = [...(options.spawnPrefix ?? []), "nginx", "-p", prefix, "-c", confFile, "-e", join(prefix, "logs", "error.log")];
  const child = spawn(command[0], command.slice(1), {
    env, detached: true, stdio: ["ignore", "ignore", "pipe"],
  });
  const nginx = new Nginx(child, ctx, options);
  running.add(nginx);
  const deadline = Date.now() + (options.startTimeoutMs ?? 10000);
  for (const p of [port, ...Object.values(ports)]) {
    while (!(await canConnect(p))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await nginx.stop({ check: false });
        throw new Error(`nginx did not start on port ${p}: ${nginx.stderr}\n--- error.log ---\n${nginx.errorLog()}\n--- nginx.conf ---\n${readFileSync(confFile, "utf8")}`);
      }
      await sleep(20);
    }
  }
  return nginx;
}

/**
 * Checks a configuration with `nginx -t` without starting it; resolves to nginx's output and
 * whether it passed.
 * @param {NginxOptions} [options]
 */
export async function testConf(options = {}) {
  const prefix = mkdtempSync(join(tmpdir(), "resty-ts-nginx-"));
  mkdirSync(join(prefix, "logs"), { recursive: true });
  mkdirSync(join(prefix, "conf"), { recursive: true });
  const ctx = { port: await freePort(), ports: {}, prefix, buildLua: BUILD_LUA };
  const confFile = join(prefix, "conf", "nginx.conf");
  writeFileSync(confFile, buildConf(options, ctx));
  try {
    const output = execFileSync("nginx", ["-t", "-p", prefix, "-c", confFile, "-e", join(prefix, "logs", "error.log")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String(/** @type {any} */ (error).stderr ?? error) };
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}
