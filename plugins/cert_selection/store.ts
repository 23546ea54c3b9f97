// The certificate store. Certificates from the config are fixed at load; those from the
// directory and the admin API live in the shared dict `resty_ts_certs`, where every change
// bumps a version and appends a change record, so each worker applies just the changes.
// Each worker keeps a name index of entries, each holding its parsed cdata once first served:
// a changed certificate is a new entry, so its old cdata is dropped with the old entry.
import * as cjson from "cjson.safe";
import type { ParsedCert, ParsedKey } from "ngx.ssl";
import type { Certificate } from "./certificate";
import { newIndex, slotFor, lookup, type NameIndex } from "./names";

declare global {
  interface SharedDictSchemas {
    /**
     * cert_selection: "v" version, "c:<n>" id changed at version n, "e:<id>" certificate JSON,
     * "k:<id>" configured pairs kept for reloads (setup.ts), "warned:..." expiry warnings, locks.
     */
    resty_ts_certs: string | number;
  }
}

/** A certificate as one worker serves it. */
export interface Entry extends Certificate {
  /** Parsed on first use in this worker. */
  parsedCert?: ParsedCert;
  parsedKey?: ParsedKey;
  /** Set when parsing failed in this worker (logged once); nothing is served from it. */
  broken?: boolean;
  /** The dict's JSON it was decoded from (dynamic entries). */
  json?: string;
  /** Set once its expiry was reported. */
  expiredWarned?: boolean;
}

/** What one name selects: at most one certificate per key type. */
export interface Slot {
  rsa?: Entry;
  ecdsa?: Entry;
}

/** Sources in rising precedence: a later one wins a name and key type. */
const RANK: LuaTable<string, number> = (() => {
  const ranks = new LuaTable<string, number>();
  ranks.set("config", 1);
  ranks.set("dir", 2);
  ranks.set("api", 3);
  return ranks;
})();

/** How long change records are kept; a worker further behind reloads everything. */
const CHANGE_TTL = 3600;

let fixed: Entry[] = [];
const dynamic = new LuaTable<string, Entry>();
let index: NameIndex<Slot> = newIndex();
let version = -1;
let generation = 0;

/** An id's source and its name within that source: "api:shop" gives "api", "shop". */
export function splitId(this: void, id: string): LuaMultiReturn<[string, string]> {
  const [colon] = string.find(id, ":", 1, true);
  if (colon === undefined) return $multi(id, "");
  return $multi(string.sub(id, 1, colon - 1), string.sub(id, colon + 1));
}

function sourceRank(this: void, id: string): number {
  const [source] = splitId(id);
  return RANK.get(source) ?? 0;
}

function newSlot(this: void): Slot {
  return {};
}

function rebuild(this: void): void {
  const entries: Entry[] = [];
  for (const entry of fixed) entries.push(entry);
  for (const [, entry] of dynamic) entries.push(entry);
  table.sort(entries, (a, b) => {
    const rankA = sourceRank(a.id);
    const rankB = sourceRank(b.id);
    return rankA !== rankB ? rankA < rankB : a.id < b.id;
  });
  const next = newIndex<Slot>();
  for (const entry of entries) {
    for (const host of entry.hosts) slotFor(next, host, newSlot)[entry.kind] = entry;
  }
  index = next;
  generation++;
}

/** A number that changes whenever this worker's set of served certificates does. */
export function servedGeneration(this: void): number {
  return generation;
}

/** Sets the certificates from the config (at load, before workers start). */
export function setFixed(this: void, certificates: Certificate[]): void {
  fixed = certificates as Entry[];
  rebuild();
}

/** The slot a normalised SNI selects (exact, then one-label wildcard), or nil. */
export function select(this: void, name: string): Slot | undefined {
  return lookup(index, name);
}

/** The earlier notAfter of a slot's certificates. */
function slotExpiry(this: void, slot: Slot): number {
  const rsa = slot.rsa?.not_after ?? math.huge;
  const ecdsa = slot.ecdsa?.not_after ?? math.huge;
  return rsa < ecdsa ? rsa : ecdsa;
}

/**
 * Each name served (store form) and the earliest notAfter of the certificates serving it
 * (those a name's higher-precedence source hides are not served, so not counted).
 */
