/** lua-resty-core 0.1.25 `ngx.base64`: URL-safe base64 (RFC 4648 section 5, no padding). Phases: all. */
declare module "ngx.base64" {
  /** Encodes with the URL alphabet and no padding. Phases: all. */
  export function encode_base64url(this: void, s: string): string;
  /** Decodes URL-safe base64 (padding optional); nil and "invalid input" when malformed. Phases: all. */
  export function decode_base64url(this: void, s: string): LuaMultiReturn<[string, undefined] | [undefined, string]>;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
