// The __NAME__ plugin: phase handlers only. Configuration is in config.ts.
import { load } from "./config";

// Read and checked once, when nginx loads the plugin (init). When the configuration is
// invalid, load() has logged one error line naming the problem and `config` is undefined.
const [config] = load();

/** rewrite: answers `config.path` itself, before any proxying or content handler. */
function rewrite(this: void): void {
  if (config === undefined || ngx.var.uri !== config.path) return;
  ngx.header["Content-Type"] = "text/plain";
  ngx.say(config.greeting);
  ngx.exit(200);
}

/** header_filter: marks every response, so clients can see the plugin ran. */
function header_filter(this: void): void {
  if (config === undefined) return;
  ngx.header[config.header] = "1";
}

const plugin: Plugin = { name: "__NAME__", rewrite, header_filter };
export = plugin;
