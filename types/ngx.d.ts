// The `ngx` global of lua-nginx-module 0.10.23 with lua-resty-core 0.1.25.
// Each member says what it returns and in which phases OpenResty allows it.

/** A log level constant (`ngx.STDERR` .. `ngx.DEBUG`). */
type NgxLogLevel = number & { readonly __ngxLogLevel?: never };

/** Values a `lua_shared_dict` can hold. */
type SharedDictValue = string | number | boolean;

/**
 * A `lua_shared_dict` zone, shared by all workers. Methods compile to colon calls
 * (`dict:get(key)`); their explicit `this` makes a detached call a type error.
 * Allowed in every phase except where noted.
 */
interface NgxSharedDict<V extends SharedDictValue = SharedDictValue> {
  /** Returns the value and its user flags; nil when absent or expired. Phases: all. */
  get(this: NgxSharedDict<V>, key: string): LuaMultiReturn<[V | undefined, number | undefined]>;
  /** Returns the value (nil when absent), its flags (nil when 0) and whether it is stale (expired but not yet evicted). Phases: all. */
  get_stale(this: NgxSharedDict<V>, key: string): LuaMultiReturn<[V | undefined, number | undefined, boolean]>;
  /** Stores a value, evicting least recently used items when full; returns ok, err, forcible. Phases: all. */
  set(this: NgxSharedDict<V>, key: string, value: V | undefined, exptime?: number, flags?: number): LuaMultiReturn<[boolean, string | undefined, boolean]>;
  /** Like set, but never evicts: true, or false and "no memory" when full. Phases: all. */
  safe_set(this: NgxSharedDict<V>, key: string, value: V | undefined, exptime?: number, flags?: number): LuaMultiReturn<[boolean, string | undefined]>;
  /** Stores only when the key is absent ("exists" error otherwise); returns ok, err, forcible. Phases: all. */
  add(this: NgxSharedDict<V>, key: string, value: V, exptime?: number, flags?: number): LuaMultiReturn<[boolean, string | undefined, boolean]>;
  /** Like add, but never evicts: true, or false and "exists" / "no memory". Phases: all. */
  safe_add(this: NgxSharedDict<V>, key: string, value: V, exptime?: number, flags?: number): LuaMultiReturn<[boolean, string | undefined]>;
  /** Stores only when the key exists ("not found" error otherwise). Phases: all. */
  replace(this: NgxSharedDict<V>, key: string, value: V, exptime?: number, flags?: number): LuaMultiReturn<[boolean, string | undefined, boolean]>;
  /** Removes a key. Phases: all. */
  delete(this: NgxSharedDict<V>, key: string): void;
  /**
   * Adds `value` to a number; with `init` an absent key starts at init (and `init_ttl` sets
   * its expiry). Returns the new value, or nil and "not found" / "not a number". Phases: all.
   */
  incr(this: NgxSharedDict<V>, key: string, value: number, init?: number, init_ttl?: number): LuaMultiReturn<[number, undefined, boolean] | [undefined, string, boolean]>;
  /** Pushes onto the head of a list value; returns the new length or nil and err. Phases: all. */
  lpush(this: NgxSharedDict<V>, key: string, value: string | number): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Pushes onto the tail of a list value; returns the new length or nil and err. Phases: all. */
  rpush(this: NgxSharedDict<V>, key: string, value: string | number): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Pops the head of a list value; nil when empty. Phases: all. */
  lpop(this: NgxSharedDict<V>, key: string): LuaMultiReturn<[string | number | undefined, string | undefined]>;
  /** Pops the tail of a list value; nil when empty. Phases: all. */
  rpop(this: NgxSharedDict<V>, key: string): LuaMultiReturn<[string | number | undefined, string | undefined]>;
  /** Length of a list value (0 when absent), or nil and err. Phases: all. */
  llen(this: NgxSharedDict<V>, key: string): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Remaining time to live in seconds (0 when it never expires), or nil and err. Phases: all. */
  ttl(this: NgxSharedDict<V>, key: string): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Sets a key's time to live in seconds (0: never expires); true, or false and "not found". Phases: all. */
  expire(this: NgxSharedDict<V>, key: string, exptime: number): LuaMultiReturn<[boolean, string | undefined]>;
  /** Marks every item expired (memory is freed lazily). Phases: all. */
  flush_all(this: NgxSharedDict<V>): void;
  /** Frees up to `max_count` expired items (all when 0 or absent); returns how many. Phases: all. */
  flush_expired(this: NgxSharedDict<V>, max_count?: number): number;
  /** Up to `max_count` keys (1024 by default, all when 0); locks the dict while it runs. Phases: all. */
  get_keys(this: NgxSharedDict<V>, max_count?: number): string[];
  /** Size of the zone in bytes, as configured by lua_shared_dict. Phases: all. */
  capacity(this: NgxSharedDict<V>): number;
  /** Free pages in bytes (slab memory not yet used). Phases: all. */
  free_space(this: NgxSharedDict<V>): number;
}

