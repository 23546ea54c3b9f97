// prometheus: answering scrapes of the configured path, for allowed clients only.
import * as metrics from "../lib/metrics";
import { cidrContains, type CidrSet } from "../lib/ip";
import { clientIp } from "../lib/client";
import type { PrometheusConfig } from "./config";

/** The content type of text format 0.0.4. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const CONNECTION_STATES = ["active", "reading", "writing", "waiting"];
const CONNECTION_VARIABLES = ["connections_active", "connections_reading", "connections_writing", "connections_waiting"];

let connections: metrics.Gauge<["state"]> | undefined;
let dictCapacity: metrics.Gauge<["dict"]> | undefined;
let dictFree: metrics.Gauge<["dict"]> | undefined;
let allow: CidrSet | undefined;
let usable = false;

/**
 * Registers the gauges set at each scrape. `ready` is false when the metrics cannot be served
 * (no shared dict): allowed clients then get 503, others still 403.
 */
export function setup(this: void, conf: PrometheusConfig, ready: boolean): void {
  allow = conf.allow;
  usable = ready;
  connections = metrics.gauge(`${conf.prefix}nginx_process_connections`, "Current number of client connections, by state (from nginx's stub_status variables).", ["state"]);
  dictCapacity = metrics.gauge("resty_ts_shared_dict_capacity_bytes", "Size of each lua_shared_dict, in bytes.", ["dict"]);
  dictFree = metrics.gauge("resty_ts_shared_dict_free_bytes", "Free pages of each lua_shared_dict, in bytes.", ["dict"]);
}

function updateGauges(this: void): void {
  const gauge = connections;
  if (gauge !== undefined) {
    for (let i = 0; i < CONNECTION_STATES.length; i++) {
      const value = tonumber(ngx.var[CONNECTION_VARIABLES[i]]);
      if (value !== undefined) gauge.set(value, CONNECTION_STATES[i]);
    }
  }
  if (dictCapacity === undefined || dictFree === undefined) return;
  for (const [name, zone] of pairs(ngx.shared as unknown as LuaTable<string, NgxSharedDict>)) {
    dictCapacity.set(zone.capacity(), name);
    dictFree.set(zone.free_space(), name);
  }
}

/**
 * Answers the current request with the exposition text (200), 403 when the client address is
 * not allowed (or the configuration was invalid), 503 when metrics are not available.
 */
export function serve(this: void): never {
  const client = clientIp();
  if (allow === undefined || client === undefined || !cidrContains(allow, client)) return ngx.exit(403);
  ngx.header["Content-Type"] = CONTENT_TYPE;
  ngx.header["Cache-Control"] = "no-store";
  if (!usable) {
    ngx.status = 503;
    ngx.say("metrics are not available: see the error log (lua_shared_dict resty_ts_metrics missing?)");
    return ngx.exit(503);
  }
  updateGauges();
  const body = metrics.render();
  ngx.status = 200;
  if (ngx.req.get_method() !== "HEAD") ngx.print(body);
  return ngx.exit(200);
}
