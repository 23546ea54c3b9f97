// The admin API: add, replace and remove certificates at runtime, in every worker within a
// second (through the store's shared dict), kept in a state file that is read again at start.
//   GET    <path>        the certificates (ids, hosts, key types, expiry; never keys)
//   GET    <path>/<id>   one of them
//   PUT    <path>/<id>   {"cert": "<PEM>", "key": "<PEM>", "hosts": ["a.example.com"]?}
//   DELETE <path>/<id>
// Only API certificates (ids "api:<id>") can be changed here.
import * as cjson from "cjson.safe";
import * as store from "./store";
import { check, type Certificate } from "./certificate";
import { clientIp } from "../lib/client";
import { cidrContains, type CidrSet } from "../lib/ip";
import { readFile, replaceFile } from "./files";

/** The admin API as main.ts sets it up. */
export interface AdminSettings {
  path: string;
  allow: CidrSet;
  /** SHA-1 of the token callers must send (nil: no token needed); the token itself is not kept. */
  tokenDigest?: string;
  /** Absolute path of the state file. */
  stateFile: string;
  /** Set when the state file could not be read at load: changes are refused (saving would lose it). */
  stateProblem?: string;
  dict: NgxSharedDict<string | number>;
}

const ID_PATTERN = "^[%w._-]+$";
const MAX_ID = 200;
const LOCK_KEY = "lock:admin";

/** One certificate as the state file keeps it. */
interface Saved {
  id: string;
  cert: string;
  key: string;
  hosts?: string[];
}

/** `{"<key>": [...]}`; cjson would write an empty list as `{}`. */
function listJson(this: void, key: string, list: unknown[]): string {
  if (list.length === 0) return `{"${key}":[]}`;
  const [text] = cjson.encode({ [key]: list });
  return text as string;
}

function respond(this: void, status: number, body: unknown): never {
  ngx.status = status;
  ngx.header["Content-Type"] = "application/json";
  ngx.header["Cache-Control"] = "no-store";
  ngx.say(type(body) === "string" ? body : cjson.encode(body));
  return ngx.exit(status);
}

function describeEntry(this: void, entry: Certificate): unknown {
  const [source, id] = store.splitId(entry.id);
  return {
    id,
    source,
    hosts: entry.hosts,
    key_type: entry.kind,
    not_after: entry.not_after,
    expired: entry.not_after < ngx.time(),
  };
}

function requestBody(this: void): string | undefined {
  ngx.req.read_body();
  const data = ngx.req.get_body_data();
  if (data !== undefined) return data;
  const file = ngx.req.get_body_file();
  if (file === undefined) return undefined;
  const [text] = readFile(file);
  return text;
}

/** The API certificates as they will be after `id` becomes `replacement` (nil: removed). */
function savedList(this: void, id: string, replacement: Saved | undefined): Saved[] {
  const list: Saved[] = [];
  for (const [entryId, entry] of store.ofSource("api")) {
    const [, name] = store.splitId(entryId);
    if (name !== id) list.push({ id: name, cert: entry.cert, key: entry.key, hosts: entry.given_hosts });
  }
  if (replacement !== undefined) list.push(replacement);
  table.sort(list, (a, b) => a.id < b.id);
  return list;
}

/** Writes the state file atomically (see replaceFile): a crash never loses the store. */
export function save(this: void, file: string, list: Saved[]): LuaMultiReturn<[true, undefined] | [undefined, string]> {
  return replaceFile(file, listJson("certificates", list));
}

/** Whether a stored entry already is `certificate` (same PEM texts and given hosts). */
function same(this: void, known: Certificate, certificate: Certificate): boolean {
  const knownHosts = known.given_hosts === undefined ? "" : known.given_hosts.join(",");
  const hosts = certificate.given_hosts === undefined ? "" : certificate.given_hosts.join(",");
  return known.cert === certificate.cert && known.key === certificate.key && knownHosts === hosts;
}

