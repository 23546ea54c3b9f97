// Where the resty-ts package lives, and what it ships for users' projects.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The root of the resty-ts package (this repository, or node_modules/resty-ts). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The installed resty-ts version. */
export const VERSION = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version;

/** Templates used by `resty-ts new`. */
export const TEMPLATES = join(PACKAGE_ROOT, "kit", "templates");
