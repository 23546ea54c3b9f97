/** lua-resty-core 0.1.25 `ngx.errlog`: reading and filtering nginx's error log from Lua. */
declare module "ngx.errlog" {
  /** Sets the level kept in the `lua_capture_error_log` buffer; true, or nil and err. Phases: init. */
  export function set_filter_level(this: void, level: NgxLogLevel): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /**
   * Takes up to `max` (10) entries out of the `lua_capture_error_log` buffer as a flat list
   * level, time, message, level, time, message, ... (into `logs` when given); nil and err
   * when capturing is not configured. Phases: all but init.
   */
  export function get_logs(this: void, max?: number, logs?: (number | string)[]): LuaMultiReturn<[(number | string)[], undefined] | [undefined, string]>;
  /** The level of the `error_log` directive (an `ngx.*` log level). Phases: all. */
  export function get_sys_filter_level(this: void): NgxLogLevel;
  /** Writes `msg` at `level` without the file/line prefix `ngx.log` adds; raises an error on a bad level. Phases: all. */
  export function raw_log(this: void, level: NgxLogLevel, msg: string): void;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
