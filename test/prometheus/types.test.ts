// The metrics API's types reject wrong label counts and value types at compile time: a fixture
// with @ts-expect-error on each wrong call must type-check (an unused directive is an error).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const FIXTURE = `import * as metrics from "../../plugins/lib/metrics";
const requests = metrics.counter("t_requests_total", "Requests.", ["method", "status"]);
const inflight = metrics.gauge("t_inflight", "In flight.", []);
const seconds = metrics.histogram("t_seconds", "Seconds.", ["route"], [0.1, 1]);
const host: string | undefined = undefined;

requests.inc(1, "GET", 200);
requests.inc(1, "GET", host);
inflight.set(3);
inflight.inc(-1);
seconds.observe(0.2, "/");
const child = requests.labels("GET", "200");
child.inc(1);
seconds.labels("/").observe(0.5);
const tree = metrics.labelTree(["a", "b"] as const, (a, b) => ({ a, b }), 100);
tree.get("x", "y");

// @ts-expect-error one label value missing
requests.inc(1, "GET");
// @ts-expect-error one label value too many
requests.inc(1, "GET", "200", "extra");
// @ts-expect-error the value must be a number
requests.inc("1", "GET", "200");
// @ts-expect-error a gauge without labels takes none
inflight.set(1, "x");
// @ts-expect-error histograms have no inc
seconds.inc(1, "/");
// @ts-expect-error a label value must be a string or a number
seconds.observe(1, true);
// @ts-expect-error labels() checks the count too
requests.labels("GET");
// @ts-expect-error a child takes no labels
child.inc(1, "GET");
// @ts-expect-error label trees check the count
tree.get("x");
`;

describe("metrics API types", () => {
  it("turns wrong label counts and value types into compile errors", () => {
    const dir = join(root, "build", "prometheus-types");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "check.ts"), FIXTURE);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      extends: "../../tstl.json",
      compilerOptions: { noEmit: true, noUnusedLocals: false },
      include: ["check.ts", "../../types/index.d.ts"],
    }));
    const tsc = join(root, "node_modules", ".bin", "tsc");
    const result = spawnSync(tsc, ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    // Other files' diagnostics (declarations being written by others) are not this test's business.
    const mine = result.stdout.split("\n").filter((line) => line.includes("check.ts") || line.includes("plugins/lib/metrics.ts"));
    expect(mine).toEqual([]);
    expect(result.stdout + result.stderr).not.toMatch(/Cannot find|error TS5/);
  });
});
