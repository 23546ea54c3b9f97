// Loading the configured sources when the module loads (in the master, before workers fork):
// config files, the admin API's state file, the directory; and the expiry metric.
import * as metrics from "../lib/metrics";
import type { CertSelectionConfig } from "./config";
import * as store from "./store";
import * as directory from "./directory";
import * as admin from "./admin";
import * as cjson from "cjson.safe";
import { check, type Certificate } from "./certificate";
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

/** Dict keys of the copies of configured pairs, kept for the next reload: "k:<id>". */
const KEPT = "k:";

/** The copy of a configured pair kept by the last load that accepted it, or nil. */
function kept(this: void, dict: NgxSharedDict<string | number> | undefined, id: string): store.Entry | undefined {
  if (dict === undefined) return undefined;
  const [text] = dict.get(`${KEPT}${id}`);
  const [value] = type(text) === "string" ? cjson.decode(text as string) : [undefined];
  return type(value) === "table" ? (value as store.Entry) : undefined;
}

/**
 * Checks one configured pair and keeps a copy in the dict (when there is one). A refused pair
 * gets one log line naming the file; on a reload, the copy a previous load accepted is served
 * instead, so a broken file never takes a name's certificate away.
 */
function loadPair(this: void, dict: NgxSharedDict<string | number> | undefined, id: string, certFile: string, keyFile: string, hosts?: string[]): store.Entry | undefined {
  const [cert, certError] = readFile(certFile);
  const [key, keyError] = readFile(keyFile);
  let file = certFile;
  let certificate: Certificate | undefined;
  let problem: string | undefined;
  if (cert === undefined || key === undefined) {
    file = cert === undefined ? certFile : keyFile;
    problem = certError ?? keyError;
  } else {
    [certificate, problem] = check(id, cert, key, hosts);
  }
  if (certificate !== undefined) {
    // Best effort: a full dict only means no fallback for this pair.
    dict?.safe_set(`${KEPT}${id}`, cjson.encode(certificate)[0] as string);
    return certificate as store.Entry;
  }
  const previous = kept(dict, id);
  ngx.log(ngx.ERR, `resty-ts: cert_selection: refused ${file}: ${problem}${previous !== undefined ? " (still serving the previous certificate)" : ""}`);
  return previous;
}

/** Drops the kept copies of pairs no longer configured. */
function dropKept(this: void, dict: NgxSharedDict<string | number>, ids: LuaTable<string, boolean>): void {
  for (const key of dict.get_keys(0)) {
    if (string.sub(key, 1, KEPT.length) === KEPT && ids.get(string.sub(key, KEPT.length + 1)) === undefined) dict.delete(key);
  }
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
  const configured = new LuaTable<string, boolean>();
  for (const item of section.certificates) {
    const id = `config:${item.cert}`;
    configured.set(id, true);
    const entry = loadPair(dict, id, item.cert, item.key, item.hosts);
    if (entry !== undefined) fixed.push(entry);
  }
  store.setFixed(fixed);
  if (section.default !== undefined) {
    configured.set("default", true);
    // The default serves any name: its own names do not matter (an empty `hosts`).
    const entry = loadPair(dict, "default", section.default.cert, section.default.key, []);
    if (entry !== undefined && parse(entry)) loaded.defaultSlot = { [entry.kind]: entry };
  }
  if (dict !== undefined) dropKept(dict, configured);
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
      loaded.admin.stateProblem = admin.restore(loaded.admin.stateFile, dict);
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
