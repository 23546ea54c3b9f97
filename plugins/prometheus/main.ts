// prometheus: ingress-nginx compatible request metrics, recorded in the log phase and served at
// the configured path (rewrite phase, so it works under ingress-nginx's own dispatcher too).
import * as config from "../lib/config";
import * as metrics from "../lib/metrics";
import { parser } from "./config";
import * as requests from "./requests";
import * as scrape from "./serve";

const [conf] = config.load("prometheus", parser);
/** The path answered; the default one when the configuration is invalid (then always 403). */
const path = conf !== undefined ? conf.path : "/metrics";
const ngxVar = ngx.var;

if (conf !== undefined) {
  const [ready, problem] = metrics.enable({ maxSeries: conf.max_series, syncInterval: conf.sync_interval });
  if (problem !== undefined) ngx.log(ngx.ERR, `resty-ts: plugin "prometheus": metrics are disabled: ${problem}`);
  requests.setup(conf);
  scrape.setup(conf, ready === true);
}

function init_worker(this: void): void {
  if (!metrics.enabled()) return;
  const [, err] = metrics.startWorker();
  if (err !== undefined) ngx.log(ngx.ERR, `resty-ts: plugin "prometheus": ${err}`);
}

function rewrite(this: void): void {
  if (ngxVar.uri === path) scrape.serve();
}

function log(this: void): void {
  requests.record();
}

function exit_worker(this: void): void {
  metrics.flush();
}

const plugin: Plugin & { exit_worker: PhaseHandler } = { name: "prometheus", init_worker, rewrite, log, exit_worker };
export = plugin;
