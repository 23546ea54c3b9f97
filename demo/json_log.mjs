// `npm start` demo of json_log: every request to the gateway becomes one JSON line (the
// `ingress` format) in /tmp/resty-ts-json-log.ndjson, through the buffered file sink
// (flushed every 0.2 s here so the lines show up at once).
import { writeFileSync, chmodSync } from "node:fs";

/** The file the README names. */
const FILE = process.env.JSON_LOG_FILE ?? "/tmp/resty-ts-json-log.ndjson";

export default {
  plugin: "json_log",
  // After real_ip, so client_ip is the address it resolved.
  order: 20,
  config: { sink: "file", file: { path: FILE, flush_interval: 0.2 } },
  setup: async () => {
    // Workers run as nobody: start from an empty file they may append to.
    writeFileSync(FILE, "");
    chmodSync(FILE, 0o666);
    return {};
  },
  describe: ({ port }) => [
    `json_log: one JSON line per request in ${FILE}:  tail -f ${FILE}`,
    `json_log: curl -H 'Authorization: Bearer secret' 'http://127.0.0.1:${port}/some/path?q=1&access_token=hidden'   (both come out REDACTED)`,
  ],
};
