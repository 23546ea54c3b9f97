// The whole browser login in headless Chromium (Debian's, driven by playwright-core) through
// nginx with the openidc plugin to a protected upstream and a real OP over TLS: login, two
// tabs logging in at once, logout at the OP.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Nginx } from "../../harness/nginx.mjs";
import { makePki, type TestPki } from "./tls";
import { startOp, type TestOp } from "./op";
import { baseConfig, gatewayPort, startGateway } from "./gateway";

let pki: TestPki;
let op: TestOp;
let nginx: Nginx;
let base: string;
let browser: Browser;
/** A second gateway on the same OP that refreshes access tokens on every request. */
let refreshing: Nginx;
let refreshingBase: string;

beforeAll(async () => {
  pki = makePki();
  const port = await gatewayPort();
  const refreshPort = await gatewayPort();
  base = `http://127.0.0.1:${port}`;
  refreshingBase = `http://127.0.0.1:${refreshPort}`;
  op = await startOp(pki, { redirectUris: [`${base}/openidc/callback`, `${refreshingBase}/openidc/callback`], postLogoutRedirectUris: [`${base}/bye`] });
  nginx = await startGateway(pki, port, baseConfig(port, op.issuer));
  refreshing = await startGateway(pki, refreshPort, baseConfig(refreshPort, op.issuer, { refresh: true, forward_access_token: true, refresh_leeway: 7200 }));
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await refreshing?.stop();
  await op?.close();
});

/** A fresh browser profile that trusts the test OP and reaches nothing but loopback. */
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.route((url) => url.hostname !== "127.0.0.1", (route) => route.abort());
  context.setDefaultTimeout(10_000);
  return context;
}

/** Signs in at the OP's pages (login form, then consent) until the browser is back at the gateway. */
async function signIn(page: Page, user = "alice", gateway = base): Promise<void> {
  for (let step = 0; step < 6 && !page.url().startsWith(gateway); step++) {
    const login = page.locator('input[name="login"]');
    if (await login.count()) {
      await login.fill(user);
      await page.locator('input[name="password"]').fill("any password");
    }
    const from = page.url();
    await Promise.all([page.waitForURL((url) => url.toString() !== from), page.locator('button[type="submit"]').first().click()]);
    await page.waitForLoadState("load");
  }
  expect(page.url().startsWith(gateway)).toBe(true);
}

async function upstreamSeen(page: Page): Promise<{ uri: string; headers: Record<string, string> }> {
  return JSON.parse((await page.locator("body").innerText()).trim());
}

describe("openidc in a real browser", () => {
  it("logs in through the OP's pages and reaches the protected upstream", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/app/dashboard?tab=2`);
    expect(page.url().startsWith(`${op.issuer}/interaction/`)).toBe(true);
    await signIn(page);
    expect(page.url()).toBe(`${base}/app/dashboard?tab=2`);
    const seen = await upstreamSeen(page);
    expect(seen.headers["x-user"]).toBe("alice");
    expect(seen.headers["x-email"]).toBe("demo@example.com");
    const session = (await context.cookies(base)).find((cookie) => cookie.name === "resty_ts_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    await context.close();
  });

  it("lets two tabs log in at once, each returning to its own page", async () => {
    const context = await newContext();
    const first = await context.newPage();
    const second = await context.newPage();
    await first.goto(`${base}/one`);
    await second.goto(`${base}/two`);
    expect(first.url().startsWith(op.issuer)).toBe(true);
    expect(second.url().startsWith(op.issuer)).toBe(true);
    await signIn(second);
    await signIn(first);
    expect(second.url()).toBe(`${base}/two`);
    expect(first.url()).toBe(`${base}/one`);
    expect((await upstreamSeen(first)).headers["x-user"]).toBe("alice");
    expect((await upstreamSeen(second)).uri).toBe("/two");
    await context.close();
  });

  it("refreshes the access token while the user browses", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${refreshingBase}/app`);
    await signIn(page, "alice", refreshingBase);
    const first = (await upstreamSeen(page)).headers.authorization;
    await page.reload();
    const second = (await upstreamSeen(page)).headers.authorization;
    expect(first).toMatch(/^Bearer \S+$/);
    expect(second).toMatch(/^Bearer \S+$/);
    expect(second).not.toBe(first);
    expect(op.grants.filter((grant) => grant === "refresh_token").length).toBeGreaterThanOrEqual(2);
    await context.close();
  });

  it("logs out at the gateway and at the OP", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/app`);
    await signIn(page);
    await page.goto(`${base}/openidc/logout`);
    expect(page.url().startsWith(`${op.issuer}/session/end`)).toBe(true);
    expect((await context.cookies(base)).some((cookie) => cookie.name === "resty_ts_session")).toBe(false);
    await Promise.all([page.waitForURL(`${base}/bye`), page.locator("#logout").click()]);
    await page.goto(`${base}/app`);
    expect(page.url().startsWith(`${op.issuer}/interaction/`)).toBe(true);
    expect(await page.locator('input[name="login"]').count()).toBe(1);
    await context.close();
  });
});
