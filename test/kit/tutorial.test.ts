// Acceptance: follows docs/tutorial.md word for word against the packed package, offline.
// Every `sh` block runs in order (in the folder the previous block ended in), every block with
// `file=<path>` is written there, a block with `excerpt=<path>` must appear in that file, and a
// `text` block right after a command is output that command must print. The one change: the
// `npm install --save-dev resty-ts ...` line installs, offline, the tarball that `npm pack` made
// from this repository instead of the registry's resty-ts, and the other packages it names at
// the versions of this repository's package-lock.json, from the npm cache `npm ci` filled
// (offline-install.mjs writes them into package.json and package-lock.json, then `npm install`
// reifies them: npm could not resolve names offline on a fresh machine).
import { afterAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The fenced blocks of a markdown text, with what separates each from the previous one. */
export function fencedBlocks(markdown: string) {
  const blocks: { info: string; body: string; gap: string }[] = [];
  const fence = /^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  let last = 0;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    blocks.push({ info: match[1].trim(), body: match[2], gap: markdown.slice(last, match.index) });
    last = match.index + match[0].length;
  }
  return blocks;
}

const work = mkdtempSync(join(tmpdir(), "resty-ts-tutorial-"));
chmodSync(work, 0o755); // nginx workers (nobody) read the project's build/lua
let cwd = work;

afterAll(() => {
  // Whatever happened, no nginx outlives the test.
  const pidFile = join(work, "my-gateway", "logs", "nginx.pid");
  if (existsSync(pidFile)) {
    try { process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGKILL"); } catch { /* gone */ }
  }
  rmSync(work, { recursive: true, force: true });
});

/** Runs one sh block in `cwd` with bash -e; returns its output and the folder it ended in. */
function run(script: string, tarball: string) {
  const marker = join(work, ".cwd");
  const adapted = script.replace(/^npm install (?:--save-dev|-D) (.*\bresty-ts\b.*)$/m, (_, specs: string) =>
    `node ${JSON.stringify(join(ROOT, "test", "kit", "offline-install.mjs"))} ${JSON.stringify(ROOT)} ${JSON.stringify(tarball)} ${specs}\nnpm install`);
  if (/^npm install\b/m.test(script) && adapted === script) throw new Error(`the tutorial installs in a way the test cannot follow offline:\n${script}`);
  const result = spawnSync("bash", ["-e", "-c", `${adapted}\npwd > ${JSON.stringify(marker)}`], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false", NO_COLOR: "1", CI: "1" },
    timeout: 240_000,
  });
  if (existsSync(marker)) cwd = readFileSync(marker, "utf8").trim();
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

it("the tutorial gets a new plugin answering in nginx", { timeout: 300_000 }, () => {
  // The package as users get it: declarations of the harness, then npm pack.
  const prepack = spawnSync("node", [join(ROOT, "kit", "prepack.mjs")], { encoding: "utf8" });
  expect(prepack.status, prepack.stderr).toBe(0);
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: ROOT, encoding: "utf8" });
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = join(work, readdirSync(work).find((name) => name.endsWith(".tgz"))!);

  const blocks = fencedBlocks(readFileSync(join(ROOT, "docs", "tutorial.md"), "utf8"));
  let previous: { info: string; output: string } | undefined;
  let commands = 0;
  const timings: string[] = [];
  for (const block of blocks) {
    const file = /\bfile=(\S+)/.exec(block.info)?.[1];
    const excerpt = /\bexcerpt=(\S+)/.exec(block.info)?.[1];
    if (excerpt) {
      expect(readFileSync(join(cwd, excerpt), "utf8"), `the tutorial quotes ${excerpt}`).toContain(block.body);
    } else if (file) {
      mkdirSync(dirname(join(cwd, file)), { recursive: true });
      writeFileSync(join(cwd, file), block.body);
    } else if (block.info === "sh") {
      const started = Date.now();
      const { status, output } = run(block.body, tarball);
      timings.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${block.body.trim().split("\n").join("; ")}`);
      expect(status, `\`\`\`sh\n${block.body}\`\`\`\n${output}`).toBe(0);
      previous = { info: "sh", output };
      commands++;
      continue;
    } else if (block.info === "text" && previous && block.gap.trim() === "") {
      for (const line of block.body.split("\n").filter((l) => l.trim() !== "")) {
        expect(previous.output, "output shown in the tutorial").toContain(line);
      }
    }
    previous = undefined;
  }
  console.log(`tutorial commands:\n  ${timings.join("\n  ")}`);
  // The compilers are the versions this repository is tested with.
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  for (const name of ["typescript", "typescript-to-lua", "lua-types"]) {
    const installed = JSON.parse(readFileSync(join(cwd, "node_modules", name, "package.json"), "utf8")).version;
    expect(`${name}@${installed}`).toBe(`${name}@${lock.packages[`node_modules/${name}`].version}`);
  }
  expect(commands).toBeGreaterThanOrEqual(6);
  // The tutorial's last block stopped nginx; its log has no Lua error.
  const log = readFileSync(join(cwd, "logs", "error.log"), "utf8");
  expect(log).not.toMatch(/\[(error|alert|crit|emerg)\]|stack traceback/);
});
