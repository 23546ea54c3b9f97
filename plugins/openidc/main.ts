// The openidc plugin: OpenID Connect login and bearer-token protection in the rewrite phase.
// This module always loads: the implementation (and the OpenSSL binding under it) and the
// configuration are loaded under pcall, and when either fails every request is refused with
// 500 and a log line saying why. A dispatcher that skips modules failing to load (as
// ingress-nginx's does) can therefore never leave the gateway open.
import * as configSource from "../lib/config";
import { logThrottled } from "./log";
import type * as ConfigModule from "./config";
import type * as GateModule from "./gate";

/** The per-request handler once everything loaded, else nil. */
let handle: typeof GateModule.handle | undefined;
let conf: ConfigModule.OidcConfig | undefined;
let refusal: string | undefined;

function load(this: void): void {
  const [configOk, configModule] = pcall(require, "plugins.openidc.config");
  const [gateOk, gateModule] = pcall(require, "plugins.openidc.gate");
  if (!configOk || !gateOk) {
    refusal = `resty-ts: plugin "openidc" cannot load its implementation: ${tostring(configOk ? gateModule : configModule)}`;
    ngx.log(ngx.ERR, refusal);
    return;
  }
  const [loaded, loadError] = configSource.load("openidc", (configModule as typeof ConfigModule).parser);
  if (loaded === undefined) {
    refusal = loadError;
    return;
  }
  if (ngx.shared.resty_ts_oidc === undefined) {
    refusal = 'resty-ts: plugin "openidc": nginx.conf lacks "lua_shared_dict resty_ts_oidc 1m;"';
    ngx.log(ngx.ERR, refusal);
    return;
  }
  conf = loaded;
  handle = (gateModule as typeof GateModule).handle;
}
load();

function rewrite(this: void): void {
  if (handle === undefined) {
    logThrottled(ngx.ERR, "refusal", `openidc: refusing the request (500): ${refusal}`);
    return ngx.exit(500);
  }
  const [ok, err] = pcall(handle, conf as ConfigModule.OidcConfig);
  if (!ok) {
    logThrottled(ngx.ERR, "internal", `openidc: internal error, refusing the request (500): ${tostring(err)}`);
    return ngx.exit(500);
  }
}

const plugin: Plugin = { name: "openidc", rewrite };
export = plugin;
