// Loading the configured sources when the module loads (in the master, before workers fork):
// config files, the admin API's state file, the directory; and the expiry metric.
import * as metrics from "../lib/metrics";
import type { CertSelectionConfig } from "./config";
import * as store from "./store";
import * as directory from "./directory";
import * as admin from "./admin";
import { check } from "./certificate";
import { readFile } from "./files";
import { parse } from "./serve";

/** What the handlers need from the configuration. */
export interface Loaded {
  /** What unmatched names and clients without SNI get. */
  defaultSlot?: store.Slot;
  rejectUnknown: boolean;
  /** Set when the admin API is on. */
  admin?: admin.AdminSettings;
}

const expiry = metrics.gauge("nginx_ingress_controller_ssl_expire_time_seconds", "Number of seconds since 1970 to the SSL Certificate expire.", ["host"]);

/** Checks one configured pair; logs one line naming the file when it is refused. */
function loadPair(this: void, id: string, certFile: string, keyFile: string, hosts?: string[]): store.Entry | undefined {
  const [cert, certError] = readFile(certFile);
  const [key, keyError] = readFile(keyFile);
  if (cert === undefined || key === undefined) {
    ngx.log(ngx.ERR, `resty-ts: cert_selection: refused ${cert === undefined ? certFile : keyFile}: ${certError ?? keyError}`);
    return undefined;
  }
  const [certificate, problem] = check(id, cert, key, hosts);
  if (certificate === undefined) {
    ngx.log(ngx.ERR, `resty-ts: cert_selection: refused ${certFile}: ${problem}`);
    return undefined;
  }
  return certificate as store.Entry;
}

/** A path relative to the nginx prefix, unless absolute. */
function resolve(this: void, path: string): string {
  return string.sub(path, 1, 1) === "/" ? path : `${ngx.config.prefix()}${path}`;
}

/**
 * Loads every source of the section into the store (the dict's part is replaced), parses all
 * certificates so that workers inherit the cdata, and returns what the handlers need.
 */
export function load(this: void, section: CertSelectionConfig, dict: NgxSharedDict<string | number> | undefined): Loaded {
  const loaded: Loaded = { rejectUnknown: section.reject_unknown };
  const fixed: store.Entry[] = [];
  for (const item of section.certificates) {
    const entry = loadPair(`config:${item.cert}`, item.cert, item.key, item.hosts);
    if (entry !== undefined) fixed.push(entry);
  }
  store.setFixed(fixed);
  if (section.default !== undefined) {
    // The default serves any name: its own names do not matter (an empty `hosts`).
    const entry = loadPair("default", section.default.cert, section.default.key, []);
    if (entry !== undefined && parse(entry)) loaded.defaultSlot = { [entry.kind]: entry };
  }
  if (dict === undefined) {
    if (section.directory !== undefined || section.admin !== undefined) {
      ngx.log(ngx.ERR, "resty-ts: cert_selection: `directory` and `admin` need `lua_shared_dict resty_ts_certs 16m;` (or larger); they are off");
    }
  } else {
    // The dict outlives a reload: each source is brought up to date in place (never emptied
    // first), so the old workers serve every certificate until they exit.
    if (section.admin !== undefined) {
      const options = section.admin;
      const tokenDigest = options.token !== undefined ? ngx.sha1_bin(options.token) : undefined;
      loaded.admin = { path: options.path, allow: options.allow, tokenDigest, stateFile: resolve(options.state_file), dict };
      admin.restore(loaded.admin.stateFile, dict);
    } else {
      store.removeSource(dict, "api");
    }
    if (section.directory !== undefined) directory.rescan(section.directory, dict);
    else store.removeSource(dict, "dir");
    store.sync(dict);
  }
  for (const [, entry] of store.all()) if (entry.parsedCert === undefined && entry.broken !== true) parse(entry);
  return loaded;
}

/**
 * Sets the expiry gauge of every name served (when prometheus is on). A name no longer served
 * keeps its last value: the metrics API cannot remove a series, and 0 would read as expired.
 */
export function exportExpiry(this: void): void {
  for (const [host, notAfter] of store.servedExpiry()) expiry.set(notAfter, host);
}