/** The shared dicts by name: typed by `SharedDictSchemas`, nil when not configured. */
type NgxShared = {
  readonly [K in keyof SharedDictSchemas]?: NgxSharedDict<SharedDictSchemas[K] & SharedDictValue>;
};

/** Request and response header values: a string, or a list for repeated headers. */
type NgxHeaderValue = string | string[];

/** A table of request headers, query arguments or POST arguments. */
type NgxArgs = LuaTable<string, string | boolean | (string | boolean)[]>;

/** Arguments to encode: an args table or an object literal (`{ page: 2, tag: ["a", "b"], flag: true }`). */
type NgxArgsInput = NgxArgs | { readonly [name: string]: string | number | boolean | readonly (string | number | boolean)[] | undefined };

/**
 * nginx variables by name (`ngx.var.remote_addr`). Reading a missing variable gives nil.
 * Allowed in set, rewrite, access, content, header_filter, body_filter, log, balancer.
 */
type NgxVar = { [name: string]: string | undefined };

/**
 * Response headers to send (`ngx.header["X-Foo"] = "1"`); underscores in names become
 * hyphens. Writable in rewrite, access, content, header_filter; readable also in body_filter, log.
 */
type NgxHeader = { [name: string]: NgxHeaderValue | undefined };

/** @noSelf */
interface NgxReq {
  /** Whether this is an internal request. Phases: set, rewrite, access, content, header_filter, body_filter, log. */
  is_internal(): boolean;
  /** Seconds (with milliseconds) when the request started. Phases: all request phases. */
  start_time(): number;
  /** HTTP version as a number (2, 1.1, 1, 0.9), nil when unknown. Phases: rewrite, access, content, header_filter, log. */
  http_version(): number | undefined;
  /** The raw request header text; `no_request_line` leaves out the request line. Phases: rewrite, access, content, log. Not for HTTP/2. */
  raw_header(no_request_line?: boolean): string;
  /** The request method name ("GET"). Phases: set, rewrite, access, content, header_filter, body_filter, log. */
  get_method(): string;
  /** Changes the request method (a `ngx.HTTP_*` method constant). Phases: rewrite, access, content. */
  set_method(method: number): void;
  /** Changes the URI; with `jump` true (rewrite only) restarts location matching. Phases: set, rewrite, access, content, header_filter, body_filter. */
  set_uri(uri: string, jump?: boolean, binary?: boolean): void;
  /** Replaces the query string with a string or an args table. Phases: set, rewrite, access, content, header_filter, body_filter, log. */
  set_uri_args(args: string | NgxArgsInput): void;
  /**
   * Query arguments (at most `max_args`, 100 by default; 0 for all) and "truncated" when
   * there were more. Phases: set, rewrite, access, content, header_filter, body_filter, log.
   */
  get_uri_args(max_args?: number, tab?: LuaTable): LuaMultiReturn<[NgxArgs, string | undefined]>;
  /** POST form arguments and "truncated"; nil and err when the body went to a file; raises an error when the body was not read (call read_body first). Phases: rewrite, access, content, header_filter, body_filter, log. */
  get_post_args(max_args?: number): LuaMultiReturn<[NgxArgs | undefined, string | undefined]>;
  /**
   * Request headers with lower-case keys (unless `raw`), lists for repeated headers; at most
   * `max_headers` (100 by default; 0 for all) and "truncated" when there were more.
   * Phases: set, rewrite, access, content, header_filter, body_filter, log.
   */
  get_headers(max_headers?: number, raw?: boolean): LuaMultiReturn<[LuaTable<string, NgxHeaderValue>, string | undefined]>;
  /** Sets or, with nil, clears a request header. Phases: set, rewrite, access, content, header_filter, body_filter. */
  set_header(name: string, value: NgxHeaderValue | undefined): void;
  /** Removes a request header. Phases: set, rewrite, access, content, header_filter, body_filter. */
  clear_header(name: string): void;
  /** Reads the request body (yields). Phases: rewrite, access, content. */
  read_body(): void;
  /** Discards the request body. Phases: rewrite, access, content. */
  discard_body(): void;
  /** The body read into memory, nil when it was not read or went to a file. Phases: rewrite, access, content, log. */
  get_body_data(): string | undefined;
  /** The temporary file holding the read body, nil when in memory. Phases: rewrite, access, content. */
  get_body_file(): string | undefined;
  /** Replaces the request body with a string. Phases: rewrite, access, content. */
  set_body_data(data: string): void;
  /** Replaces the request body with a file. Phases: rewrite, access, content. */
  set_body_file(file_name: string, auto_clean?: boolean): void;
  /** Starts building a new request body of about `buffer_size` bytes. Phases: rewrite, access, content. */
  init_body(buffer_size?: number): void;
  /** Appends to the body begun with init_body. Phases: rewrite, access, content. */
  append_body(data: string): void;
  /** Finishes the body begun with init_body. Phases: rewrite, access, content. */
  finish_body(): void;
  /** The downstream socket (raw when `raw`) for streaming the body or upgrading, or nil and err (e.g. the body was already read). Phases: rewrite, access, content. */
  socket(raw?: boolean): LuaMultiReturn<[NgxTcpSocket, undefined] | [undefined, string]>;
}

