// Ending a request: redirects and refusals, with the cookies to set and no caching.
const header = ngx.header;

/** Sets the response's Set-Cookie values (none when the list is empty) and forbids caching. */
function prepare(this: void, cookies: string[] | undefined): void {
  if (cookies !== undefined && cookies.length > 0) header["Set-Cookie"] = cookies;
  header["Cache-Control"] = "no-store";
}

/** Redirects (302) to `location`, setting `cookies`. */
export function redirect(this: void, location: string, cookies?: string[]): never {
  prepare(cookies);
  return ngx.redirect(location, 302);
}

/** Ends the request with `status` and nginx's error page for it, setting `cookies`. */
export function refuse(this: void, status: number, cookies?: string[]): never {
  prepare(cookies);
  return ngx.exit(status);
}

/** 401 for an API client that has no session: a JSON body instead of a login redirect. */
export function loginRequired(this: void): never {
  prepare(undefined);
  ngx.status = 401;
  header["Content-Type"] = "application/json";
  ngx.print('{"error":"login_required"}');
  return ngx.exit(200);
}

/** 401 for a missing or invalid bearer token (RFC 6750 3.1). */
export function bearerRefused(this: void, invalid: boolean): never {
  header["WWW-Authenticate"] = invalid ? 'Bearer error="invalid_token"' : "Bearer";
  return ngx.exit(401);
}
