// prometheus: ingress-nginx's request metrics (names, types, labels, buckets), recorded in the
// log phase. One label-tree lookup per request finds the children of all seven metrics.
import * as metrics from "../lib/metrics";
import type { PrometheusConfig } from "./config";
import { upstreamSum } from "./timing";
import { variableReader } from "../lib/variables";

/** The request labels in ingress-nginx's order (`host` only with per_host). */
export const REQUEST_LABELS = ["status", "method", "path", "namespace", "ingress", "service", "canary", "host"] as const;
type RequestLabels = typeof REQUEST_LABELS;
const LABELS_WITHOUT_HOST = ["status", "method", "path", "namespace", "ingress", "service", "canary"];

/** The children of one label set. */
interface Children {
  readonly requests: metrics.CounterChild;
  readonly requestDuration: metrics.HistogramChild;
  readonly responseDuration: metrics.HistogramChild;
  readonly headerDuration: metrics.HistogramChild;
  readonly connectDuration: metrics.HistogramChild;
  readonly requestSize: metrics.HistogramChild;
  readonly responseSize: metrics.HistogramChild;
}

/**
 * nginx variables read per request (by one generated reader, see plugins/lib/variables.ts).
 * The label variables are the ones ingress-nginx's template defines.
 */
const VARIABLES = [
  "status", "request_method", "location_path", "namespace", "ingress_name", "service_name",
  "proxy_alternative_upstream_name", "host",
  "request_time", "upstream_response_time", "upstream_header_time", "upstream_connect_time",
  "request_length", "bytes_sent", "uri",
];
const [readVariables] = variableReader(VARIABLES);
const values: (string | undefined)[] = [];

let tree: metrics.LabelTree<RequestLabels, Children> | undefined;
let perHost = true;
let scrapePath = "";

/** Registers the request metrics under the configured prefix and buckets. */
export function setup(this: void, conf: PrometheusConfig): void {
  const p = conf.prefix;
  const names = (conf.per_host ? REQUEST_LABELS : LABELS_WITHOUT_HOST) as unknown as RequestLabels;
  const time = conf.buckets.time;
  const size = conf.buckets.size;
  const requests = metrics.counter(`${p}requests`, "The total number of client requests.", names);
  const requestDuration = metrics.histogram(`${p}request_duration_seconds`, "The request processing time in seconds ($request_time).", names, time);
  const responseDuration = metrics.histogram(`${p}response_duration_seconds`, "The time spent receiving the response from the upstream server, in seconds ($upstream_response_time).", names, time);
  const headerDuration = metrics.histogram(`${p}header_duration_seconds`, "The time spent receiving the first header from the upstream server, in seconds ($upstream_header_time).", names, time);
  const connectDuration = metrics.histogram(`${p}connect_duration_seconds`, "The time spent establishing a connection with the upstream server, in seconds ($upstream_connect_time).", names, time);
  const requestSize = metrics.histogram(`${p}request_size`, "The request length in bytes, including request line, header and body ($request_length).", names, size);
  const responseSize = metrics.histogram(`${p}response_size`, "The response length in bytes, including status line and header ($bytes_sent).", names, size);
  tree = metrics.labelTree(REQUEST_LABELS, (status, method, path, namespace, ingress, service, canary, host) => ({
    requests: requests.labels(status, method, path, namespace, ingress, service, canary, host),
    requestDuration: requestDuration.labels(status, method, path, namespace, ingress, service, canary, host),
    responseDuration: responseDuration.labels(status, method, path, namespace, ingress, service, canary, host),
    headerDuration: headerDuration.labels(status, method, path, namespace, ingress, service, canary, host),
    connectDuration: connectDuration.labels(status, method, path, namespace, ingress, service, canary, host),
    requestSize: requestSize.labels(status, method, path, namespace, ingress, service, canary, host),
    responseSize: responseSize.labels(status, method, path, namespace, ingress, service, canary, host),
  }), conf.max_series);
  perHost = conf.per_host;
  scrapePath = conf.path;
}

/** Records the current request (log phase). Scrapes of the metrics path are not recorded. */
export function record(this: void): void {
  const labels = tree;
  if (labels === undefined) return;
  const v = values;
  readVariables!(v);
  if (v[14] === scrapePath) return;
  const host = perHost ? v[7] : undefined;
  const children = labels.get(v[0], v[1], v[2], v[3], v[4], v[5], v[6], host);
  if (children === undefined) return;
  children.requests.inc(1);
  const requestTime = tonumber(v[8]);
  if (requestTime !== undefined) children.requestDuration.observe(requestTime);
  const response = upstreamSum(v[9]);
  if (response !== undefined) children.responseDuration.observe(response);
  const header = upstreamSum(v[10]);
  if (header !== undefined) children.headerDuration.observe(header);
  const connect = upstreamSum(v[11]);
  if (connect !== undefined) children.connectDuration.observe(connect);
  const requestLength = tonumber(v[12]);
  if (requestLength !== undefined) children.requestSize.observe(requestLength);
  const bytesSent = tonumber(v[13]);
  if (bytesSent !== undefined) children.responseSize.observe(bytesSent);
}
