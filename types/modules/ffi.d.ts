/**
 * LuaJIT FFI (`require("ffi")`), allowed in every phase. C data is typed as the opaque
 * `FfiCData`; narrow it with your own branded types where it helps (see plugins/lib/openssl.ts).
 */
declare module "ffi" {
  /** A C data object (pointer, array, struct, number box). Opaque to TypeScript. */
  export interface FfiCData {
    readonly __ffiCData: unique symbol;
  }
  /** A C type object (from `ffi.typeof`). Calling it constructs a value like `ffi.new`. */
  export type FfiCType = FfiCData & ((this: void, ...args: unknown[]) => FfiCData);
  /** Adds C declarations (types, functions) to the global FFI namespace. Phases: all. */
  export function cdef(this: void, defs: string): void;
  /** A C library namespace (a userdata): index it by a symbol declared with cdef to get the function or variable. */
  export type FfiNamespace = LuaUserdata & Record<string, any>;
  /** The default C namespace: symbols of the executable and libraries in the global namespace. Phases: all. */
  export const C: FfiNamespace;
  /** Loads a shared library (raises an error when it cannot); returns its C namespace. Phases: all. */
  export function load(this: void, name: string, global?: boolean): FfiNamespace;
  /** Allocates C data of the given type (garbage-collected). `nelem` sizes a VLA. */
  function new_(this: void, ct: string | FfiCType, nelem?: number, ...init: unknown[]): FfiCData;
  export { new_ as new };
  /** Returns the C type object for a type string or value. */
  function typeOf(this: void, ct: string | FfiCData, ...params: unknown[]): FfiCType;
  export { typeOf as typeof };
  /** Converts a value to the given C type. Phases: all. */
  export function cast(this: void, ct: string | FfiCType, init: unknown): FfiCData;
  /** Attaches a finalizer to a cdata pointer (or removes it with null); returns the cdata. Phases: all. */
  export function gc<T>(this: void, cdata: T, finalizer: ((this: void, cdata: T) => void) | undefined): T;
  /** Creates a Lua string from a pointer: up to the first NUL, or exactly `len` bytes. */
  function toString(this: void, ptr: FfiCData | string, len?: number): string;
  export { toString as string };
  /** Copies `len` bytes from `src` to `dst` (or a Lua string including its NUL when len is absent). Phases: all. */
  export function copy(this: void, dst: FfiCData, src: FfiCData | string, len?: number): void;
  /** Fills `len` bytes of `dst` with `c` (default 0). Phases: all. */
  export function fill(this: void, dst: FfiCData, len: number, c?: number): void;
  /** Size in bytes of a C type or value; undefined when unknown. Phases: all. */
  export function sizeof(this: void, ct: string | FfiCType | FfiCData, nelem?: number): number | undefined;
  /** Whether `obj` has the C type `ct`. Phases: all. */
  export function istype(this: void, ct: string | FfiCType, obj: unknown): boolean;
  /** Reads (and optionally sets) the C errno. Phases: all. */
  export function errno(this: void, newErrno?: number): number;
  /** Associates a metatable with a C type. Phases: all. */
  export function metatype(this: void, ct: string | FfiCType, metatable: LuaTable): FfiCType;
  /** Byte offset of `field` in a struct type, or nil when there is no such field. Phases: all. */
  export function offsetof(this: void, ct: string | FfiCType, field: string): number | undefined;
  /** Minimal alignment in bytes of a C type. Phases: all. */
  export function alignof(this: void, ct: string | FfiCType | FfiCData): number;
  /** Whether the target has the ABI property (e.g. "64bit", "le"). Phases: all. */
  export function abi(this: void, param: string): boolean;
  /** Target OS name ("Linux", ...). Phases: all. */
  export const os: string;
  /** Target architecture name ("x64", ...). Phases: all. */
  export const arch: string;
}
