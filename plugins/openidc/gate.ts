// One request through the plugin: the callback and logout paths, then the first matching rule.
import { Action, matchRules } from "./rules";
import { clearIdentity, setIdentity } from "./identity";
import { callback, logout, refreshSession, startLogin } from "./login";
import { bearer } from "./bearer";
import { refuse } from "./respond";
import { needsRenewal, readSession, writeSession, type Session } from "./session";
import type { OidcConfig } from "./config";

const setHeader = ngx.req.set_header;
const time = ngx.time;

/** A login-protected request: the session's identity upstream, or the login flow. */
function login(this: void, conf: OidcConfig, vars: NgxVar): void {
  const now = time();
  const [session, chunks] = readSession(conf, vars, false, now);
  if (session === undefined) return startLogin(conf, vars);
  let current: Session | undefined = session;
  let cookies: string[] | undefined;
  if (conf.refresh && session.rt !== undefined && session.ate !== undefined && now >= session.ate - conf.refresh_leeway) {
    cookies = [];
    current = refreshSession(conf, session, chunks, cookies);
    if (current === undefined) return startLogin(conf, vars);
  } else if (needsRenewal(conf, session, now)) {
    cookies = [];
    const renewed: Session = { sub: session.sub, c: session.c, exp: session.exp, t: 0, at: session.at, ate: session.ate, rt: session.rt, idt: session.idt };
    const err = writeSession(conf, renewed, cookies, chunks);
    if (err !== undefined) error(`openidc: ${err}`);
  }
  if (cookies !== undefined && cookies.length > 0) {
    // A non-GET request keeps its body: the new cookie goes out with the upstream's response.
    ngx.header["Set-Cookie"] = cookies;
  }
  setIdentity(conf, current.c);
  if (conf.forward_access_token) setHeader("Authorization", current.at !== undefined ? `Bearer ${current.at}` : undefined);
}

/** Handles one request in the rewrite phase; ends it unless it may go on. */
export function handle(this: void, conf: OidcConfig): void {
  const vars = ngx.var;
  const uri = vars.uri as string;
  if (uri === conf.redirectPath) return callback(conf, vars);
  if (uri === conf.logoutPath) return logout(conf, vars);
  const action = matchRules(conf.compiledRules, conf.rulesUseHost ? (vars.host as string) : "", uri);
  if (action === Action.Pass) return clearIdentity(conf);
  if (action === Action.Login) return login(conf, vars);
  if (action === Action.Bearer) return bearer(conf, vars);
  return refuse(403);
}

