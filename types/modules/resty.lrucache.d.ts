/**
 * lua-resty-lrucache 0.13: a per-worker LRU cache of Lua values (nothing is shared between
 * workers; no serialisation). Instance methods compile to colon calls (`cache:get(k)`).
 * Phases: all (create caches at module level so each worker builds one).
 */
declare module "resty.lrucache" {
  /** A cache instance holding values of type V. Its explicit `this` makes a detached call a type error. */
  export interface LruCache<V = unknown> {
    /** The value (nil when absent or expired), the expired value when it just expired, and its user flags. */
    get(this: LruCache<V>, key: unknown): LuaMultiReturn<[V | undefined, V | undefined, number | undefined]>;
    /** Stores a value for `ttl` seconds (forever when absent or 0) with user `flags`, evicting the least recently used item when full. */
    set(this: LruCache<V>, key: unknown, value: V, ttl?: number, flags?: number): void;
    /** Removes a key; true when it was there. */
    delete(this: LruCache<V>, key: unknown): boolean;
    /** Number of items stored (expired ones included until evicted). */
    count(this: LruCache<V>): number;
    /** Maximum number of items, as given to new. */
    capacity(this: LruCache<V>): number;
    /** Up to `max_count` keys (all when absent or 0), most recently used first, into `res` when given. */
    get_keys(this: LruCache<V>, max_count?: number, res?: unknown[]): unknown[];
    /** Removes every item. */
    flush_all(this: LruCache<V>): void;
  }
  /** A cache for at most `size` items; nil and "size too small" when size < 1. Phases: all. */
  function newCache<V = unknown>(this: void, size: number): LuaMultiReturn<[LruCache<V>, undefined] | [undefined, string]>;
  export { newCache as new };
  /** lua-resty-lrucache version ("0.13"). Phases: all. */
  export const _VERSION: string;
}
