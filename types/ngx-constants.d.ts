// Constants of the `ngx` table (lua-nginx-module 0.10.23): core return codes, HTTP status
// codes and HTTP method flags. Literal types, so the conformance test also checks each value.
// All are plain numbers readable in every phase.

/** @noSelf */
interface Ngx {
  /** Core code 0: success; `ngx.exit(ngx.OK)` ends the phase and goes on. Phases: all. */
  readonly OK: 0;
  /** Core code -1: failure; `ngx.exit(ngx.ERROR)` aborts the request (or the handshake in ssl_cert). Phases: all. */
  readonly ERROR: -1;
  /** Core code -2: try again (nginx NGX_AGAIN). Phases: all. */
  readonly AGAIN: -2;
  /** Core code -4: done (nginx NGX_DONE). Phases: all. */
  readonly DONE: -4;
  /** Core code -5: declined, let the next handler run (nginx NGX_DECLINED). Phases: all. */
  readonly DECLINED: -5;
  /** Method flag for GET: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_GET: 2;
  /** Method flag for HEAD: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_HEAD: 4;
  /** Method flag for POST: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_POST: 8;
  /** Method flag for PUT: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_PUT: 16;
  /** Method flag for DELETE: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_DELETE: 32;
  /** Method flag for MKCOL: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_MKCOL: 64;
  /** Method flag for COPY: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_COPY: 128;
  /** Method flag for MOVE: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_MOVE: 256;
  /** Method flag for OPTIONS: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_OPTIONS: 512;
  /** Method flag for PROPFIND: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_PROPFIND: 1024;
  /** Method flag for PROPPATCH: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_PROPPATCH: 2048;
  /** Method flag for LOCK: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_LOCK: 4096;
  /** Method flag for UNLOCK: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_UNLOCK: 8192;
  /** Method flag for PATCH: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_PATCH: 16384;
  /** Method flag for TRACE: for ngx.req.set_method and location.capture's `method`. Phases: all. */
  readonly HTTP_TRACE: 32768;
  /** HTTP status 100 Continue: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_CONTINUE: 100;
  /** HTTP status 101 Switching Protocols: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_SWITCHING_PROTOCOLS: 101;
  /** HTTP status 200 OK: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_OK: 200;
  /** HTTP status 201 Created: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_CREATED: 201;
  /** HTTP status 202 Accepted: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_ACCEPTED: 202;
  /** HTTP status 204 No Content: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_NO_CONTENT: 204;
  /** HTTP status 206 Partial Content: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_PARTIAL_CONTENT: 206;
  /** HTTP status 300 Multiple Choices (nginx's name: the first special response): for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_SPECIAL_RESPONSE: 300;
  /** HTTP status 301 Moved Permanently: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_MOVED_PERMANENTLY: 301;
  /** HTTP status 302 Found: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_MOVED_TEMPORARILY: 302;
  /** HTTP status 303 See Other: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_SEE_OTHER: 303;
  /** HTTP status 304 Not Modified: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_NOT_MODIFIED: 304;
  /** HTTP status 307 Temporary Redirect: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_TEMPORARY_REDIRECT: 307;
  /** HTTP status 308 Permanent Redirect: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_PERMANENT_REDIRECT: 308;
  /** HTTP status 400 Bad Request: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_BAD_REQUEST: 400;
  /** HTTP status 401 Unauthorized: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_UNAUTHORIZED: 401;
  /** HTTP status 402 Payment Required: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_PAYMENT_REQUIRED: 402;
  /** HTTP status 403 Forbidden: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_FORBIDDEN: 403;
  /** HTTP status 404 Not Found: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_NOT_FOUND: 404;
  /** HTTP status 405 Method Not Allowed: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_NOT_ALLOWED: 405;
  /** HTTP status 406 Not Acceptable: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_NOT_ACCEPTABLE: 406;
  /** HTTP status 408 Request Timeout: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_REQUEST_TIMEOUT: 408;
  /** HTTP status 409 Conflict: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_CONFLICT: 409;
  /** HTTP status 410 Gone: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_GONE: 410;
  /** HTTP status 426 Upgrade Required: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_UPGRADE_REQUIRED: 426;
  /** HTTP status 429 Too Many Requests: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_TOO_MANY_REQUESTS: 429;
  /** HTTP status 444 nginx's 444: close the connection without a response: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_CLOSE: 444;
  /** HTTP status 451 Unavailable For Legal Reasons: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_ILLEGAL: 451;
  /** HTTP status 500 Internal Server Error: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_INTERNAL_SERVER_ERROR: 500;
  /** HTTP status 501 Not Implemented (old name): for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_METHOD_NOT_IMPLEMENTED: 501;
  /** HTTP status 501 Not Implemented: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_NOT_IMPLEMENTED: 501;
  /** HTTP status 502 Bad Gateway: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_BAD_GATEWAY: 502;
  /** HTTP status 503 Service Unavailable: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_SERVICE_UNAVAILABLE: 503;
  /** HTTP status 504 Gateway Timeout: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_GATEWAY_TIMEOUT: 504;
  /** HTTP status 505 HTTP Version Not Supported: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_VERSION_NOT_SUPPORTED: 505;
  /** HTTP status 507 Insufficient Storage: for ngx.status and ngx.exit. Phases: all. */
  readonly HTTP_INSUFFICIENT_STORAGE: 507;
}
