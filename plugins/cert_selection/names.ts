// Host names for certificate selection, pure Lua (no ngx): SNI normalisation, store-name
// validation (RFC 9525 wildcards), lookup and coverage. `lookup` runs once per full handshake.

const lower = string.lower;
const find = string.find;
const sub = string.sub;
const byte = string.byte;

/** Longest DNS name in presentation form without the trailing dot. */
const MAX_NAME = 253;
const DOT = 46;

/**
 * The SNI as the store keys names: ASCII lower case, one trailing dot removed. Nil for names
 * that can match nothing: empty, over 253 bytes, IP literals, and anything but letters, digits,
 * '-', '_' and '.' (NUL, non-ASCII bytes, '*', ':').
 */
export function normaliseSni(this: void, sni: string | undefined): string | undefined {
  if (sni === undefined) return undefined;
  let length = sni.length;
  if (length > 0 && byte(sni, length) === DOT) {
    sni = sub(sni, 1, length - 1);
    length--;
  }
  if (length === 0 || length > MAX_NAME) return undefined;
  if (find(sni, "[^%w%-_%.]")[0] !== undefined) return undefined;
  // Dotted digits only: an IPv4 literal (no TLD is all digits).
  if (find(sni, "^[%d%.]+$")[0] !== undefined) return undefined;
  return lower(sni);
}

/**
 * A name for the store, normalised like an SNI, or nil and why it is refused. A wildcard is
 * allowed only as the whole leftmost label, followed by at least two labels (`*.example.com`,
 * never `*.com`, `a*.example.com` or `*.*.example.com`).
 */
export function storeName(this: void, name: unknown): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  if (type(name) !== "string") return $multi(undefined, `a host name must be a string, found ${type(name)}`);
  const text = name as string;
  let rest = text;
  let wildcard = false;
  if (sub(text, 1, 2) === "*.") {
    wildcard = true;
    rest = sub(text, 3);
  }
  const normalised = normaliseSni(rest);
  if (normalised === undefined) return $multi(undefined, `"${text}" is not a DNS name`);
  if (find(normalised, "..", 1, true)[0] !== undefined || byte(normalised, 1) === DOT) {
    return $multi(undefined, `"${text}" has an empty label`);
  }
  if (wildcard) {
    if (find(normalised, ".", 1, true)[0] === undefined) {
      return $multi(undefined, `"${text}": a wildcard must be followed by at least two labels`);
    }
    return $multi(`*.${normalised}`, undefined);
  }
  return $multi(normalised, undefined);
}

/** Whether a store name is a wildcard (`*.example.com`). */
export function isWildcard(this: void, name: string): boolean {
  return byte(name, 1) === 42;
}

/**
 * Where names lead: `exact` by full name, `wildcard` by the parent of the one label a
 * wildcard covers (`*.example.com` is stored under "example.com").
 */
export interface NameIndex<T> {
  exact: LuaTable<string, T>;
  wildcard: LuaTable<string, T>;
}

/** An empty index. */
export function newIndex<T>(this: void): NameIndex<T> {
  return { exact: new LuaTable(), wildcard: new LuaTable() };
}

/** The slot for a store name (see storeName), created by `make` when absent. */
export function slotFor<T>(this: void, index: NameIndex<T>, name: string, make: (this: void) => T): T {
  const table = isWildcard(name) ? index.wildcard : index.exact;
  const key = isWildcard(name) ? sub(name, 3) : name;
  let slot = table.get(key);
  if (slot === undefined) {
    slot = make();
    table.set(key, slot);
  }
  return slot;
}

/**
 * What a normalised SNI (see normaliseSni) selects: its exact entry, else the wildcard
 * covering its first label, else nil. `a.b.example.com` is not covered by `*.example.com`.
 */
export function lookup<T>(this: void, index: NameIndex<T>, name: string): T | undefined {
  const found = index.exact.get(name);
  if (found !== undefined) return found;
  const [dot] = find(name, ".", 1, true);
  if (dot === undefined || dot === 1) return undefined;
  return index.wildcard.get(sub(name, dot + 1));
}

/**
 * Whether a certificate name (store form) is valid for a host (store form): equal, or a
 * wildcard covering exactly the host's first label. A wildcard host needs the same wildcard.
 */
export function covers(this: void, certName: string, host: string): boolean {
  if (certName === host) return true;
  if (!isWildcard(certName) || isWildcard(host)) return false;
  const [dot] = find(host, ".", 1, true);
  return dot !== undefined && dot > 1 && sub(host, dot + 1) === sub(certName, 3);
}
