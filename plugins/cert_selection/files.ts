// Reading whole files (certificates, keys, the admin state file) and replacing one atomically
// (the state file). Never per handshake.
import * as ffi from "ffi";

// Declared one by one: another module may have declared some of them already.
for (const declaration of [
  "int open(const char *path, int flags, unsigned int mode);",
  "long write(int fd, const void *buf, unsigned long count);",
  "int fsync(int fd);",
  "int close(int fd);",
  "char *strerror(int errnum);",
]) pcall(ffi.cdef, declaration);
const C = ffi.C;

// Linux open(2) flags (the same on x86-64 and arm64).
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
/** The state file holds private keys: readable by the worker user only. */
const OWNER_ONLY = 0o600;

/** The file's bytes, or nil and why it cannot be read. */
export function readFile(this: void, path: string): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  const [file, openError] = io.open(path, "rb");
  if (file === undefined) return $multi(undefined, `cannot read: ${openError}`);
  const text = file.read("*a") as string | undefined;
  file.close();
  if (text === undefined) return $multi(undefined, `cannot read ${path}`);
  return $multi(text, undefined);
}

function lastError(this: void): string {
  return ffi.string(C.strerror(ffi.errno()));
}

/** Writes all of `text` to `fd` and flushes it to disk; nil and why when it cannot. */
function writeAll(this: void, fd: number, text: string): string | undefined {
  let done = 0;
  while (done < text.length) {
    const rest = done === 0 ? text : string.sub(text, done + 1);
    const written = C.write(fd, rest, rest.length) as number;
    if (written < 0) return lastError();
    done += written;
  }
  return C.fsync(fd) === 0 ? undefined : lastError();
}

/**
 * Replaces `path` with `text` (mode 0600) so that a crash at any point leaves either the old
 * file or the new one, never a truncated one: written to a temporary file in the same folder,
 * flushed to disk, renamed over `path`, and the folder flushed. True, or nil and why not.
 */
export function replaceFile(this: void, path: string, text: string): LuaMultiReturn<[true, undefined] | [undefined, string]> {
  const temporary = `${path}.${ngx.worker.pid()}.tmp`;
  const fd = C.open(temporary, O_WRONLY + O_CREAT + O_TRUNC + O_CLOEXEC, OWNER_ONLY) as number;
  if (fd < 0) return $multi(undefined, `cannot write ${temporary}: ${lastError()}`);
  const writeError = writeAll(fd, text);
  C.close(fd);
  if (writeError !== undefined) {
    os.remove(temporary);
    return $multi(undefined, `cannot write ${temporary}: ${writeError}`);
  }
  const [renamed, renameError] = os.rename(temporary, path);
  if (!renamed) {
    os.remove(temporary);
    return $multi(undefined, `cannot replace ${path}: ${renameError}`);
  }
  // The rename itself is durable once the folder is flushed.
  const [slash] = string.find(path, "/[^/]*$");
  const folder = C.open(slash !== undefined && slash > 1 ? string.sub(path, 1, slash - 1) : slash === 1 ? "/" : ".", O_RDONLY + O_CLOEXEC, 0) as number;
  if (folder >= 0) {
    C.fsync(folder);
    C.close(folder);
  }
  return $multi(true, undefined);
}
