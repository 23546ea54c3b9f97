/** lua-resty-core 0.1.25 `ngx.re`: regex helpers beyond `ngx.re.*` (see types/ngx-re.d.ts for the options). */
declare module "ngx.re" {
  /**
   * Splits `subject` at each match of `regex` (captures are kept as items), at most `max` items
   * when > 0, into `res` when given; returns the list, or nil and err. Phases: all.
   */
  export function split(this: void, subject: string, regex: string, options?: string, ctx?: NgxReCtx, max?: number, res?: string[]): LuaMultiReturn<[string[], undefined] | [undefined, string]>;
  /** Sets a PCRE option; only "jit_stack_size" (bytes), before any regex is cached; raises an error otherwise. Phases: init. */
  export function opt(this: void, option: "jit_stack_size", value: number): void;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