/** @noSelf */
interface NgxResp {
  /** Response headers with lower-case keys (unless `raw`); at most `max_headers` (100; 0 for all). Phases: set, rewrite, access, content, header_filter, body_filter, log, balancer (before header_filter: the headers set so far). */
  get_headers(max_headers?: number, raw?: boolean): LuaMultiReturn<[LuaTable<string, NgxHeaderValue>, string | undefined]>;
}

/** A timer callback: `premature` is true when the worker is shutting down. */
type NgxTimerCallback<A extends unknown[] = unknown[]> = (this: void, premature: boolean, ...args: A) => void;

/** @noSelf */
interface NgxTimer {
  /**
   * Runs `callback(premature, ...args)` after `delay` seconds in a detached light thread
   * (cosockets allowed there). Returns 1, or nil and an error ("too many pending timers",
   * "process exiting"). Phases: init_worker, set, rewrite, access, content, header_filter,
   * body_filter, log, balancer, ssl_cert, ssl_session_fetch, ssl_session_store, ssl_client_hello, timer.
   */
  at<A extends unknown[]>(delay: number, callback: NgxTimerCallback<A>, ...args: A): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Runs `callback(premature, ...args)` every `delay` seconds until the worker exits; 1, or nil and err. Phases: as for `at`. */
  every<A extends unknown[]>(delay: number, callback: NgxTimerCallback<A>, ...args: A): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Number of timers running now. Phases: all. */
  running_count(): number;
  /** Number of timers waiting to run. Phases: all. */
  pending_count(): number;
}

/** @noSelf */
interface NgxWorker {
  /** Whether this worker is shutting down (after a reload or quit signal). Phases: all but init. */
  exiting(): boolean;
  /** The worker's OS process id. Phases: all but init. */
  pid(): number;
  /** This worker's ordinal number, 0 to count-1; nil in init and in the master. Phases: all (nil in init). */
  id(): number | undefined;
  /** The OS process ids of all workers; nil and err in init and init_worker. Phases: all but init, init_worker. */
  pids(): LuaMultiReturn<[number[], undefined] | [undefined, string]>;
  /** Number of worker processes configured. Phases: all. */
  count(): number;
}

/** @noSelf */
interface NgxConfig {
  /** Whether nginx was built with debug logging (`--with-debug`; true for Debian's nginx). Phases: all. */
  readonly debug: boolean;
  /** The nginx prefix path (`-p`). Phases: all. */
  prefix(): string;
  /** nginx version as a number (1022001 for 1.22.1). Phases: all. */
  readonly nginx_version: number;
  /** The `./configure` arguments nginx was built with. Phases: all. */
  nginx_configure(): string;
  /** "http" or "stream". Phases: all. */
  readonly subsystem: "http" | "stream";
  /** lua-nginx-module version as a number (10023 for 0.10.23). Phases: all. */
  readonly ngx_lua_version: number;
}

