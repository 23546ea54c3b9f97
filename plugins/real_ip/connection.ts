// The `Connection` header of a request, pure Lua: a client may list X-Forwarded-For or
// X-Real-IP there so that a hop-by-hop aware proxy after us drops what real_ip set
// (Traefik CVE-2024-45410). These helpers find and remove such names.

const find = string.find;
const lower = string.lower;
const gmatch = string.gmatch;
const concat = table.concat;

/**
 * Whether a Connection value may name a header real_ip sets (a cheap, case-insensitive test
 * for "forward" or "real"; `mayName` false means no rewrite is needed). Plain finds: LuaJIT
 * compiles them, where a pattern would break the request handler's trace.
 */
export function mayName(this: void, connection: string): boolean {
  const lowered = lower(connection);
  return find(lowered, "forward", 1, true)[0] !== undefined || find(lowered, "real", 1, true)[0] !== undefined;
}

/**
 * The Connection value without the names in `protectedNames` (lowercase keys set to true),
 * comparing case-insensitively; nil when nothing remains.
 */
export function withoutNames(this: void, connection: string, protectedNames: LuaTable<string, boolean>): string | undefined {
  const kept: string[] = [];
  for (const [token] of gmatch(connection, "[^%s,]+")) {
    if (protectedNames.get(lower(token)) !== true) kept.push(token);
  }
  if (kept.length === 0) return undefined;
  return concat(kept, ", ");
}
