// cert_selection: picks the certificate and key for each full TLS handshake by SNI
// (exact name, one-label wildcard, default), with an RSA and an ECDSA certificate per name
// side by side (OpenSSL picks by the client's signature algorithms and ciphers). The phase
// handlers only: loading is in setup.ts, the store in store.ts, the admin API in admin.ts.
import { get_request } from "resty.core.base";
import * as config from "../lib/config";
import { parser } from "./config";
import * as store from "./store";
import * as directory from "./directory";
import * as admin from "./admin";
import { load, exportExpiry, type Loaded } from "./setup";
import { clearCerts, serve, tick } from "./serve";
import { certificateName, connectionSsl, helloName, isolate } from "./session";

const select = store.select;
const sub = string.sub;

/** How often each worker applies the dict's changes (the API promises "within a second"). */
const SYNC_INTERVAL = 0.5;

const [settings] = config.load("cert_selection", parser);
const dict = ngx.shared.resty_ts_certs;
// An invalid configuration serves nothing: nginx's own certificate stays.
const loaded: Loaded = settings !== undefined ? load(settings, dict) : { rejectUnknown: false };
const defaultSlot = loaded.defaultSlot;
const rejectUnknown = loaded.rejectUnknown;
const adminPath = loaded.admin?.path ?? "";
const adminPathLength = adminPath.length;

// ssl_client_hello hands the SNI it normalised to ssl_cert of the same handshake, which OpenSSL
// calls next within the same SSL_do_handshake. Another hook may yield in between (OpenResty's
// nginx allows it; Debian's refuses), so the connection's SSL * must match.
let helloSsl: unknown;
let helloSni: string | undefined;

function ssl_client_hello(this: void): void {
  const r = get_request();
  const sslConnection = connectionSsl(r);
  helloSsl = undefined;
  const name = helloName(r);
  helloSni = name;
  helloSsl = sslConnection;
  if (!isolate(sslConnection, name)) ngx.log(ngx.ERR, "resty-ts: cert_selection: cannot set the session id context; sessions may resume across names");
}

function ssl_cert(this: void): void {
  const r = get_request();
  const sslConnection = connectionSsl(r);
  // Without the ssl_client_hello hook (or another connection's in between), ask OpenSSL.
  const name = sslConnection === helloSsl && helloSsl !== undefined ? helloSni : certificateName(r);
  helloSsl = undefined;
  let slot = name !== undefined ? select(name) : undefined;
  if (slot === undefined) slot = defaultSlot;
  if (slot === undefined) {
    // With no certificate at all, OpenSSL refuses the handshake.
    if (rejectUnknown) clearCerts(r);
    return;
  }
  clearCerts(r);
  const rsa = slot.rsa;
  const ecdsa = slot.ecdsa;
  if (ecdsa !== undefined) serve(r, ecdsa);
  if (rsa !== undefined) serve(r, rsa);
}

/** The store generation worker 0 last exported the expiry metric for. */
let exported = -1;

/** Worker 0 exports expiry for whatever it serves now (it may have synced in an admin request). */
function exportIfChanged(this: void): void {
  if (ngx.worker.id() !== 0 || store.servedGeneration() === exported) return;
  exported = store.servedGeneration();
  exportExpiry();
}

function syncTick(this: void, premature: boolean): void {
  if (premature || dict === undefined) return;
  store.sync(dict);
  exportIfChanged();
}

function rescanTick(this: void, premature: boolean, path: string): void {
  if (!premature && dict !== undefined) directory.rescan(path, dict);
}

function clockTick(this: void, premature: boolean): void {
  if (!premature) tick();
}

function init_worker(this: void): void {
  const first = ngx.worker.id() === 0;
  tick();
  ngx.timer.every(1, clockTick);
  if (dict !== undefined && settings !== undefined) {
    store.sync(dict);
    ngx.timer.every(SYNC_INTERVAL, syncTick);
    if (first && settings.directory !== undefined) ngx.timer.every(settings.rescan_interval, rescanTick, settings.directory);
  }
  exportIfChanged();
}

function rewrite(this: void): void {
  const uri = ngx.var.uri;
  if (uri === undefined || sub(uri, 1, adminPathLength) !== adminPath) return;
  const rest = sub(uri, adminPathLength + 1);
  if (rest !== "" && sub(rest, 1, 1) !== "/") return;
  admin.handle(loaded.admin!, rest);
}

const plugin: Plugin = { name: "cert_selection", init_worker, ssl_cert, ssl_client_hello };
if (loaded.admin !== undefined) plugin.rewrite = rewrite;
export = plugin;
