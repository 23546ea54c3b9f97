/** The name of an nginx phase as `ngx.get_phase()` returns it. */
type NgxPhase =
  | "init"
  | "init_worker"
  | "ssl_cert"
  | "ssl_session_fetch"
  | "ssl_session_store"
  | "ssl_client_hello"
  | "set"
  | "rewrite"
  | "server_rewrite"
  | "balancer"
  | "access"
  | "content"
  | "header_filter"
  | "body_filter"
  | "log"
  | "timer"
  | "exit_worker";

/** A phase handler: called by the dispatcher with no arguments. */
type PhaseHandler = (this: void) => void;

/**
 * A resty-ts plugin module: what `plugins/<name>/main.lua` returns.
 * The dispatcher calls each handler in the phase of the same name, in plugin load order.
 */
interface Plugin {
  /** Name used in log lines; the configured name when absent or empty. */
  name?: string;
  /** Runs once per worker after it starts (init_worker_by_lua*). */
  init_worker?: PhaseHandler;
  /** Runs in ssl_certificate_by_lua* for each full TLS handshake (resty-ts dispatcher only). */
  ssl_cert?: PhaseHandler;
  /** Runs in ssl_client_hello_by_lua* for each TLS handshake, resumed ones too (resty-ts dispatcher only). */
  ssl_client_hello?: PhaseHandler;
  /** Runs in rewrite_by_lua* for each request. */
  rewrite?: PhaseHandler;
  /** Runs in access_by_lua* for each request (resty-ts dispatcher only). */
  access?: PhaseHandler;
  /** Runs in header_filter_by_lua* once the response status and headers are known. */
  header_filter?: PhaseHandler;
  /** Runs in body_filter_by_lua* for each chunk of the response body. */
  body_filter?: PhaseHandler;
  /** Runs in log_by_lua* after the response was sent. */
  log?: PhaseHandler;
}

/**
 * The per-request context, `ngx.ctx`. Empty here: each plugin adds the fields it shares by
 * declaration merging (`declare global { interface RequestContext { clientIp?: string } }`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
interface RequestContext {}

/**
 * Value type of each `lua_shared_dict`, by dict name. Empty here: a plugin declares the dicts
 * it uses by declaration merging (`declare global { interface SharedDictSchemas { my_dict: number } }`),
 * and `ngx.shared.my_dict` is then typed with that value type.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
interface SharedDictSchemas {}
