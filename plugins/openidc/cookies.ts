// Cookie text: Set-Cookie values, splitting a long value over several cookies (browsers keep
// about 4 KB per cookie) and joining it back. Pure (no ngx), testable alone.
//
// A value that fits is stored as is under `name`. A longer one is cut into n pieces: `name`
// holds "<n>." followed by the first piece, `name_2` .. `name_n` the others. Session values are
// base64url, which never contains ".", so the two forms cannot be confused.

/** Bytes of value per cookie; name and attributes stay well under the 4096-byte limit. */
export const CHUNK_SIZE = 3800;
/** Most cookies one value may use (about 34 KB); a bigger session is refused. */
export const MAX_CHUNKS = 9;

const sub = string.sub;
const match = string.match;
const ceil = math.ceil;

/** A `Set-Cookie` value storing `value` under `name` (attributes start with "; "). */
export function setCookie(this: void, name: string, value: string, attributes: string, maxAge: number): string {
  return `${name}=${value}${attributes}; Max-Age=${maxAge}`;
}

/** A `Set-Cookie` value that deletes `name`. */
export function clearCookie(this: void, name: string, attributes: string): string {
  return `${name}=${attributes}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}

/**
 * Appends to `out` the Set-Cookie values storing `value` under `name` (split when long) and
 * deleting chunks `name_k` left over from a previous value of `previousChunks` pieces.
 * Returns nil, or why the value cannot be stored (too large).
 */
export function storeChunked(this: void, out: string[], name: string, value: string, attributes: string, maxAge: number, previousChunks: number): string | undefined {
  const length = value.length;
  const chunks = length <= CHUNK_SIZE ? 1 : ceil(length / CHUNK_SIZE);
  if (chunks > MAX_CHUNKS) return `the session needs ${length} bytes, more than ${MAX_CHUNKS} cookies hold`;
  if (chunks === 1) {
    out.push(setCookie(name, value, attributes, maxAge));
  } else {
    out.push(setCookie(name, `${chunks}.${sub(value, 1, CHUNK_SIZE)}`, attributes, maxAge));
    for (let i = 2; i <= chunks; i++) {
      out.push(setCookie(`${name}_${i}`, sub(value, (i - 1) * CHUNK_SIZE + 1, i * CHUNK_SIZE), attributes, maxAge));
    }
  }
  for (let i = chunks + 1; i <= previousChunks; i++) out.push(clearCookie(`${name}_${i}`, attributes));
  return undefined;
}

/**
 * How many cookies the value whose first cookie is `first` spans (1 when not split), and the
 * first piece. Nil when the count is malformed.
 */
export function chunkCount(this: void, first: string): LuaMultiReturn<[number, string] | [undefined, undefined]> {
  const [count, rest] = match(first, "^(%d)%.(.*)$");
  if (count === undefined) return $multi(1, first);
  const n = tonumber(count) as number;
  if (n < 2 || n > MAX_CHUNKS) return $multi(undefined, undefined);
  return $multi(n, rest as string);
}

/** Appends to `out` deletions of `name` and of its chunks 2..chunks. */
export function clearChunked(this: void, out: string[], name: string, attributes: string, chunks: number): void {
  out.push(clearCookie(name, attributes));
  for (let i = 2; i <= chunks; i++) out.push(clearCookie(`${name}_${i}`, attributes));
}

/**
 * Names of cookies in a Cookie header that start with `prefix` followed by a flow id of
 * letters and digits (the login-flow cookies), in order of appearance.
 */
export function namesWithPrefix(this: void, cookieHeader: string | undefined, prefix: string): string[] {
  const names: string[] = [];
  if (cookieHeader === undefined) return names;
  const escaped = string.gsub(prefix, "[%p]", "%%%0")[0];
  for (const [name] of string.gmatch(`;${cookieHeader}`, `;%s*(${escaped}%w+)=`)) names.push(name as string);
  return names;
}
