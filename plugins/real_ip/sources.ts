// Where real_ip reads the client address from, per configured source: the X-Forwarded-For
// lines, another header's first line, RFC 7239 Forwarded, or the PROXY protocol. Each reader
// runs only for a trusted peer and returns the resolved address (the port, when there is one, is
// left in walk.step.port or returned), or nil when the address stays the peer.
import type { CidrSet } from "../lib/ip";
import { parseForwardedLine, walkForwarded } from "./forwarded";
import { firstRequestHeader } from "../lib/variables";
import { DECLINED, joinedIsAmbiguous, step, stepAddress, walkJoined, walkLine, walkLines } from "./walk";

const vars = ngx.var;
const req = ngx.req;
const sub = string.sub;
const concat = table.concat;

/** The value(s) of a present header as the list of its lines, by lowercase name. */
function headerLines(this: void, key: string): string[] {
  const [headers] = req.get_headers(0);
  const value = headers.get(key);
  if (value === undefined) return [];
  if (type(value) === "table") return value as unknown as string[];
  return [value as string];
}

/**
 * X-Forwarded-For, from nginx's joined value of all its lines (`$http_x_forwarded_for`).
 * Returns the address and the trusted chain (from the accepted entry to the right end), or nil.
 */
export function fromForwardedFor(this: void, joined: string, set: CidrSet, recursive: boolean): LuaMultiReturn<[string, string] | [undefined, undefined]> {
  if (!joinedIsAmbiguous(joined)) {
    if (!walkJoined(joined, set, recursive)) return $multi(undefined, undefined);
    return $multi(stepAddress(joined), sub(joined, step.start));
  }
  // An empty line or one starting with a separator: walk the lines themselves.
  const lines = headerLines("x-forwarded-for");
  const at = walkLines(lines, set, recursive, true);
  if (at < 0) return $multi(undefined, undefined);
  const parts = [sub(lines[at], step.start)];
  for (let i = at + 1; i < lines.length; i++) parts[parts.length] = lines[i];
  return $multi(stepAddress(lines[at]), concat(parts, ", "));
}

/**
 * Another header (X-Real-IP, ...): its first line, walked like X-Forwarded-For. `variable`
 * (`http_x_real_ip`) tells cheaply whether it is present; as it also matches `X_Real_IP`, the
 * line is then taken by its real name (without building ngx.req.get_headers' table).
 */
export function fromHeader(this: void, variable: string, key: string, set: CidrSet, recursive: boolean): string | undefined {
  if (vars[variable] === undefined) return undefined;
  const line = firstRequestHeader(key);
  if (line === undefined) return undefined;
  // One line walks as X-Forwarded-For's joined value does, loop-free when it is plain.
  const accepted = joinedIsAmbiguous(line) ? walkLine(line, set, recursive, true) !== DECLINED : walkJoined(line, set, recursive);
  return accepted ? stepAddress(line) : undefined;
}

/** RFC 7239 Forwarded: the `for` nodes of every element of every line. */
export function fromForwarded(this: void, set: CidrSet, recursive: boolean): string | undefined {
  if (vars.http_forwarded === undefined) return undefined;
  const nodes: (string | false)[] = [];
  for (const line of headerLines("forwarded")) parseForwardedLine(line, nodes);
  const at = walkForwarded(nodes, set, recursive, true);
  return at >= 0 ? stepAddress(nodes[at] as string) : undefined;
}

/** The PROXY protocol source address and port (`$proxy_protocol_addr` / `_port`). */
export function fromProxyProtocol(this: void, set: CidrSet, recursive: boolean): LuaMultiReturn<[string, string | undefined] | [undefined, undefined]> {
  const address = vars.proxy_protocol_addr;
  if (address === undefined || address === "" || walkLine(address, set, recursive, true) === DECLINED) return $multi(undefined, undefined);
  step.port = undefined;
  return $multi(stepAddress(address), vars.proxy_protocol_port);
}
