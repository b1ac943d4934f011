// End-to-end tests of the "Races and deadlocks" page (stepped lessons on
// real threads) in headless Chromium, as app.test.mjs does for the rest of
// the app: waits on what the page shows, never on a fixed sleep.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.THREADYARD_DIST ?? join(here, "../../dist");
const ARTIFACTS = join(here, "artifacts");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const AXE = join(here, "node_modules/axe-core/axe.min.js");
const LONG = 30_000;

let browser, server;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  server = await serve(DIST, { isolation: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(t, hash = "#/steps") {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], "no console errors");
  });
  await page.goto(server.url + hash);
  await page.getByTestId("steps-page").waitFor({ state: "visible", timeout: LONG });
  return page;
}

const lane = (page, id) => page.locator(`[data-testid="lane"][data-worker-id="${id}"]`);

/** Waits until worker `id` can be granted, then grants it with a click. */
async function grant(page, id) {
  const button = lane(page, id);
  await button.and(page.locator('[data-status="ready"]:not([disabled])')).waitFor({ timeout: LONG });
  await button.click();
}

/** Waits for `locator`; if it never shows, fails saying what the page shows instead. */
async function showing(page, locator, what) {
  try {
    await locator.waitFor({ timeout: LONG });
  } catch (error) {
    const shown = await page.getByTestId("steps-page").innerText().catch((e) => `(unreadable: ${e.message})`);
    throw new Error(`${what} never showed; the page shows:\n${shown}`, { cause: error });
  }
}

async function settledWith(page, schedule) {
  await page.getByTestId("schedule").filter({ hasText: `Schedule: ${schedule}` }).waitFor({ timeout: LONG });
}

async function accessible(page, state) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  const bad = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join("\n    ")}`);
  assert.deepEqual(bad, [], `axe-core on ${state}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

test("a learner's clicks drive Lost update to a wrong total, and the narration says why", async (t) => {
  const page = await open(t, "#/steps/lost-update");
  await lane(page, "worker_a").getByTestId("lane-next").filter({ hasText: "ready, next: load counter" }).waitFor({ timeout: LONG });
  await accessible(page, "a stepped lesson, every worker ready");
  await grant(page, "worker_a");
  await settledWith(page, "0 (worker_a)");
  await lane(page, "worker_a").getByTestId("lane-next").filter({ hasText: "next: store counter" }).waitFor({ timeout: LONG });
  await grant(page, "worker_b");
  await grant(page, "worker_b");
  await grant(page, "worker_a");
  await settledWith(page, "0, 1, 1, 0 (worker_a, worker_b, worker_b, worker_a)");
  assert.equal(await page.locator('[data-testid="cell"][data-cell="counter"]').innerText(), "counter = 1");
  const narration = await page.getByTestId("steps-narration").innerText();
  assert.match(narration, /worker_a loads counter and reads 0\.\s+worker_b loads counter and reads 0\./);
  const outcome = page.getByTestId("steps-outcome");
  await outcome.filter({ hasText: "counter ends at 1, not 2: worker_a and worker_b both loaded 0." }).waitFor({ timeout: LONG });
  assert.match(await outcome.innerText(), /the second store wrote over the first: one update is lost/);
  assert.ok(page.url().endsWith("#/steps/lost-update/0,1,1,0"), page.url());
  await accessible(page, "a lost update, explained");
  await shot(page, "steps-lost-update");

  // The keyboard alone: Start again, then the number keys grant steps.
  await page.getByTestId("restart").focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("schedule").filter({ hasText: "No step granted yet." }).waitFor({ timeout: LONG });
  const keys = [["1", "worker_a"], ["2", "worker_b"], ["2", "worker_b"], ["1", "worker_a"]];
  for (const [i, [key, id]] of keys.entries()) {
    await lane(page, id).and(page.locator('[data-status="ready"]:not([disabled])')).waitFor({ timeout: LONG });
    await page.getByTestId("restart").focus();
    await page.keyboard.press(key);
    await settledWith(page, `${[0, 1, 1, 0].slice(0, i + 1).join(", ")} (`);
  }
  await settledWith(page, "0, 1, 1, 0");
});

test("find a failing schedule on Deadlock draws the cycle in red, and its link reopens the same run", async (t) => {
  const page = await open(t, "#/steps/deadlock");
  await lane(page, "worker_b").getByTestId("lane-next").filter({ hasText: "lock L2" }).waitFor({ timeout: LONG });
  await page.getByTestId("find-failing").click();
  await page.getByTestId("steps-note").filter({ hasText: "Found a failing schedule after" }).waitFor({ timeout: LONG });
  const cycle = page.locator('[data-testid="wait-edge"][data-cycle="true"]');
  await cycle.nth(1).waitFor({ timeout: LONG });
  assert.equal(await cycle.count(), 2, "two arrows in the cycle");
  const stroke = await cycle.first().evaluate((e) => getComputedStyle(e).stroke);
  assert.equal(stroke, "rgb(224, 49, 49)", "drawn in red");
  const outcome = await page.getByTestId("steps-outcome").innerText();
  assert.match(outcome, /^deadlock: worker_(a|b) -> worker_(a|b) -> worker_\1 \(/);
  assert.match(await page.getByTestId("wait-list").innerText(), /waits for lock L\d held by worker_. \(in a deadlock's cycle\)/);
  await page.getByTestId("lane").and(page.locator('[data-status="blocked"]')).nth(1).waitFor({ timeout: LONG });
  await accessible(page, "a deadlock found and drawn");
  await shot(page, "steps-deadlock");

  const link = page.url();
  assert.match(link, /#\/steps\/deadlock\/[01](,[01]){3}$/);
  const schedule = await page.getByTestId("schedule").innerText();
  const again = await open(t, link.slice(link.indexOf("#")));
  await showing(again, again.getByTestId("schedule").filter({ hasText: schedule }), `the reopened link's run at ${schedule}`);
  await again.locator('[data-testid="wait-edge"][data-cycle="true"]').nth(1).waitFor({ timeout: LONG });
  assert.equal(await again.getByTestId("steps-outcome").innerText(), outcome, "the same run");
});

test("the fixed lesson survives the search, and the ideas page points at the lessons", async (t) => {
  const page = await open(t, "#/steps/lost-update-locked");
  await page.getByTestId("tries").fill("30");
  await page.getByTestId("tries").dispatchEvent("change");
  await page.getByTestId("find-failing").click();
  await page.getByTestId("steps-note").filter({ hasText: "No schedule of 30 broke it" }).waitFor({ timeout: LONG * 2 });
  await page.getByTestId("nav-learn").click();
  const learn = page.getByTestId("learn-page");
  await learn.waitFor({ timeout: LONG });
  for (const topic of [/Races: the lost update/, /Locks/, /Deadlock/]) assert.match(await learn.innerText(), topic);
  await page.getByTestId("learn-deadlock").click();
  await lane(page, "worker_a").getByTestId("lane-next").filter({ hasText: "lock L1" }).waitFor({ timeout: LONG });
  assert.ok(page.url().includes("#/steps/deadlock"), page.url());
});
