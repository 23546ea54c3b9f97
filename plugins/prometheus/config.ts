// prometheus: the configuration section, checked once when the module loads.
import * as cjson from "cjson.safe";
import { record, num, bool, list, custom, type Parsed } from "../lib/schema";
import { cidrList } from "../lib/ip";
import { isMetricName } from "../lib/exposition";
import { DEFAULT_BUCKETS } from "../lib/metrics";

/** ingress-nginx's metric name prefix. */
export const DEFAULT_PREFIX = "nginx_ingress_controller_";

/** ingress-nginx's size buckets (bytes): 10, 20, ... 100. */
export const DEFAULT_SIZE_BUCKETS: readonly number[] = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

function absent(this: void, value: unknown): boolean {
  return value === undefined || value === cjson.null;
}

/** A metric name prefix: "" or a valid start of a metric name. */
const prefix = custom("a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*", (value) => {
  if (absent(value)) return DEFAULT_PREFIX;
  if (type(value) !== "string") return undefined;
  return value === "" || isMetricName(value) ? (value as string) : undefined;
});

/** The scrape path: absolute, no spaces or query. */
const path = custom('a path starting with "/" (no query, no spaces)', (value) => {
  if (absent(value)) return "/metrics";
  if (type(value) !== "string") return undefined;
  return string.find(value as string, "^/[^%s?#]*$")[0] !== undefined ? (value as string) : undefined;
});

/** Histogram bounds: 1 to 64 finite numbers, strictly increasing. */
function bucketList(this: void, defaults: readonly number[]) {
  const numbers = list(num(), { minItems: 1, maxItems: 64 });
  return custom("a list of 1 to 64 finite, strictly increasing numbers", (value) => {
    if (absent(value)) return defaults as number[];
    const [ok, parsed] = pcall(numbers, value, "buckets");
    if (!ok) return undefined;
    const bounds = parsed as number[];
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) return undefined;
    return bounds;
  });
}

/** The `prometheus` section. */
export const parser = record({
  prefix,
  path,
  allow: cidrList({ default: ["127.0.0.1", "::1"] }),
  buckets: record({
    time: bucketList(DEFAULT_BUCKETS),
    size: bucketList(DEFAULT_SIZE_BUCKETS),
  }),
  max_series: num({ default: 10000, integer: true, min: 1, max: 1000000 }),
  sync_interval: num({ default: 1, min: 0.01, max: 60 }),
  per_host: bool(true),
});

/** The checked configuration. */
export type PrometheusConfig = Parsed<typeof parser>;
