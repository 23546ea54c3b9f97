/**
 * lua-resty-core 0.1.25 `ngx.semaphore`: a counting semaphore between light threads of one
 * worker (not across workers). Instance methods compile to colon calls (`sema:wait(1)`).
 */
declare module "ngx.semaphore" {
  /** A semaphore instance. Its explicit `this` makes a detached call a type error. */
  export interface Semaphore {
    /** Waits up to `seconds` for a resource (yields); true, or nil and "timeout" / err. Phases: rewrite, access, content, timer, ssl_cert, ssl_session_fetch. */
    wait(this: Semaphore, seconds: number): LuaMultiReturn<[true, undefined] | [undefined, string]>;
    /** Releases `n` resources (1 by default), waking waiters; always true. Phases: all but init. */
    post(this: Semaphore, n?: number): true;
    /** Resources available now (negative when threads are waiting). Phases: all. */
    count(this: Semaphore): number;
  }
  /** A new semaphore holding `n` resources (0 by default); nil and err when it cannot be made. Phases: all but init. */
  function newSemaphore(this: void, n?: number): LuaMultiReturn<[Semaphore, undefined] | [undefined, string]>;
  export { newSemaphore as new };
  /** lua-resty-core version of this module ("0.1.25"). Phases: all. */
  export const version: string;
}