/** A cosocket TCP connection. Phases: rewrite, access, content, timer, ssl_cert, ssl_session_fetch. */
interface NgxTcpSocket {
  /** Connects to `host:port` or a `unix:` path (options: `pool` names the keepalive pool, `pool_size` caps it, `backlog` queues connects beyond it); returns 1 or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  connect(this: NgxTcpSocket, host: string, port?: number, options?: { pool?: string; pool_size?: number; backlog?: number }): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /**
   * TLS handshake: returns the session (or true when `reuse_session` is false), or nil and err.
   * Verifies the peer against lua_ssl_trusted_certificate when `ssl_verify` is true. In 0.10.23 a
   * handshake that completes without waiting and then fails verification returns true with the
   * socket already closed (`getreusedtimes` then returns nil). Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer.
   */
  sslhandshake(this: NgxTcpSocket, reuse_session?: unknown, server_name?: string, ssl_verify?: boolean, send_status_req?: boolean): LuaMultiReturn<[unknown, undefined] | [undefined, string]>;
  /** Sends data; returns the bytes sent, or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  send(this: NgxTcpSocket, data: string | (string | number)[]): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Receives a line ("*l", default), everything ("*a") or a byte count; nil, err, partial on failure. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  receive(this: NgxTcpSocket, pattern?: "*l" | "*a" | number): LuaMultiReturn<[string, undefined, undefined] | [undefined, string, string | undefined]>;
  /** Receives up to `size` bytes as soon as any arrive; nil and err ("timeout", "closed") on failure. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  receiveany(this: NgxTcpSocket, size: number): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Returns an iterator that reads up to the delimiter `pattern` (with it when `inclusive`); each call gives data, or nil, err, partial. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  receiveuntil(this: NgxTcpSocket, pattern: string, options?: { inclusive?: boolean }): (this: void, size?: number) => LuaMultiReturn<[string | undefined, string | undefined, string | undefined]>;
  /** Closes the connection; returns 1 or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  close(this: NgxTcpSocket): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Sets one timeout for connect, send and read, in milliseconds. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  settimeout(this: NgxTcpSocket, ms: number): void;
  /** Sets connect, send and read timeouts in milliseconds. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  settimeouts(this: NgxTcpSocket, connect_ms: number, send_ms: number, read_ms: number): void;
  /** Sets a socket option ("keepalive", "reuseaddr", "tcp-nodelay", "sndbuf", "rcvbuf"); true, or false and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  setoption(this: NgxTcpSocket, option: string, value: number | boolean): LuaMultiReturn<[boolean, string | undefined]>;
  /** Returns the connection to the pool (idle `timeout` ms, `size` per pool); 1 or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  setkeepalive(this: NgxTcpSocket, timeout?: number, size?: number): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** How many times this connection was reused from the pool, or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  getreusedtimes(this: NgxTcpSocket): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Binds the local address before connect; returns 1 or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  bind(this: NgxTcpSocket, address: string): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Reads a socket option ("keepalive", "reuseaddr", "tcp-nodelay", "sndbuf", "rcvbuf"); value or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  getoption(this: NgxTcpSocket, option: string): LuaMultiReturn<[number, undefined] | [undefined, string]>;
  /** Sets the client certificate and key (cdata from ngx.ssl parse_pem_*) for the next sslhandshake; true or nil and err. Phases: ssl_cert, ssl_session_fetch, rewrite, access, content, timer. */
  setclientcert(this: NgxTcpSocket, cert: import("ngx.ssl").ParsedCert | undefined, pkey: import("ngx.ssl").ParsedKey | undefined): LuaMultiReturn<[true, undefined] | [undefined, string]>;
}