export function servedExpiry(this: void): LuaTable<string, number> {
  const result = new LuaTable<string, number>();
  for (const [name, slot] of index.exact) result.set(name, slotExpiry(slot));
  for (const [parent, slot] of index.wildcard) result.set(`*.${parent}`, slotExpiry(slot));
  return result;
}

/** Every certificate this worker knows, by id. */
export function all(this: void): LuaTable<string, Entry> {
  const result = new LuaTable<string, Entry>();
  for (const entry of fixed) result.set(entry.id, entry);
  for (const [id, entry] of dynamic) result.set(id, entry);
  return result;
}

/** The dynamic certificates of one source ("dir" or "api"), by id. */
export function ofSource(this: void, source: string): LuaTable<string, Entry> {
  const result = new LuaTable<string, Entry>();
  const prefix = `${source}:`;
  for (const [id, entry] of dynamic) if (string.sub(id, 1, prefix.length) === prefix) result.set(id, entry);
  return result;
}

/** A dynamic certificate by id (directory or API), or nil. */
export function get(this: void, id: string): Entry | undefined {
  return dynamic.get(id);
}

function decode(this: void, text: unknown): Entry | undefined {
  if (type(text) !== "string") return undefined;
  const [value] = cjson.decode(text as string);
  if (type(value) !== "table") return undefined;
  const entry = value as Entry;
  entry.json = text as string;
  return entry;
}

/**
 * Writes a certificate (or, with nil, removes `id`) into the shared dict for every worker.
 * Returns true, or nil and why (a full dict).
 */
export function publish(this: void, dict: NgxSharedDict<string | number>, id: string, certificate: Certificate | undefined): LuaMultiReturn<[true, undefined] | [undefined, string]> {
  if (certificate !== undefined) {
    const [text] = cjson.encode(certificate);
    const [ok, err] = dict.safe_set(`e:${id}`, text as string);
    if (!ok) return $multi(undefined, `the shared dict resty_ts_certs is full (${err}): make it larger`);
  } else {
    dict.delete(`e:${id}`);
  }
  const [next] = dict.incr("v", 1, 0);
  dict.set(`c:${next}`, id, CHANGE_TTL);
  return $multi(true, undefined);
}

/** Removes every certificate of a source ("dir" or "api") from the dict (a source turned off). */
export function removeSource(this: void, dict: NgxSharedDict<string | number>, source: string): void {
  sync(dict);
  for (const [id] of ofSource(source)) publish(dict, id, undefined);
  sync(dict);
}

function reloadAll(this: void, dict: NgxSharedDict<string | number>): void {
  const keep = new LuaTable<string, Entry>();
  for (const key of dict.get_keys(0)) {
    if (string.sub(key, 1, 2) !== "e:") continue;
    const id = string.sub(key, 3);
    const [text] = dict.get(key);
    const old = dynamic.get(id);
    // Unchanged entries keep their parsed cdata.
    if (old !== undefined && old.json === text) keep.set(id, old);
    else {
      const entry = decode(text);
      if (entry !== undefined) keep.set(id, entry);
    }
  }
  for (const [id] of dynamic) dynamic.delete(id);
  for (const [id, entry] of keep) dynamic.set(id, entry);
}

/**
 * Brings this worker up to the dict's version: applies the change records since the last
 * sync, or reloads everything when they are gone. Returns whether anything changed.
 */
export function sync(this: void, dict: NgxSharedDict<string | number>): boolean {
  const [current] = dict.get("v");
  const latest = (current as number | undefined) ?? 0;
  if (latest === version) return false;
  let complete = version >= 0 && latest > version;
  if (complete) {
    const ids: string[] = [];
    for (const n of $range(version + 1, latest)) {
      const [id] = dict.get(`c:${n}`);
      if (id === undefined) {
        complete = false;
        break;
      }
      ids.push(id as string);
    }
    if (complete) {
      for (const id of ids) {
        const [text] = dict.get(`e:${id}`);
        const entry = decode(text);
        if (entry === undefined) dynamic.delete(id);
        else dynamic.set(id, entry);
      }
    }
  }
  if (!complete) reloadAll(dict);
  version = latest;
  rebuild();
  return true;
}
