// docs/api.md: generated from the declarations, every function with its phases, and current.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./project";

const generator = join(ROOT, "kit", "api-doc.mjs");
const { generateReport, API_DOC } = await import(generator);
const { text, unstated }: { text: string; unstated: string[] } = generateReport();
const row = (name: string) => text.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));

describe("API reference", () => {
  it("lists functions with the phases their declarations name", () => {
    expect(row("ngx.sleep")).toMatch(/^\| `ngx\.sleep` \| ssl_cert, rewrite, access, content, timer \| `sleep\(seconds: number\): void` \|/);
    expect(row("ngx.socket.tcp")).toMatch(/\| ssl_cert, ssl_session_fetch, rewrite, access, content, timer \|/);
    expect(row("ngx.req.set_header")).toMatch(/\| set, rewrite, access, content, header_filter, body_filter \|/);
    expect(row("ngx.log")).toMatch(/\| all \|/);
    expect(row("ngx.header")).toMatch(/assign: rewrite, access, content, header_filter/);
  });

  it("every member's own doc comment says what it does and names its phases", () => {
    expect(unstated, "members whose doc comment names no phases (add \"Phases: ...\")").toEqual([]);
    const rows = text.split("\n").filter((line) => /^\| `[^`]+` \|/.test(line));
    expect(rows.length).toBeGreaterThan(250);
    expect(rows.filter((line) => /\| not stated \|/.test(line))).toEqual([]);
    expect(rows.filter((line) => /\|\s*\|$/.test(line)), "members without a doc comment").toEqual([]);
    expect(row("ngx.ERR")).toMatch(/\| all \|/);
    expect(row("ngx.arg")).toMatch(/\| set, body_filter \|/);
    expect(row("ngx.status")).toMatch(/\| set, rewrite, access, content, header_filter, body_filter, log; assign: set, rewrite, access, content, header_filter \|/);
    expect(row("ngx.worker.pids")).toMatch(/\| all but init, init_worker \|/);
    expect(row("ngx.ssl.version")).toMatch(/\| all \|/);
  });

  it("covers the objects the API returns and the Lua modules", () => {
    expect(row("NgxSharedDict:incr")).toBeDefined();
    expect(row("NgxTcpSocket:connect")).toMatch(/\| ssl_cert, ssl_session_fetch, rewrite, access, content, timer \|/);
    expect(row("ngx.ssl.set_cert")).toMatch(/\| ssl_cert \|/);
    expect(text).toMatch(/^### resty\.lrucache$/m);
  });

  it("is up to date in docs/api.md (regenerate: node kit/api-doc.mjs)", () => {
    expect(readFileSync(API_DOC, "utf8") === text, "docs/api.md differs from what node kit/api-doc.mjs generates").toBe(true);
  });
});