/** A cosocket UDP socket. Phases: rewrite, access, content, timer, ssl_cert. */
interface NgxUdpSocket {
  /** Sets the peer; returns 1 or nil and err. Phases: ssl_cert, rewrite, access, content, timer. */
  setpeername(this: NgxUdpSocket, host: string, port?: number): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Sends a datagram; returns 1 or nil and err. Phases: ssl_cert, rewrite, access, content, timer. */
  send(this: NgxUdpSocket, data: string): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Receives a datagram of at most `size` bytes (8192 by default); nil and err ("timeout") on failure. Phases: ssl_cert, rewrite, access, content, timer. */
  receive(this: NgxUdpSocket, size?: number): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** Closes the socket; 1, or nil and err. Phases: ssl_cert, rewrite, access, content, timer. */
  close(this: NgxUdpSocket): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Sets the receive timeout in milliseconds. Phases: ssl_cert, rewrite, access, content, timer. */
  settimeout(this: NgxUdpSocket, ms: number): void;
}

/** @noSelf */
interface NgxSocket {
  /** A new TCP cosocket. Phases: rewrite, access, content, timer, ssl_cert, ssl_session_fetch. */
  tcp(): NgxTcpSocket;
  /** A new UDP cosocket. Phases: rewrite, access, content, timer, ssl_cert. */
  udp(): NgxUdpSocket;
  /** A new stream cosocket (for `unix:` paths; the same object as tcp). Phases: as for tcp. */
  stream(): NgxTcpSocket;
  /** Connects a new TCP cosocket in one call; returns it, or nil and err. Phases: as for tcp. */
  connect(host: string, port?: number): LuaMultiReturn<[NgxTcpSocket, undefined] | [undefined, string]>;
}

/** The `ngx` API table. @noSelf */
interface Ngx {
  /** nginx variables by name; see `NgxVar`. Phases: set, rewrite, balancer, access, content, header_filter, body_filter, log. */
  var: NgxVar;
  /** The per-request context table, shared by all phases of one request. Phases: all but init, init_worker. */
  ctx: RequestContext;
  /** Response headers to send; see `NgxHeader`. Writable in rewrite, access, content, header_filter; readable also in body_filter, log. */
  header: NgxHeader;
  /** Response status (0 until one is set or received). Writable in set, rewrite, access, content, header_filter (before headers are sent); readable also in body_filter, log (an error outside requests: init, init_worker, timer). */
  status: number;
  /** In body_filter: `arg[1]` is the chunk (a string, assignable), `arg[2]` the eof flag (true on the last chunk). In set_by_lua: the arguments (nil past the last). Phases: set, body_filter. */
  arg: LuaTable<number, string | boolean | undefined>;
  /** The JSON null / shared-dict nil sentinel (a NULL lightuserdata). Phases: all. */
  readonly null: LuaUserdata;
  /** Request API. */
  readonly req: NgxReq;
  /** Response API. */
  readonly resp: NgxResp;
  /** Shared dicts by name; see `NgxShared`. Phases: all. */
  readonly shared: NgxShared;
  /** Timer API. */
  readonly timer: NgxTimer;
  /** Worker process API. */
  readonly worker: NgxWorker;
  /** nginx build and configuration facts. */
  readonly config: NgxConfig;
  /** Cosocket constructors. */
  readonly socket: NgxSocket;

  /** Writes a line to error.log at `level` when the configured level lets it through. Phases: all. */
  log(level: NgxLogLevel, ...args: unknown[]): void;
  /** Log level: the system is unusable. Phases: all. */
  readonly STDERR: NgxLogLevel;
  /** Log level: emergency. Phases: all. */
  readonly EMERG: NgxLogLevel;
  /** Log level: alert. Phases: all. */
  readonly ALERT: NgxLogLevel;
  /** Log level: critical. Phases: all. */
  readonly CRIT: NgxLogLevel;
  /** Log level: error. Phases: all. */
  readonly ERR: NgxLogLevel;
  /** Log level: warning. Phases: all. */
  readonly WARN: NgxLogLevel;
  /** Log level: notice. Phases: all. */
  readonly NOTICE: NgxLogLevel;
  /** Log level: info. Phases: all. */
  readonly INFO: NgxLogLevel;
  /** Log level: debug. Phases: all. */
  readonly DEBUG: NgxLogLevel;

  /** The current phase name. Phases: all. */
  get_phase(): NgxPhase;

