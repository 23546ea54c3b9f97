// cert_selection: picks the certificate and key for each full TLS handshake by SNI
// (exact name, one-label wildcard, default), with an RSA and an ECDSA certificate per name
// side by side (OpenSSL picks by the client's signature algorithms and ciphers).
import * as ssl from "ngx.ssl";
import * as config from "../lib/config";
import * as metrics from "../lib/metrics";
import { parser, type CertSelectionConfig } from "./config";
import * as store from "./store";
import * as directory from "./directory";
import * as admin from "./admin";
import { check, parseChain, parseKey } from "./certificate";
import { normaliseSni } from "./names";
import { isolate } from "./session";
import { readFile } from "./files";

const serverName = ssl.server_name;
const clearCerts = ssl.clear_certs;
const setCert = ssl.set_cert;
const setPrivKey = ssl.set_priv_key;
const now = ngx.time;
const sub = string.sub;
const len = string.len;

/** How often each worker applies the dict's changes (the API promises "within a second"). */
const SYNC_INTERVAL = 0.5;

const expiry = metrics.gauge("nginx_ingress_controller_ssl_expire_time_seconds", "Number of seconds since 1970 to the SSL Certificate expire.", ["host"]);

const [settings] = config.load("cert_selection", parser);
const dict = ngx.shared.resty_ts_certs;
let defaultSlot: store.Slot | undefined;
let rejectUnknown = false;
let adminSettings: admin.AdminSettings | undefined;
let adminPath = "";


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
  // Parsed now, in the master: workers inherit the cdata instead of each parsing it.
  const entry = certificate as store.Entry;
  parse(entry);
  return entry;
}

function resolve(this: void, path: string): string {
  return sub(path, 1, 1) === "/" ? path : `${ngx.config.prefix()}${path}`;
}

function setup(this: void, section: CertSelectionConfig): void {
  rejectUnknown = section.reject_unknown;
  const loaded: store.Entry[] = [];
  for (const item of section.certificates) {
    const entry = loadPair(`config:${item.cert}`, item.cert, item.key, item.hosts);
    if (entry !== undefined) loaded.push(entry);
  }
  store.setFixed(loaded);
  if (section.default !== undefined) {
    // The default serves any name: its own names do not matter (an empty `hosts`).
    const entry = loadPair("default", section.default.cert, section.default.key, []);
    if (entry !== undefined) defaultSlot = { [entry.kind]: entry };
  }
  if (dict === undefined) {
    if (section.directory !== undefined || section.admin !== undefined) {
      ngx.log(ngx.ERR, "resty-ts: cert_selection: `directory` and `admin` need `lua_shared_dict resty_ts_certs 16m;` (or larger); they are off");
    }
    return;
  }
  store.clearShared(dict);
  if (section.admin !== undefined) {
    adminPath = section.admin.path;
    adminSettings = { path: adminPath, allow: section.admin.allow, token: section.admin.token, stateFile: resolve(section.admin.state_file), dict };
    admin.restore(adminSettings.stateFile, dict);
  }
  if (section.directory !== undefined) directory.rescan(section.directory, dict);
  store.sync(dict);
}

/** Reports an expired certificate once (across workers, per certificate and expiry). */
function warnExpired(this: void, entry: store.Entry): void {
  entry.expiredWarned = true;
  let first = true;
  if (dict !== undefined) [first] = dict.add(`warned:${entry.id}:${entry.not_after}`, 1);
  if (first) ngx.log(ngx.WARN, `resty-ts: cert_selection: certificate ${entry.id} for ${entry.hosts.join(", ")} expired at ${ngx.http_time(entry.not_after)}; still serving it`);
}

/** Parses an entry's PEM once per worker; false when it cannot be served. */
function parse(this: void, entry: store.Entry): boolean {
  const [cert, certError] = parseChain(entry.cert);
  const [key, keyError] = parseKey(entry.key);
  if (cert === undefined || key === undefined) {
    entry.broken = true;
    ngx.log(ngx.ERR, `resty-ts: cert_selection: certificate ${entry.id} cannot be parsed: ${certError ?? keyError}`);
    return false;
  }
  entry.parsedCert = cert;
  entry.parsedKey = key;
  return true;
}

function serve(this: void, entry: store.Entry): void {
  if (entry.parsedCert === undefined && (entry.broken === true || !parse(entry))) return;
  setCert(entry.parsedCert!);
  setPrivKey(entry.parsedKey!);
  if (entry.not_after < now() && entry.expiredWarned !== true) warnExpired(entry);
}

function ssl_cert(this: void): void {
  const [sni] = serverName();
  const name = normaliseSni(sni);
  let slot = name !== undefined ? store.select(name) : undefined;
  if (slot === undefined) slot = defaultSlot;
  if (slot === undefined) {
    // Without any certificate set, OpenSSL refuses the handshake.
    if (rejectUnknown) clearCerts();
    return;
  }
  clearCerts();
  const rsa = slot.rsa;
  const ecdsa = slot.ecdsa;
  if (ecdsa !== undefined) serve(ecdsa);
  if (rsa !== undefined) serve(rsa);
}

function ssl_client_hello(this: void): void {
  if (!isolate()) ngx.log(ngx.ERR, "resty-ts: cert_selection: cannot set the session id context; sessions may resume across names");
}

function exportExpiry(this: void): void {
  for (const [, entry] of store.all()) for (const host of entry.hosts) expiry.set(entry.not_after, host);
}

function syncTick(this: void, premature: boolean): void {
  if (premature || dict === undefined) return;
  if (store.sync(dict) && ngx.worker.id() === 0) exportExpiry();
}

function rescanTick(this: void, premature: boolean, path: string): void {
  if (premature || dict === undefined) return;
  if (directory.rescan(path, dict) > 0) exportExpiry();
}

function init_worker(this: void): void {
  if (dict !== undefined) {
    store.sync(dict);
    ngx.timer.every(SYNC_INTERVAL, syncTick);
    if (ngx.worker.id() === 0 && settings?.directory !== undefined) ngx.timer.every(settings.rescan_interval, rescanTick, settings.directory);
  }
  if (ngx.worker.id() === 0) exportExpiry();
}

function rewrite(this: void): void {
  const uri = ngx.var.uri;
  if (uri === undefined || sub(uri, 1, len(adminPath)) !== adminPath) return;
  const rest = sub(uri, len(adminPath) + 1);
  if (rest !== "" && sub(rest, 1, 1) !== "/") return;
  admin.handle(adminSettings!, rest);
}

if (settings !== undefined) setup(settings);

const plugin: Plugin = { name: "cert_selection", init_worker, ssl_cert, ssl_client_hello };
if (adminSettings !== undefined) plugin.rewrite = rewrite;
export = plugin;
