// resty-ts: TypeScript declarations for the OpenResty Lua API as Debian ships it
// (lua-nginx-module 0.10.23, lua-resty-core 0.1.25), plus the resty-ts plugin contract.
// Phases named in the doc comments use ngx.get_phase() names.
/// <reference types="lua-types/jit" />
/// <reference types="@typescript-to-lua/language-extensions" />
/// <reference path="./ngx.d.ts" />
/// <reference path="./plugin.d.ts" />
/// <reference path="./modules/cjson.d.ts" />
