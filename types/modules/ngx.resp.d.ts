/** lua-resty-core 0.1.25 `ngx.resp` and `ngx.req`: header helpers that add instead of replace. */
declare module "ngx.resp" {
  /** Adds a response header (a second `Name:` line when it exists; a list adds several). Phases: rewrite, access, content, header_filter. */
  export function add_header(this: void, name: string, value: string | number | (string | number)[]): void;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}

declare module "ngx.req" {
  /** Adds a request header (a second `Name:` line when it exists; a list adds several). Phases: set, rewrite, access, content, header_filter, body_filter. */
  export function add_header(this: void, name: string, value: string | number | (string | number)[]): void;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
