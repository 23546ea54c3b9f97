// resty-ts: TypeScript declarations for the OpenResty Lua API as Debian ships it
// (lua-nginx-module 0.10.23, lua-resty-core 0.1.25), plus the resty-ts plugin contract.
// Phases named in the doc comments use ngx.get_phase() names.
/// <reference types="lua-types/jit" />
/// <reference types="@typescript-to-lua/language-extensions" />
/// <reference path="./ngx.d.ts" />
/// <reference path="./plugin.d.ts" />
/// <reference path="./ngx-constants.d.ts" />
/// <reference path="./ngx-re.d.ts" />
/// <reference path="./ngx-thread.d.ts" />
/// <reference path="./modules/cjson.d.ts" />
/// <reference path="./modules/ffi.d.ts" />
/// <reference path="./modules/ngx.balancer.d.ts" />
/// <reference path="./modules/ngx.base64.d.ts" />
/// <reference path="./modules/ngx.errlog.d.ts" />
/// <reference path="./modules/ngx.ocsp.d.ts" />
/// <reference path="./modules/ngx.process.d.ts" />
/// <reference path="./modules/ngx.re.d.ts" />
/// <reference path="./modules/ngx.resp.d.ts" />
/// <reference path="./modules/ngx.semaphore.d.ts" />
/// <reference path="./modules/ngx.ssl.d.ts" />
/// <reference path="./modules/ngx.ssl.session.d.ts" />
/// <reference path="./modules/ngx.ssl.clienthello.d.ts" />
/// <reference path="./modules/resty.core.base.d.ts" />
/// <reference path="./modules/resty.lrucache.d.ts" />
/// <reference path="./modules/string.buffer.d.ts" />
/// <reference path="./modules/table.d.ts" />
