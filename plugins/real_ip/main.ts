// real_ip: the client address behind trusted proxies, resolved as nginx's realip module would
// (plus RFC 7239 Forwarded), handed to the upstream in the rewrite phase (X-Real-IP,
// X-Forwarded-For, X-Original-Forwarded-For) and to the other plugins through
// plugins/lib/client.ts (worked out again on demand, or kept in ngx.ctx: see there). The logic
// lives in sources.ts, walk.ts, forwarded.ts and connection.ts; this file holds the handler.
import { contextAddress, enableResolution, keptAddress } from "../lib/client";
import { load } from "../lib/config";
import { cidrContains, compileCidrs, type CidrSet } from "../lib/ip";
import { parser, settings, Source } from "./config";
import { mayName, withoutNames } from "./connection";
import { fromForwarded, fromForwardedFor, fromHeader, fromProxyProtocol } from "./sources";
import { step } from "./walk";
import { setRequestHeader } from "../lib/variables";

const [config] = load("real_ip", parser);
// With a bad config (logged once by `load`) nobody is trusted: the address stays the peer and
// the upstream headers are still overwritten, so a client cannot spoof them.
const active = config !== undefined ? settings(config) : undefined;
const [nobody] = compileCidrs([]);
const trusted = (active !== undefined ? active.trusted : nobody) as CidrSet;
const recursive = active !== undefined ? active.recursive : true;
const source = active !== undefined ? active.source : Source.XForwardedFor;
const variable = active !== undefined ? active.variable : "http_x_forwarded_for";
const headerKey = active !== undefined ? active.headerKey : "x-forwarded-for";

/** Names a client may not list in Connection (lowercase). */
const protectedNames = new LuaTable<string, boolean>();
for (const name of ["x-forwarded-for", "x-real-ip", "x-original-forwarded-for", "forwarded", headerKey]) protectedNames.set(name, true);

const vars = ngx.var;
const tostring_ = tostring;

// Peers repeat (the load balancers): remember the last one's trust to skip parsing it again.
let lastPeer = "";
let lastPeerTrusted = false;

/** The upstream must never get the client's own values: without them set, the request is refused. */
function refuse(this: void): void {
  ngx.log(ngx.ERR, "resty-ts: real_ip: cannot set the X-Real-IP / X-Forwarded-For request headers; request refused");
  ngx.exit(500);
}

/**
 * The TCP peer: `$realip_remote_addr` stays it even after nginx's realip ran (reading
 * `$remote_addr` here would cache it for the request when nginx.conf uses it, and the recipe
 * could not change it).
 */
function peerAddress(this: void): string {
  return (vars.realip_remote_addr ?? vars.remote_addr) as string;
}

/**
 * The resolution for the request as its headers are now (`forwardedFor`: its X-Forwarded-For,
 * read only for that source): the client address (nil when it stays the peer), its port and,
 * for X-Forwarded-For, the trusted chain from the client's entry rightwards.
 */
function resolve(this: void, peer: string, forwardedFor: string | undefined): LuaMultiReturn<[string | undefined, string | undefined, string | undefined]> {
  let peerTrusted = lastPeerTrusted;
  if (peer !== lastPeer) {
    peerTrusted = cidrContains(trusted, peer);
    lastPeer = peer;
    lastPeerTrusted = peerTrusted;
  }
  if (!peerTrusted) return $multi(undefined, undefined, undefined);
  let client: string | undefined;
  let port: string | undefined;
  let chain: string | undefined;
  if (source === Source.XForwardedFor) {
    if (forwardedFor !== undefined) [client, chain] = fromForwardedFor(forwardedFor, trusted, recursive);
  } else if (source === Source.Header) {
    client = fromHeader(variable, headerKey, trusted, recursive);
  } else if (source === Source.Forwarded) {
    client = fromForwarded(trusted, recursive);
  } else {
    [client, port] = fromProxyProtocol(trusted, recursive);
  }
  if (client !== undefined && step.port !== undefined) port = tostring_(step.port);
  return $multi(client, port, chain);
}

/**
 * Whether the headers the rewrite handler leaves resolve to the address it found. Not so for
 * non-recursive X-Forwarded-For (the rewritten header ends with the peer, which a single step
 * would take) nor for the other headers the handler rewrites into something else (`REWRITTEN`):
 * there the address is kept in ngx.ctx instead. X-Real-IP, rewritten to the address alone,
 * resolves to it again but for its port and for an address equal to the peer's (the value
 * written when nothing resolved): those two cases alone go to ngx.ctx (`realIpSource`).
 */
const REWRITTEN: { [name: string]: boolean } = { "x-forwarded-for": true, "x-original-forwarded-for": true, connection: true };
const realIpSource = source === Source.Header && headerKey === "x-real-ip";
const onDemand = source === Source.XForwardedFor ? recursive : source !== Source.Header || REWRITTEN[headerKey] !== true;

/**
 * A unix-socket peer ("unix:") is no X-Forwarded-For entry, so the rewritten header does not
 * resolve as the original did: for such a peer the rewrite handler keeps the address in ngx.ctx.
 */
const UNIX_PEER = "unix:";

/** plugins/lib/client's resolver: the address worked out again from the request. */
function clientAddress(this: void): LuaMultiReturn<[string | undefined, string | undefined]> {
  const peer = peerAddress();
  if (peer === UNIX_PEER) return contextAddress();
  if (realIpSource) {
    const [kept, keptPort] = keptAddress();
    if (kept !== undefined) return $multi(kept, keptPort);
  }
  const [client, port, chain] = resolve(peer, source === Source.XForwardedFor ? vars.http_x_forwarded_for : undefined);
  // The rewrite handler ends X-Forwarded-For with the peer, and sets X-Real-IP to it, when it
  // resolved nothing: that entry alone, equal to the peer, means the peer and its port stay.
  if (client !== undefined && !(client === peer && (chain === client || (realIpSource && port === undefined)))) return $multi(client, port);
  return $multi(vars.remote_addr, vars.remote_port);
}
enableResolution(onDemand ? clientAddress : undefined);

// No loop on the way of a plain X-Forwarded-For (see walk.ts): LuaJIT then compiles the handler,
// with the dispatcher around it, as one trace.
function rewrite(this: void): void {
  const peer = peerAddress();
  const original = vars.http_x_forwarded_for;
  let [client, port, chain] = resolve(peer, original);
  if (client !== undefined) {
    if (!onDemand || peer === UNIX_PEER || (realIpSource && (port !== undefined || client === peer))) {
      const ctx = ngx.ctx;
      ctx.clientIp = client;
      ctx.clientPort = port;
    }
    if (chain === undefined) chain = client;
  } else {
    client = peer;
  }
  const forwardedFor = chain === undefined ? peer : `${chain}, ${peer}`;
  if (!(setRequestHeader("X-Real-IP", client) && setRequestHeader("X-Forwarded-For", forwardedFor) &&
    setRequestHeader("X-Original-Forwarded-For", original))) return refuse();
  const connection = vars.http_connection;
  if (connection !== undefined && mayName(connection) && !setRequestHeader("Connection", withoutNames(connection, protectedNames))) refuse();
}

const plugin: Plugin = { name: "real_ip", rewrite };
export = plugin;
