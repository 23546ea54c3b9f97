// Identity headers sent upstream (`headers`: header name -> claim name). Whatever the client
// sent under those names is replaced or removed on every request, so an upstream can trust them.
import type { OidcConfig } from "./config";

const setHeader = ngx.req.set_header;
const tostring_ = tostring;
const find = string.find;
const concat = table.concat;
const floor = math.floor;

/** Removes every identity header from the request. */
export function clearIdentity(this: void, conf: OidcConfig): void {
  const names = conf.headerNames;
  for (let i = 0; i < names.length; i++) setHeader(names[i], undefined);
}

/** Sets the identity headers from claim values (by claim name); absent claims remove theirs. */
export function setIdentity(this: void, conf: OidcConfig, values: LuaTable<string, string>): void {
  const names = conf.headerNames;
  const claims = conf.headerClaims;
  for (let i = 0; i < names.length; i++) setHeader(names[i], values.get(claims[i]));
}

/** A claim as header text: strings, numbers, booleans, lists of those (joined by ","); else nil. */
function headerText(this: void, value: unknown): string | undefined {
  const kind = type(value);
  let text: string | undefined;
  if (kind === "string") text = value as string;
  else if (kind === "number") text = floor(value as number) === value ? string.format("%d", value) : tostring_(value);
  else if (kind === "boolean") text = value ? "true" : "false";
  else if (kind === "table") {
    const parts: string[] = [];
    for (const item of value as unknown[]) {
      const part = headerText(item);
      if (part === undefined || type(item) === "table") return undefined;
      parts.push(part);
    }
    text = concat(parts, ",");
  }
  // Control characters would split or corrupt the header: such a claim is not sent.
  if (text === undefined || find(text, "%c")[0] !== undefined) return undefined;
  return text;
}

/** The header values of the claims the identity headers use, by claim name (computed once per login). */
export function claimValues(this: void, conf: OidcConfig, claims: LuaTable<string, unknown>): LuaTable<string, string> {
  const values = new LuaTable<string, string>();
  const wanted = conf.headerClaims;
  for (let i = 0; i < wanted.length; i++) {
    const text = headerText(claims.get(wanted[i]));
    if (text !== undefined) values.set(wanted[i], text);
  }
  return values;
}
