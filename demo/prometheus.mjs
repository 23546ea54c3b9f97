// `npm start` demo of prometheus: request metrics at /metrics (loopback may scrape), and a
// ready-made Prometheus configuration that scrapes the gateway.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const promConfig = join(tmpdir(), "resty-ts-prometheus.yml");

export default {
  plugin: "prometheus",
  // After real_ip (order 10), so `allow` sees the resolved client address.
  order: 40,
  config: { path: "/metrics", allow: ["127.0.0.1", "::1"], sync_interval: 1 },
  http: "lua_shared_dict resty_ts_metrics 16m;",
  setup: async ({ port }) => {
    writeFileSync(promConfig, `global:
  scrape_interval: 5s
scrape_configs:
  - job_name: resty-ts
    static_configs:
      - targets: ["127.0.0.1:${port}"]
`);
    return {};
  },
  describe: ({ port }) => [
    `prometheus: curl http://127.0.0.1:${port}/metrics`,
    `prometheus: scrape it: prometheus --config.file=${promConfig} --storage.tsdb.path=$(mktemp -d) --web.listen-address=127.0.0.1:9090`,
    `prometheus:   then open http://127.0.0.1:9090/graph?g0.expr=sum(rate(nginx_ingress_controller_requests[1m]))`,
  ],
};
