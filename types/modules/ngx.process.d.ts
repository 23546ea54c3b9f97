/** lua-resty-core 0.1.25 `ngx.process`: the nginx process model. */
declare module "ngx.process" {
  /** Kind of the current process ("worker" in request phases, "master" or "single" in init). Phases: all. */
  export function type(this: void): "single" | "master" | "signaller" | "worker" | "helper" | "privileged agent";
  /** Asks the master to start a privileged agent (a worker with the master's user) with `connections` (512 by default); true, or nil and err. Phases: init. */
  export function enable_privileged_agent(this: void, connections?: number): LuaMultiReturn<[true, undefined] | [undefined, string]>;
  /** Makes the current nginx process exit gracefully (like a QUIT signal). Phases: all but init. */
  export function signal_graceful_exit(this: void): void;
  /** The master's process id; nil when running without a master (master_process off) or before it exists. Phases: all. */
  export function get_master_pid(this: void): number | undefined;
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