  /** Ends the request with `status` (or, with 0, ends the phase and goes on). Phases: rewrite, access, content, header_filter (status only), balancer, ssl_cert (ngx.ERROR / ngx.OK), timer. */
  exit(status: number): never;
  /** Internal redirect to `uri`. Phases: rewrite, access, content. */
  exec(uri: string, args?: string | NgxArgsInput): never;
  /** Sends a redirect (301, 302 default, 303, 307, 308). Phases: rewrite, access, content. */
  redirect(uri: string, status?: number): never;
  /** Sends data and a newline in the response body; returns 1 or nil and err. Phases: rewrite, access, content. */
  say(...args: unknown[]): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Sends data in the response body; returns 1 or nil and err. Phases: rewrite, access, content. */
  print(...args: unknown[]): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Flushes the response body (waiting when `wait` is true); 1, or nil and err. Phases: rewrite, access, content. */
  flush(wait?: boolean): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Ends the response body (the handler may go on); 1, or nil and err. Phases: rewrite, access, content. */
  eof(): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Sends the response headers now; 1, or nil and err (e.g. "header already sent"). Phases: rewrite, access, content. */
  send_headers(): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Whether response headers were already sent. Phases: set, rewrite, access, content, header_filter, body_filter, log (raises an error elsewhere). */
  headers_sent: boolean;
  /** Whether this request is a subrequest. Phases: set, rewrite, access, content, header_filter, body_filter, log (raises an error elsewhere). */
  readonly is_subrequest: boolean;
  /** Registers a callback for when the client closes the connection early; 1, or nil and err (e.g. lua_check_client_abort is off). Phases: rewrite, access, content. */
  on_abort(callback: (this: void) => void): LuaMultiReturn<[1, undefined] | [undefined, string]>;
  /** Yields for `seconds` (millisecond resolution). Phases: rewrite, access, content, ssl_cert, timer. */
  sleep(seconds: number): void;

  /** Cached time in seconds since the epoch, with milliseconds. Phases: all. */
  now(): number;
  /** Cached time in whole seconds since the epoch. Phases: all. */
  time(): number;
  /** Updates the cached time (a syscall). Phases: all. */
  update_time(): void;
  /** Local date "yyyy-mm-dd". Phases: all. */
  today(): string;
  /** Local time "yyyy-mm-dd hh:mm:ss". Phases: all. */
  localtime(): string;
  /** UTC time "yyyy-mm-dd hh:mm:ss". Phases: all. */
  utctime(): string;
  /** Cookie expiry format of `sec` ("Thu, 18-Nov-10 11:27:35 GMT"). Phases: all. */
  cookie_time(sec: number): string;
  /** HTTP date format of `sec` ("Thu, 18 Nov 2010 11:27:35 GMT"). Phases: all. */
  http_time(sec: number): string;
  /** Parses an HTTP date into seconds since the epoch; nil when malformed. Phases: all. */
  parse_http_time(str: string): number | undefined;

  /** Base64-encodes (without padding when `no_padding`). Phases: all. */
  encode_base64(str: string, no_padding?: boolean): string;
  /** Base64-decodes; nil when malformed. Phases: all. */
  decode_base64(str: string): string | undefined;
  /** URI-escapes a component (type 2, default) or a whole URI (type 0). Phases: all. */
  escape_uri(str: string, type?: 0 | 2): string;
  /** URI-unescapes, turning `+` into space only in the query-arg sense of the input. Phases: all. */
  unescape_uri(str: string): string;
  /** Encodes an args table as a query string. Phases: all. */
  encode_args(args: NgxArgsInput): string;
  /** Decodes a query string into an args table (at most `max_args`, 100 by default; 0 for all) and "truncated" when there were more. Phases: all. */
  decode_args(str: string, max_args?: number): LuaMultiReturn<[NgxArgs, string | undefined]>;
  /** MD5 digest as lower-case hex. Phases: all. */
  md5(str: string): string;
  /** MD5 digest as 16 raw bytes. Phases: all. */
  md5_bin(str: string): string;
  /** SHA-1 digest as 20 raw bytes. Phases: all. */
  sha1_bin(str: string): string;
  /** HMAC-SHA1 of `str` with `secret_key`, 20 raw bytes. Phases: all. */
  hmac_sha1(secret_key: string, str: string): string;
  /** CRC-32 of a short string (a fast loop). Phases: all. */
  crc32_short(str: string): number;
  /** CRC-32 of a long string. Phases: all. */
  crc32_long(str: string): number;
  /** Quotes a string as an SQL literal. Phases: all. */
  quote_sql_str(str: string): string;
}

/** The OpenResty API table, a global in every Lua handler. */
declare const ngx: Ngx;
