// Drives GET /api/docs in headless Chromium (Debian's /usr/bin/chromium, through playwright-core):
// the page renders, lists every operation of /api/openapi.json, loads nothing from another
// origin, breaks no Content-Security-Policy rule, and a "try it" call of GET /ping made from
// the page gets 200.
//
//   EQUORIA_BASE_URL=http://127.0.0.1:3001 node api-docs.mjs [screenshot.png]
//
// Run by `cargo xtask verify` (staging step) against the staging server. Exits 0 when every
// check passed, 1 otherwise; a watchdog ends the run after RUN_TIMEOUT_MS whatever happens.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const RUN_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 20_000;
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const base = new URL(process.env.EQUORIA_BASE_URL ?? "http://127.0.0.1:3001");
const screenshot = process.argv[2];
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) {
  console.error(`refusing to test ${base.origin}: only a server on this machine is tested`);
  process.exit(2);
}

const watchdog = setTimeout(() => {
  console.error(`FAIL  the browser test did not finish within ${RUN_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, RUN_TIMEOUT_MS);

let passed = 0;
let failed = 0;

function check(ok, what, detail = "") {
  if (ok) {
    passed += 1;
    console.log(`  PASS  ${what}`);
  } else {
    failed += 1;
    console.log(`  FAIL  ${what}${detail ? `: ${detail}` : ""}`);
  }
}

/** "GET /path" for every operation of the OpenAPI document. */
function documentedOperations(document) {
  const operations = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      if (item[method]) operations.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations.sort();
}

/** "GET /path" for every operation block the page shows. */
async function listedOperations(page) {
  const blocks = page.locator(".opblock .opblock-summary");
  const listed = await blocks.evaluateAll((summaries) =>
    summaries.map((summary) => {
      const method = summary.querySelector(".opblock-summary-method")?.textContent ?? "";
      const path = summary.querySelector("[data-path]")?.getAttribute("data-path") ?? "";
      return `${method.trim().toUpperCase()} ${path}`;
    }),
  );
  return listed.sort();
}

async function tryPing(page) {
  const block = page
    .locator(".opblock.opblock-get")
    .filter({ has: page.locator('[data-path="/ping"]') })
    .first();
  await block.locator(".opblock-summary").first().click();
  await block.locator("button.try-out__btn").click();
  const answered = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/ping",
    { timeout: STEP_TIMEOUT_MS },
  );
  await block.locator("button.execute").click();
  const response = await answered;
  const shown = block.locator(".live-responses-table .response .response-col_status").first();
  await shown.waitFor({ timeout: STEP_TIMEOUT_MS });
  return { status: response.status(), shown: (await shown.textContent()).trim() };
}

async function main() {
  const answer = await fetch(new URL("/api/openapi.json", base));
  const expected = documentedOperations(await answer.json());
  check(expected.length > 0, `/api/openapi.json lists ${expected.length} operations`);

  const profile = mkdtempSync(join(tmpdir(), "equoria-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: STEP_TIMEOUT_MS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const foreign = [];
    const problems = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.protocol !== "data:" && url.origin !== base.origin) foreign.push(request.url());
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) problems.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });

    const loaded = await page.goto(new URL("/api/docs", base).href);
    check(loaded?.status() === 200, "GET /api/docs answers 200", `status ${loaded?.status()}`);
    await page.locator(".swagger-ui .info .title").waitFor();
    check(
      (await page.locator(".swagger-ui .info .title").textContent()).includes("Equoria API"),
      "the page renders the document's title",
    );
    await page.locator(".opblock").first().waitFor();

    const listed = await listedOperations(page);
    const missing = expected.filter((operation) => !listed.includes(operation));
    const extra = listed.filter((operation) => !expected.includes(operation));
    check(
      missing.length === 0 && extra.length === 0 && listed.length === expected.length,
      `the page lists every operation of the document (${listed.length} of ${expected.length})`,
      `missing: ${missing.join(", ") || "none"}; not in the document: ${extra.join(", ") || "none"}`,
    );

    if (screenshot) {
      await page.screenshot({ path: screenshot });
      console.log(`  (screenshot in ${screenshot})`);
    }

    const ping = await tryPing(page).catch((error) => ({ error }));
    check(
      ping.status === 200 && ping.shown === "200",
      "a try-it call of GET /ping from the page gets 200",
      ping.error?.message ?? `the server answered ${ping.status}, the page shows ${ping.shown}`,
    );
    check(foreign.length === 0, "the page loads nothing from another origin", foreign.join(", "));
    check(problems.length === 0, "no script error and no Content-Security-Policy violation", problems.join("; "));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  check(false, "the browser test ran to its end", error?.stack ?? String(error));
}
clearTimeout(watchdog);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
