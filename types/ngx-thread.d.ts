// Concurrency inside one request: light threads (`ngx.thread`), subrequests (`ngx.location`)
// and nginx thread pools (`ngx.run_worker_thread`).

/** A light thread made by `ngx.thread.spawn` (a Lua coroutine; type() is "thread"). */
type NgxThreadHandle = LuaThread;

/** @noSelf */
interface NgxThreadApi {
  /** Starts `fn(...args)` as a light thread that runs until it first yields; returns its handle. Phases: rewrite, access, content, timer, ssl_cert, ssl_session_fetch. */
  spawn<A extends unknown[]>(fn: (this: void, ...args: A) => unknown, ...args: A): NgxThreadHandle;
  /** Waits for the first of the threads to finish: true and its return values, or false and its error. Phases: as for spawn. */
  wait(...threads: NgxThreadHandle[]): LuaMultiReturn<[true, ...unknown[]] | [false, string]>;
  /** Kills a pending thread spawned by the current one; true, or nil and err ("already waited or killed"). Phases: as for spawn. */
  kill(thread: NgxThreadHandle): LuaMultiReturn<[true, undefined] | [undefined, string]>;
}

/** Options of one subrequest. */
interface NgxCaptureOptions {
  /** A `ngx.HTTP_*` method flag (GET by default). */
  method?: number;
  /** Request body of the subrequest. */
  body?: string;
  /** Query arguments, as a string or an args table. */
  args?: string | NgxArgsInput;
  /** nginx variables to set in the subrequest. */
  vars?: LuaTable<string, string>;
  /** Copy all variables of the parent request into the subrequest. */
  copy_all_vars?: boolean;
  /** Share all variables with the parent request. */
  share_all_vars?: boolean;
  /** The table the subrequest sees as `ngx.ctx`. */
  ctx?: object;
  /** Forward the parent's request body even for non-POST/PUT methods. */
  always_forward_body?: boolean;
}

/** The result of a subrequest. */
interface NgxCaptureResponse {
  /** Response status. */
  readonly status: number;
  /** Response headers (lists for repeated headers). */
  readonly header: { readonly [name: string]: NgxHeaderValue | undefined };
  /** Response body. */
  readonly body: string;
  /** Whether the body was cut short by an error. */
  readonly truncated: boolean;
}

/** @noSelf */
interface NgxLocation {
  /** Runs a subrequest to the internal `uri` and returns its status, headers and body. Phases: rewrite, access, content. */
  capture(uri: string, options?: NgxCaptureOptions): NgxCaptureResponse;
  /** Runs several subrequests in parallel; returns one response per `[uri, options]`, in order. Phases: rewrite, access, content. */
  capture_multi(requests: [uri: string, options?: NgxCaptureOptions][]): LuaMultiReturn<NgxCaptureResponse[]>;
}

/** @noSelf */
interface Ngx {
  /** Light threads; see `NgxThreadApi`. */
  readonly thread: NgxThreadApi;
  /** Subrequests; see `NgxLocation`. */
  readonly location: NgxLocation;
  /**
   * Runs `require(module_name)[func_name](...args)` in the nginx `thread_pool` named `threadpool`
   * (a separate Lua VM: pass and return only strings, numbers, booleans, nil and tables of them).
   * Returns true and the function's results, or false and an error. Phases: rewrite, access, content.
   */
  run_worker_thread(threadpool: string, module_name: string, func_name: string, ...args: unknown[]): LuaMultiReturn<[true, ...unknown[]] | [false, string]>;
}