/**
 * Makes the dict's API certificates those of the state file (at load, in the master): new and
 * changed ones are published, those no longer in the file removed; unchanged ones are left
 * alone, so workers still running (a reload) serve them throughout. A missing file is an empty
 * state; a bad entry is logged once naming the file and id, and what was served for it stays.
 * Returns why changes must be refused when the file itself cannot be used (nil when it can).
 */
export function restore(this: void, file: string, dict: NgxSharedDict<string | number>): string | undefined {
  store.sync(dict);
  const [text, readError] = readFile(file);
  if (text === undefined && string.find(readError, "No such file", 1, true)[0] === undefined) {
    ngx.log(ngx.ERR, `resty-ts: cert_selection: ${file}: ${readError}; keeping the API certificates as they are, refusing changes until it is readable`);
    return `${file} could not be read at load (${readError}): fix it and reload nginx`;
  }
  const wanted = new LuaTable<string, boolean>();
  let state: unknown = { certificates: [] };
  if (text !== undefined) [state] = cjson.decode(text);
  const list = type(state) === "table" ? (state as { certificates?: unknown }).certificates : undefined;
  if (type(list) !== "table") {
    ngx.log(ngx.ERR, `resty-ts: cert_selection: ${file} is not a state file written by the admin API; ignored, and changes are refused until it is fixed`);
    return `${file} is not a state file written by the admin API: fix or remove it and reload nginx`;
  }
  for (const item of list as Saved[]) {
    const id = type(item) === "table" ? item.id : undefined;
    if (type(id) !== "string") {
      ngx.log(ngx.ERR, `resty-ts: cert_selection: ${file}: an entry without an id; ignored`);
      continue;
    }
    wanted.set(`api:${id}`, true);
    const [certificate, problem] = check(`api:${id}`, item.cert, item.key, item.hosts);
    if (certificate === undefined) {
      ngx.log(ngx.ERR, `resty-ts: cert_selection: ${file}: certificate "${id}" refused: ${problem}`);
      continue;
    }
    const known = store.get(certificate.id);
    if (known === undefined || !same(known, certificate)) store.publish(dict, certificate.id, certificate);
  }
  for (const [id] of store.ofSource("api")) if (wanted.get(id) === undefined) store.publish(dict, id, undefined);
  store.sync(dict);
  return undefined;
}

function lock(this: void, dict: NgxSharedDict<string | number>): boolean {
  for (let i = 0; i < 500; i++) {
    const [ok] = dict.add(LOCK_KEY, 1, 10);
    if (ok) return true;
    ngx.sleep(0.01);
  }
  return false;
}

/** A host and key type `certificate` shares with another API certificate, as a message. */
function conflict(this: void, certificate: Certificate): string | undefined {
  for (const [id, entry] of store.ofSource("api")) {
    if (id === certificate.id || entry.kind !== certificate.kind) continue;
    for (const host of entry.hosts) {
      for (const wanted of certificate.hosts) {
        if (host === wanted) return `host "${host}" already has an ${entry.kind} certificate: "${store.splitId(id)[1]}" (remove it first)`;
      }
    }
  }
  return undefined;
}

