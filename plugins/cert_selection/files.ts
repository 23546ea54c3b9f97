// Reading whole files (certificates, keys, the admin state file). Never per handshake.

/** The file's bytes, or nil and why it cannot be read. */
export function readFile(this: void, path: string): LuaMultiReturn<[string, undefined] | [undefined, string]> {
  const [file, openError] = io.open(path, "rb");
  if (file === undefined) return $multi(undefined, `cannot read: ${openError}`);
  const text = file.read("*a") as string | undefined;
  file.close();
  if (text === undefined) return $multi(undefined, `cannot read ${path}`);
  return $multi(text, undefined);
}
