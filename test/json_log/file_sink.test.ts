// The file sink in real nginx: buffered appends from two workers, logrotate (rename, then
// `nginx -s reopen`, with and without `create`), and a graceful stop: no entry lost or doubled.
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, chmodSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNginx, type Nginx } from "../../harness/nginx.mjs";
import { rawLines, parseLine } from "./support";

let nginx: Nginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

/** A directory the workers (user nobody) can write. */
function logDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "json-log-file-"));
  chmodSync(dir, 0o777);
  return dir;
}

/** Sends `count` requests, 10 at a time, each tagged `?n=<tag>-<i>`. */
async function send(server: Nginx, tag: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, count - i) }, async (_, j) => {
      const response = await server.fetch(`/?n=${tag}-${i + j}`);
      expect(response.status).toBe(200);
      await response.text();
    }));
  }
}

/** The `n` tags of every entry in the files, checking each line strictly. */
function tags(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const raw of rawLines(file)) out.push((parseLine(raw).args as Record<string, string>).n);
  }
  return out;
}

async function until(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectExactlyOnce(seen: string[], tag: string, count: number): void {
  const mine = seen.filter((t) => t.startsWith(`${tag}-`)).sort();
  const expected = Array.from({ length: count }, (_, i) => `${tag}-${i}`).sort();
  expect(mine).toEqual(expected);
}

describe("json_log file sink", () => {
  it("follows logrotate: rename + reopen, and rename + create; nothing lost or doubled", async () => {
    const dir = logDir();
    const path = join(dir, "access.json");
    nginx = await startNginx({
      workers: 2,
      plugins: ["json_log"],
      config: { json_log: { sink: "file", file: { path, flush_interval: 0.1, buffer_size: 4096 } } },
    });
    await send(nginx, "a", 200);
    await until(() => tags([path]).length === 200, "the first 200 entries");
    expectExactlyOnce(tags([path]), "a", 200);

    // logrotate without `create`: rename, then `nginx -s reopen` (USR1 to the master).
    renameSync(path, `${path}.1`);
    nginx.signal("SIGUSR1");
    await send(nginx, "b", 200);
    await until(() => existsSync(path) && tags([path, `${path}.1`]).length === 400, "400 entries in both files");
    // logrotate with `create`: rename, a new empty file at the path, then reopen.
    renameSync(path, `${path}.2`);
    writeFileSync(path, "");
    chmodSync(path, 0o666);
    nginx.signal("SIGUSR1");
    await send(nginx, "c", 200);
    const files = [path, `${path}.1`, `${path}.2`];
    await until(() => tags(files).length === 600, "600 entries in three files");
    const seen = tags(files);
    expectExactlyOnce(seen, "a", 200);
    expectExactlyOnce(seen, "b", 200);
    expectExactlyOnce(seen, "c", 200);
    // After the reopen, entries go to the new file.
    await send(nginx, "d", 20);
    await until(() => tags([path]).filter((t) => t.startsWith("d-")).length === 20, "new entries in the new file");
    expect(nginx.errorLog()).toMatch(/json_log: file sink: reopened/);
  });

  it("writes buffered entries on a graceful stop", async () => {
    const dir = logDir();
    const path = join(dir, "access.json");
    nginx = await startNginx({
      plugins: ["json_log"],
      config: { json_log: { sink: "file", file: { path, flush_interval: 60, buffer_size: 1048576 } } },
    });
    await send(nginx, "s", 50);
    await new Promise((r) => setTimeout(r, 200));
    expect(tags([path]).length).toBe(0); // still buffered
    const stopping = nginx;
    nginx = undefined;
    await stopping.stop();
    expectExactlyOnce(tags([path]), "s", 50);
  });

  it("keeps serving when the file cannot be opened, with one clear line", async () => {
    const allow = [/json_log: file sink: cannot open/];
    nginx = await startNginx({
      plugins: ["json_log"],
      allowLog: allow,
      config: { json_log: { sink: "file", file: { path: "/nonexistent-dir/x/access.json", flush_interval: 0.1, buffer_size: 0 } } },
    });
    await send(nginx, "e", 30);
    await new Promise((r) => setTimeout(r, 300));
    const lines = nginx.errorLog().split("\n").filter((line) => line.includes("cannot open"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines[0]).toContain("/nonexistent-dir/x/access.json");
  });
});