/** Changes `id` (nil certificate: removes it) under the lock: state file first, then the dict. */
function change(this: void, settings: AdminSettings, id: string, certificate: Certificate | undefined, saved: Saved | undefined): void {
  if (settings.stateProblem !== undefined) return respond(503, { error: settings.stateProblem });
  if (!lock(settings.dict)) return respond(503, { error: "another change is in progress; try again" });
  store.sync(settings.dict);
  if (certificate !== undefined) {
    const problem = conflict(certificate);
    if (problem !== undefined) {
      settings.dict.delete(LOCK_KEY);
      return respond(409, { error: problem });
    }
  } else if (store.get(`api:${id}`) === undefined) {
    settings.dict.delete(LOCK_KEY);
    return respond(404, { error: `no certificate "${id}"` });
  }
  const before = store.get(`api:${id}`);
  const [saved_, saveError] = save(settings.stateFile, savedList(id, saved));
  if (saved_ === undefined) {
    settings.dict.delete(LOCK_KEY);
    ngx.log(ngx.ERR, `resty-ts: cert_selection: admin API: ${saveError}`);
    return respond(500, { error: `the change could not be persisted: ${saveError}` });
  }
  const [published, publishError] = store.publish(settings.dict, `api:${id}`, certificate);
  // Not applied: the state file goes back to what is served (best effort; it was just writable).
  if (published === undefined) save(settings.stateFile, savedList(id, before !== undefined ? { id, cert: before.cert, key: before.key, hosts: before.given_hosts } : undefined));
  store.sync(settings.dict);
  settings.dict.delete(LOCK_KEY);
  if (published === undefined) return respond(507, { error: publishError });
  if (certificate === undefined) return respond(200, { removed: id });
  return respond(200, describeEntry(certificate));
}

function put(this: void, settings: AdminSettings, id: string): void {
  const [body] = cjson.decode(requestBody() ?? "");
  if (type(body) !== "table") return respond(400, { error: 'the body must be a JSON object {"cert": "<PEM>", "key": "<PEM>", "hosts": [...]}' });
  const input = body as LuaTable<string, unknown>;
  for (const [key] of pairs(input)) {
    if (key !== "cert" && key !== "key" && key !== "hosts") return respond(400, { error: `unknown key "${tostring(key)}" (known: cert, key, hosts)` });
  }
  const hosts = input.get("hosts");
  if (hosts !== undefined && (type(hosts) !== "table" || (hosts as unknown[]).length === 0)) {
    return respond(400, { error: "hosts must be a non-empty list of host names" });
  }
  const [certificate, problem] = check(`api:${id}`, input.get("cert"), input.get("key"), hosts as unknown[] | undefined);
  if (certificate === undefined) return respond(400, { error: problem });
  change(settings, id, certificate, { id, cert: certificate.cert, key: certificate.key, hosts: certificate.given_hosts });
}

function authorised(this: void, settings: AdminSettings): boolean {
  const ip = clientIp();
  if (ip === undefined || !cidrContains(settings.allow, ip)) return false;
  if (settings.tokenDigest === undefined) return true;
  const header = ngx.var.http_authorization;
  if (header === undefined || string.sub(header, 1, 7) !== "Bearer ") return false;
  // Comparing digests (interned strings: one pointer comparison), so the time taken says
  // nothing about how many of the token's characters were right.
  return ngx.sha1_bin(string.sub(header, 8)) === settings.tokenDigest;
}

/** Answers a request under the API path (`rest` is what follows the path). */
export function handle(this: void, settings: AdminSettings, rest: string): void {
  if (!authorised(settings)) return respond(403, { error: "forbidden" });
  const method = ngx.req.get_method();
  store.sync(settings.dict);
  if (rest === "" || rest === "/") {
    if (method !== "GET") return respond(405, { error: "use GET here, or PUT/DELETE <path>/<id>" });
    const list: unknown[] = [];
    for (const [, entry] of store.all()) list.push(describeEntry(entry));
    table.sort(list, (a, b) => (a as { id: string }).id < (b as { id: string }).id);
    return respond(200, listJson("certificates", list));
  }
  const id = string.sub(rest, 2);
  if (string.sub(rest, 1, 1) !== "/" || id.length > MAX_ID || string.find(id, ID_PATTERN)[0] === undefined) {
    return respond(400, { error: "a certificate id is 1 to 200 letters, digits, '.', '_' or '-'" });
  }
  if (method === "GET") {
    const entry = store.get(`api:${id}`);
    if (entry === undefined) return respond(404, { error: `no certificate "${id}"` });
    return respond(200, describeEntry(entry));
  }
  if (method === "PUT") return put(settings, id);
  if (method === "DELETE") return change(settings, id, undefined, undefined);
  return respond(405, { error: "use GET, PUT or DELETE" });
}
