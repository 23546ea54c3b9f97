// real_ip: the client address behind trusted proxies, resolved in the rewrite phase as nginx's
// realip module would (plus RFC 7239 Forwarded), handed to the other plugins (ngx.ctx, read by
// plugins/lib/client.ts) and to the upstream (X-Real-IP, X-Forwarded-For,
// X-Original-Forwarded-For). The logic lives in sources.ts, walk.ts, forwarded.ts and
// connection.ts; this file holds the handler.
import { enableResolution } from "../lib/client";
import { load } from "../lib/config";
import { cidrContains, compileCidrs, type CidrSet } from "../lib/ip";
import { parser, settings, Source } from "./config";
import { mayName, withoutNames } from "./connection";
import { fromForwarded, fromForwardedFor, fromHeader, fromProxyProtocol } from "./sources";
import { step } from "./walk";
import { setRequestHeader } from "../lib/variables";

const [config] = load("real_ip", parser);
enableResolution();
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

// No loop on the way of a plain X-Forwarded-For (see walk.ts): LuaJIT then compiles the handler,
// with the dispatcher around it, as one trace.
function rewrite(this: void): void {
  // `$realip_remote_addr` is the TCP peer even after nginx's realip ran (reading `$remote_addr`
  // here would cache it for the request when nginx.conf uses it, and the recipe could not change it).
  const peer = (vars.realip_remote_addr ?? vars.remote_addr) as string;
  const original = vars.http_x_forwarded_for;
  let peerTrusted = lastPeerTrusted;
  if (peer !== lastPeer) {
    peerTrusted = cidrContains(trusted, peer);
    lastPeer = peer;
    lastPeerTrusted = peerTrusted;
  }
  let client: string | undefined;
  let port: string | undefined;
  let chain: string | undefined; // the trusted part of X-Forwarded-For, before the peer
  if (peerTrusted) {
    if (source === Source.XForwardedFor) {
      if (original !== undefined) [client, chain] = fromForwardedFor(original, trusted, recursive);
    } else if (source === Source.Header) {
      client = fromHeader(variable, headerKey, trusted, recursive);
    } else if (source === Source.Forwarded) {
      client = fromForwarded(trusted, recursive);
    } else {
      [client, port] = fromProxyProtocol(trusted, recursive);
    }
  }
  if (client !== undefined) {
    if (step.port !== undefined) port = tostring_(step.port);
    const ctx = ngx.ctx;
    ctx.clientIp = client;
    ctx.clientPort = port;
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
