// The `directory` source: `<name>.crt` + `<name>.key` files, and `<name>/tls.crt` +
// `<name>/tls.key` (a Kubernetes TLS Secret mounted as a folder). Read at load and rescanned
// by worker 0, which publishes changes through the store; a bad pair is logged once (naming
// its file) and whatever was served for it before stays served.
import * as ffi from "ffi";
import * as store from "./store";
import { check, type Certificate } from "./certificate";
import { readFile } from "./files";

// glibc on 64-bit Linux: struct dirent { ino_t; off_t; unsigned short; unsigned char; char[256] }.
const [declared] = pcall(ffi.cdef, `
  typedef struct { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[256]; } resty_ts_dirent;
  void *opendir(const char *name);
  resty_ts_dirent *readdir(void *dir);
  int closedir(void *dir);
`);
const C = ffi.C;

/** Names in a folder (without "." entries and hidden ones), or nil and why it cannot be read. */
export function list(this: void, path: string): LuaMultiReturn<[string[], undefined] | [undefined, string]> {
  if (!declared) return $multi(undefined, "directory listing is unavailable (FFI declarations failed)");
  const dir = C.opendir(path);
  if (dir === null) return $multi(undefined, `cannot open directory ${path} (errno ${ffi.errno()})`);
  const names: string[] = [];
  for (;;) {
    const entry = C.readdir(dir);
    if (entry === null) break;
    const name = ffi.string(entry.d_name);
    if (string.sub(name, 1, 1) !== ".") names.push(name);
  }
  C.closedir(dir);
  table.sort(names);
  return $multi(names, undefined);
}

/**
 * One pair found in the folder: the file to name in a log line, the two texts, or (one half
 * unreadable) why it cannot be used.
 */
interface Found {
  file: string;
  cert: string;
  key: string;
  problem?: string;
}

/**
 * The pairs in the folder, by store id ("dir:<name>"). A pair with one half unreadable is found
 * with its problem (it may be mid-update: what it served stays); with neither, it is no pair.
 */
function pairs(this: void, path: string, names: string[]): LuaTable<string, Found> {
  const found = new LuaTable<string, Found>();
  for (const name of names) {
    let certFile: string | undefined;
    let keyFile: string | undefined;
    let stem = name;
    if (string.sub(name, -4) === ".crt") {
      stem = string.sub(name, 1, -5);
      certFile = `${path}/${name}`;
      keyFile = `${path}/${stem}.key`;
    } else if (string.find(name, ".", 1, true)[0] === undefined) {
      certFile = `${path}/${name}/tls.crt`;
      keyFile = `${path}/${name}/tls.key`;
    }
    if (certFile === undefined || keyFile === undefined) continue;
    const [cert, certError] = readFile(certFile);
    const [key, keyError] = readFile(keyFile);
    if (cert !== undefined && key !== undefined) found.set(`dir:${stem}`, { file: certFile, cert, key });
    else if (cert !== undefined) found.set(`dir:${stem}`, { file: keyFile, cert: "", key: "", problem: keyError });
    else if (key !== undefined) found.set(`dir:${stem}`, { file: certFile, cert: "", key: "", problem: certError });
  }
  return found;
}

/** Per id, the texts last refused, so a bad pair is logged once until it changes. */
const refused = new LuaTable<string, string>();

/**
 * Reads the folder and publishes what changed: new and changed pairs (checked first), and
 * removals. Returns how many certificates changed.
 */
export function rescan(this: void, path: string, dict: NgxSharedDict<string | number>): number {
  const [names, listError] = list(path);
  if (names === undefined) {
    if (refused.get("") !== listError) ngx.log(ngx.ERR, `resty-ts: cert_selection: directory: ${listError}`);
    refused.set("", listError);
    return 0;
  }
  refused.delete("");
  store.sync(dict);
  const found = pairs(path, names);
  let changes = 0;
  for (const [id, pair] of found) {
    const known = store.get(id);
    if (known !== undefined && known.cert === pair.cert && known.key === pair.key) continue;
    const texts = pair.problem ?? pair.cert + pair.key;
    if (refused.get(id) === texts) continue;
    let certificate: Certificate | undefined;
    let problem = pair.problem;
    if (problem === undefined) [certificate, problem] = check(id, pair.cert, pair.key);
    if (certificate === undefined) {
      refused.set(id, texts);
      ngx.log(ngx.ERR, `resty-ts: cert_selection: refused ${pair.file}: ${problem}${known !== undefined ? " (still serving the previous certificate)" : ""}`);
      continue;
    }
    const [ok, err] = store.publish(dict, id, certificate);
    if (ok) {
      refused.delete(id);
      changes++;
    } else {
      refused.set(id, texts);
      ngx.log(ngx.ERR, `resty-ts: cert_selection: ${pair.file}: ${err}`);
    }
  }
  for (const [id] of store.ofSource("dir")) {
    if (found.get(id) === undefined) {
      store.publish(dict, id, undefined);
      changes++;
    }
  }
  if (changes > 0) store.sync(dict);
  return changes;
}
