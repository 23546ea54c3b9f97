// The openidc plugin: OpenID Connect login and bearer-token protection in the rewrite phase.
// The configuration is read when the module loads; when it is unusable the module still loads
// and every request is refused with 500, so a broken config never opens the gateway.
import * as configSource from "../lib/config";
import { parser, type OidcConfig } from "./config";
import { dict } from "./provider";
import { handle } from "./gate";

const [loaded, loadError] = configSource.load("openidc", parser);
let refusal: string | undefined = loadError;
if (loaded !== undefined && dict() === undefined) {
  refusal = 'resty-ts: plugin "openidc": nginx.conf lacks "lua_shared_dict resty_ts_oidc 1m;"';
  ngx.log(ngx.ERR, refusal);
}
const conf: OidcConfig | undefined = refusal === undefined ? loaded : undefined;

function rewrite(this: void): void {
  if (conf === undefined) {
    ngx.log(ngx.ERR, `openidc: refusing the request (500): ${refusal}`);
    return ngx.exit(500);
  }
  const [ok, err] = pcall(handle, conf);
  if (!ok) {
    ngx.log(ngx.ERR, `openidc: internal error, refusing the request (500): ${tostring(err)}`);
    return ngx.exit(500);
  }
}

const plugin: Plugin = { name: "openidc", rewrite };
export = plugin;
