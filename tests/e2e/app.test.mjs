// End-to-end tests of the built app (dist/) in headless Chromium: Debian's
// browser driven by playwright-core, which never downloads one.
//
// Tests wait on what the page shows (Playwright re-checks on every frame),
// never on a fixed sleep. Screenshots of the main states go to artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.THREADYARD_DIST ?? join(here, "../../dist");
const ARTIFACTS = join(here, "artifacts");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const LONG = 30_000;

let browser, isolated, plain;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  isolated = await serve(DIST, { isolation: true });
  plain = await serve(DIST, { isolation: false });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  isolated?.close();
  plain?.close();
});

/** A fresh page on the app, in a context of its own (service workers do not
 * carry over); records console errors and page errors. */
async function open(t, { url = isolated.url, query = "", context: extra = {}, allow = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true, ...extra });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    t.after(async () => {
    await context.close();
    assert.deepEqual(problems.filter((p) => !allow?.test(p)), [], "no console errors");
  });
  await page.goto(url + query);
  return page;
}

async function ready(page) {
  await page.getByTestId("isolation-status").filter({ hasText: "cross-origin isolated" }).waitFor({ timeout: LONG });
}

const row = (page, id) => page.locator(`[data-testid="worker-row"][data-worker-id="${id}"]`);
const stateOf = (page, id) => row(page, id).getByTestId("worker-state");
const tasksOf = async (page, id) => Number(await row(page, id).getByTestId("worker-tasks").innerText());

async function spawn(page, { count = 3, workload = "data-processor", param, name } = {}) {
  await page.getByTestId("spawn-count").fill(String(count));
  await page.getByTestId("spawn-workload").selectOption(workload);
  if (param !== undefined) await page.getByTestId("spawn-param").fill(String(param));
  await page.getByTestId("spawn-name").fill(name ?? "");
  await page.getByTestId("spawn-button").click();
}

/** Runs `wait`; on failure saves a screenshot and the table's text, so a
 * failure in CI explains itself. */
async function explained(page, what, wait) {
  try {
    await wait();
  } catch (error) {
    const name = what.replace(/[^a-z0-9]+/gi, "-");
    await page.screenshot({ path: join(ARTIFACTS, `failed-${name}.png`), fullPage: true }).catch(() => {});
    const rows = await page.getByTestId("worker-row").allInnerTexts().catch(() => []);
    const errors = await page.getByTestId("error").allInnerTexts().catch(() => []);
    error.message += `\nwhile waiting for ${what}\nrows:\n${rows.join("\n")}\nerrors: ${JSON.stringify(errors)}`;
    throw error;
  }
}

/** Waits until worker `id` shows `state`. Checked on every frame: at 10x a
 * state can last 300 ms, and a locator's wait re-checks with back-off (up
 * to every 500 ms), which can miss it. */
async function waitState(page, id, state) {
  await explained(page, `${id} ${state}`, () =>
    page.waitForFunction(
      ([id, state]) =>
        document.querySelector(`[data-testid="worker-row"][data-worker-id="${id}"] [data-testid="worker-state"]`)?.textContent === state,
      [id, state],
      { timeout: LONG },
    ),
  );
}

/** Waits until worker `id` has completed more than `n` tasks. */
async function waitTasksAbove(page, id, n) {
  await explained(page, `${id} above ${n} tasks`, () =>
    page.waitForFunction(
      ([id, n]) => Number(document.querySelector(`[data-worker-id="${id}"] [data-testid="worker-tasks"]`)?.textContent) > n,
      [id, n],
      { timeout: LONG },
    ),
  );
}

async function shot(page, name) {
  // Off-screen panels skip rendering (content-visibility: auto) and a
  // full-page screenshot does not scroll to them: render them all for it.
  const all = await page.addStyleTag({ content: ".panel.wide, tbody { content-visibility: visible !important; }" });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await all.evaluate((style) => style.remove());
}

test("the isolated page runs workers on real threads", async (t) => {
  const page = await open(t);
  await ready(page);
  await spawn(page, { count: 3, param: 20 });
  for (const id of ["worker_0", "worker_1", "worker_2"]) {
    await waitState(page, id, "running");
    await waitTasksAbove(page, id, 5);
  }
  assert.equal(await page.getByTestId("worker-row").count(), 3);
  const realThreads = await page.evaluate(() => self.crossOriginIsolated && typeof SharedArrayBuffer === "function");
  assert.equal(realThreads, true);
  await page.getByTestId("timeline").locator('rect[data-state="running"]').first().waitFor({ timeout: LONG });
  await shot(page, "running");
});

test("pause stops one counter while the others grow; resume restarts it", async (t) => {
  const page = await open(t);
  await ready(page);
  await spawn(page, { count: 3, param: 20 });
  await waitTasksAbove(page, "worker_1", 3);
  await row(page, "worker_1").getByTestId("pause-button").click();
  await waitState(page, "worker_1", "paused");
  const frozen = await tasksOf(page, "worker_1");
  const others = await tasksOf(page, "worker_0");
  await waitTasksAbove(page, "worker_0", others + 20);
  assert.equal(await tasksOf(page, "worker_1"), frozen, "a paused worker completes nothing");
  await page.getByTestId("timeline").locator('rect[data-state="paused"]').first().waitFor({ timeout: LONG });
  await shot(page, "paused");
  await row(page, "worker_1").getByTestId("resume-button").click();
  await waitState(page, "worker_1", "running");
  await waitTasksAbove(page, "worker_1", frozen);
});

test("a message pauses a worker; a broadcast finishes them all", async (t) => {
  const page = await open(t);
  await ready(page);
  await spawn(page, { count: 3, param: 20 });
  await waitState(page, "worker_2", "running");
  await page.getByTestId("message-target").selectOption("worker_2");
  await page.getByTestId("message-text").fill("pause");
  await page.getByTestId("send-button").click();
  await waitState(page, "worker_2", "paused");
  await page.getByTestId("broadcast-text").fill("shutdown");
  await page.getByTestId("broadcast-button").click();
  await waitState(page, "worker_0", "stopped");
  await waitState(page, "worker_1", "stopped");
  // A paused worker reads its mailbox only once resumed.
  await waitState(page, "worker_2", "paused");
  await row(page, "worker_2").getByTestId("resume-button").click();
  await waitState(page, "worker_2", "stopped");
  await shot(page, "broadcast");
});

test("shutdown reports who stopped, within its deadline", async (t) => {
  const page = await open(t);
  await ready(page);
  await spawn(page, { count: 1, workload: "cpu-bound", param: 5000 });
  await spawn(page, { count: 1, workload: "data-processor", param: 50 });
  await spawn(page, { count: 1, workload: "data-processor", param: 60000, name: "sleepy" });
  await waitState(page, "worker_1", "running");
  await row(page, "worker_0").getByTestId("pause-button").click();
  await waitState(page, "worker_0", "paused");
  await page.getByTestId("shutdown-button").click();
  const report = page.getByTestId("shutdown-report");
  await report.waitFor({ timeout: LONG });
  const text = await report.innerText();
  for (const id of ["worker_0", "worker_1", "sleepy"]) assert.match(text, new RegExp(id));
  assert.match(text, /Did not stop in time\s+none/);
  await waitState(page, "sleepy", "stopped");
  await shot(page, "shutdown");
  await page.getByTestId("remove-finished").click();
  await page.getByTestId("worker-row").first().waitFor({ state: "detached", timeout: LONG });
  await page.getByTestId("new-manager").click();
  await spawn(page, { count: 1, param: 20 });
  await waitState(page, "worker_0", "running");
});

test("every bad input is shown inline where it happened", async (t) => {
  const page = await open(t, { query: "?threads=4" });
  await ready(page);
  const error = (scope) => scope.getByTestId("error");

  await spawn(page, { count: 0 });
  await error(page.locator("form", { has: page.getByTestId("spawn-button") })).filter({ hasText: "count from 1 to 64" }).waitFor();
  await spawn(page, { count: 1, param: "abc" });
  await error(page.locator("form", { has: page.getByTestId("spawn-button") })).filter({ hasText: "not a number" }).waitFor();

  await spawn(page, { count: 1, name: "solo", param: 50 });
  await waitState(page, "solo", "running");
  await spawn(page, { count: 1, name: "solo", param: 50 });
  await error(page.locator("form", { has: page.getByTestId("spawn-button") })).filter({ hasText: "already exists" }).waitFor();

  await row(page, "solo").getByTestId("resume-button").click();
  await page.getByTestId("error").filter({ hasText: "cannot resume worker `solo`" }).waitFor();

  // Paused workers read nothing, so their mailbox fills (capacity 16).
  await row(page, "solo").getByTestId("pause-button").click();
  await waitState(page, "solo", "paused");
  await page.getByTestId("message-target").selectOption("solo");
  await page.getByTestId("message-text").fill("hello");
  for (let i = 0; i < 17; i++) await page.getByTestId("send-button").click();
  await error(page.locator("form", { has: page.getByTestId("send-button") })).filter({ hasText: "is full" }).waitFor();
  await shot(page, "errors");

  await page.getByTestId("shutdown-deadline").fill("-1");
  await page.getByTestId("shutdown-button").click();
  await error(page.locator("form", { has: page.getByTestId("shutdown-button") })).filter({ hasText: "not a deadline" }).waitFor();
  assert.equal(await stateOf(page, "solo").innerText(), "paused", "a refused shutdown changed nothing");

  // Four threads in this page's pool: the fifth running worker is refused.
  await spawn(page, { count: 4, param: 50, name: "many" });
  await error(page.locator("form", { has: page.getByTestId("spawn-button") })).filter({ hasText: "threads are busy" }).waitFor();
});

test("the page keeps painting while workers are paused or blocked", async (t) => {
  const page = await open(t);
  await ready(page);
  await spawn(page, { count: 2, param: 60000, name: "blocked" });
  await spawn(page, { count: 2, workload: "cpu-bound", param: 100000, name: "busy" });
  await spawn(page, { count: 2, param: 10, name: "paused" });
  for (const id of ["paused_0", "paused_1"]) {
    await waitState(page, id, "running");
    await row(page, id).getByTestId("pause-button").click();
    await waitState(page, id, "paused");
  }
  const frames = await page.evaluate(
    () =>
      new Promise((done) => {
        let n = 0;
        const start = performance.now();
        const tick = () => (performance.now() - start < 1000 ? (n++, requestAnimationFrame(tick)) : done(n));
        requestAnimationFrame(tick);
      }),
  );
  assert.ok(frames >= 10, `only ${frames} frames painted in a second`);
});

test("a click hits the worker it was aimed at while rows are being added", async (t) => {
  // Unkeyed rows were once patched into other workers' rows as the list
  // grew, so a click in that instant paused the wrong worker.
  const page = await open(t);
  await ready(page);
  for (let round = 0; round < 4; round++) {
    await spawn(page, { count: 1, param: 50, name: `aim_${round}` });
    await waitState(page, `aim_${round}`, "running");
    // A new row arrives while the click is on its way.
    await spawn(page, { count: 1, param: 50, name: `extra_${round}` });
    await row(page, `aim_${round}`).getByTestId("pause-button").click();
    await waitState(page, `aim_${round}`, "paused");
    await waitState(page, `extra_${round}`, "running");
  }
});

test("a threads module that dies says so in plain words", async (t) => {
  // A dead module's own pending callbacks (timers, wakeups) trap as they
  // fire: expected here, and nothing else is.
  const page = await open(t, { allow: /^page error: (unreachable|Module terminated)$/ });
  await ready(page);
  await spawn(page, { count: 2, param: 20 });
  await waitState(page, "worker_0", "running");
  // Kill the module on purpose with a real trap through its glue: one of the
  // pool's internal exports, handed a pointer past the end of memory. Nothing
  // the API accepts can do this; this stands for what was not foreseen.
  const killed = await page.evaluate(async () => {
    const threads = await import("./threads/threadyard_web.js");
    try {
      threads.wbg_rayon_start_worker(0xfffffff0);
      return "no trap";
    } catch (error) {
      return `${error.constructor.name}: ${error.message}`;
    }
  });
  assert.match(killed, /RuntimeError/);
  await page.getByTestId("module-stopped").filter({ hasText: "The threads module stopped: reload the page." }).waitFor({ timeout: LONG });
  assert.equal(await page.getByTestId("spawn-button").count(), 0, "no dead buttons left");
  await shot(page, "module-stopped");
});

test("a bad pool size in the address is explained", async (t) => {
  const page = await open(t, { query: "?threads=abc" });
  await page.getByTestId("isolation-status").filter({ hasText: "is not a number from 1 to 64" }).waitFor({ timeout: LONG });
});

test("without isolation (and no service worker allowed) the page says so and how to fix it", async (t) => {
  const page = await open(t, { url: plain.url, context: { serviceWorkers: "block" } });
  const status = page.getByTestId("isolation-status");
  await status.filter({ hasText: "Threads are unavailable" }).waitFor({ timeout: LONG });
  const text = await status.innerText();
  assert.match(text, /Cross-Origin-Opener-Policy: same-origin/);
  assert.match(text, /Cross-Origin-Embedder-Policy: require-corp/);
  assert.match(text, /cargo xtask serve/);
  assert.doesNotMatch(text, /cross-origin isolated/);
  await shot(page, "not-isolated");
});

// Teaching mode.

const narration = (page) => page.getByTestId("narration");

/** Waits until the narration shows a line matching `pattern`. */
async function narrated(page, pattern) {
  await explained(page, `narration ${pattern}`, () =>
    narration(page).locator("li").filter({ hasText: pattern }).first().waitFor({ timeout: LONG }),
  );
}

/** Picks scenario `id`, sets the speed, runs it and waits for its end. */
async function runScenario(page, id, { speed = 10, midway } = {}) {
  await page.getByTestId("scenario-select").selectOption(id);
  await page.getByTestId("speed").fill(String(speed));
  await page.getByTestId("scenario-run").click();
  if (midway) await midway();
  await explained(page, `${id} to finish`, () =>
    page.getByTestId("scenario-status").filter({ hasText: "Finished" }).waitFor({ timeout: LONG }),
  );
  await narrated(page, /Scenario finished/);
}

const report = (page, label) =>
  page.getByTestId("shutdown-report").locator(`dt:text-is("${label}") + dd`).innerText();

test("the seed scenario at 10x: worker_1 falls behind, all stop cleanly, narrated and exported", async (t) => {
  const page = await open(t);
  await ready(page);
  const seedLabel = await page.getByTestId("scenario-select").locator("option").first().innerText();
  assert.match(seedLabel, /Seed/);
  await runScenario(page, "seed", {
    midway: async () => {
      await waitState(page, "worker_1", "paused");
      await shot(page, "seed-paused");
    },
  });
  for (const id of ["worker_0", "worker_1", "worker_2"]) await waitState(page, id, "stopped");
  const [w0, w1, w2] = [await tasksOf(page, "worker_0"), await tasksOf(page, "worker_1"), await tasksOf(page, "worker_2")];
  assert.ok(w1 < w0 && w1 < w2, `worker_1 (${w1}) behind worker_0 (${w0}) and worker_2 (${w2})`);
  assert.equal(await report(page, "Stopped cleanly"), "worker_0, worker_1, worker_2");
  assert.equal(await report(page, "Did not stop in time"), "none");
  assert.equal(await report(page, "Failed"), "none");
  const told = await narration(page).innerText();
  // As the seed's worker, it asks for its own pause and its next pause point takes it.
  const askedAt = told.indexOf("worker_1 is asked to pause");
  const pausedAt = told.indexOf("worker_1 reached a pause point and paused");
  const resumedAt = told.indexOf("worker_1 is resumed");
  assert.ok(askedAt >= 0 && askedAt < pausedAt && pausedAt < resumedAt, `pause requested, paused, then resumed, in order:\n${told}`);
  assert.doesNotMatch(told, /paused itself/);

  // A narration line marks its moment on the timeline.
  await narration(page).locator("li").filter({ hasText: "worker_1 is resumed" }).click();
    // (A vertical line has an empty bounding box: Playwright calls it hidden.)
  await page.getByTestId("timeline-marker").waitFor({ state: "attached", timeout: LONG });
  await shot(page, "seed-end");

  // The trace: Chrome Trace Event JSON, one track per worker.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-trace").click()]);
  assert.equal(download.suggestedFilename(), "threadyard-trace.json");
  const trace = JSON.parse(await readFile(await download.path(), "utf8"));
  assert.ok(Array.isArray(trace.traceEvents));
  const tracks = trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name");
  const tid = Object.fromEntries(tracks.map((e) => [e.args.name, e.tid]));
  for (const id of ["worker_0", "worker_1", "worker_2"]) {
    assert.equal(tracks.filter((e) => e.args.name === id).length, 1, `one track for ${id}`);
    const slices = trace.traceEvents.filter((e) => e.ph === "X" && e.tid === tid[id]);
    assert.ok(slices.some((e) => e.name === "running"), `${id} has running slices`);
    assert.ok(slices.every((e) => typeof e.ts === "number" && e.dur >= 0 && e.pid === 1));
  }
  assert.equal(new Set(Object.values(tid)).size, tracks.length, "every track its own tid");
  const paused = trace.traceEvents.filter((e) => e.ph === "X" && e.name === "paused");
  assert.deepEqual(paused.map((e) => e.tid), [tid.worker_1], "only worker_1 paused, once");
  assert.ok(trace.traceEvents.some((e) => e.ph === "i" && e.name === "broadcast"));

  const [snap] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-snapshot").click()]);
  const snapshot = JSON.parse(await readFile(await snap.path(), "utf8"));
  assert.deepEqual(snapshot.workers.map((w) => w.state), ["stopped", "stopped", "stopped"]);
});

test("every teaching scenario runs to its end and shows what it teaches", async (t) => {
  const page = await open(t);
  await ready(page);

  await runScenario(page, "pause-points");
  await narrated(page, /batch paused .* after the request: it was inside work with no pause point/);
  await narrated(page, /quick reached a pause point and paused/);
  const batchLane = page.getByTestId("timeline").locator('[data-worker-id="batch"]');
  assert.ok((await batchLane.locator('rect[data-state="pause-requested"]').count()) > 0, "batch waited, orange");
  assert.equal(await report(page, "Stopped cleanly"), "quick, batch");
  await shot(page, "scenario-pause-points");

  await runScenario(page, "back-pressure");
  await narrated(page, /consumer's mailbox is full \(8 of 8\)/);
  await narrated(page, /1 full one\(s\) refused it/);
  assert.ok(Number(await report(page, "Undelivered messages")) > 0, "shutdown counts what was never read");
  await shot(page, "scenario-back-pressure");

  await runScenario(page, "supervision");
  await narrated(page, /flaky failed .*restart 3\)/);
  await narrated(page, /flaky failed: panicked: item \d+ was malformed/);
  await waitState(page, "flaky", "failed");
  assert.match(await report(page, "Failed"), /^flaky \(panicked: item \d+ was malformed/);
  assert.equal(await report(page, "Stopped cleanly"), "steady_0, steady_1");
  await shot(page, "scenario-supervision");

  await runScenario(page, "unresponsive");
  await narrated(page, /did not stop by the deadline and are reported unresponsive/);
  assert.equal(await report(page, "Did not stop in time"), "stubborn");
  assert.equal(await report(page, "Stopped cleanly"), "worker_0, worker_1");
  // It still stops, by itself, when its long item ends.
  await waitState(page, "stubborn", "stopped");
  await shot(page, "scenario-unresponsive");
});

test("in slow motion the Pause points figures match the lesson's text, in script seconds, and lanes show what workers do", async (t) => {
  const page = await open(t);
  await ready(page);
  await page.getByTestId("scenario-select").selectOption("pause-points");
  const lookFor = await page.getByTestId("scenario-look-for").innerText();
  const promised = Number(lookFor.match(/up to (\d+) s later/)[1]);
  await page.getByTestId("speed").fill("0.1");
  await page.getByTestId("scenario-run").click();
  // The first step is a few real seconds away, not fifteen; its line is
  // timed in script seconds, as the lesson's text is.
  await narrated(page, /The script asks quick to pause/);
  const asked = await narration(page).locator("li").filter({ hasText: "The script asks quick to pause" }).first().locator("time").innerText();
  assert.equal(asked.trim(), "1.50 s");
  await narrated(page, /quick reached a pause point and paused/);
  const quick = await narration(page).locator("li").filter({ hasText: "quick reached a pause point" }).first().innerText();
  const quickMs = Number(quick.match(/paused, (\d+) ms/)[1]);
  assert.ok(quickMs <= 150, `quick paused ${quickMs} ms (script) after the request: its pause points come every 100 ms`);
  // The timeline magnifies: 2 s of script time fill its 20 s window.
  assert.match(await page.getByTestId("timeline").locator("text.axis").first().textContent(), /−2\.0 s \(20 s real\)/);
  // quick waits for its next item in a receive; batch sleeps through its item.
  const lane = (id) => page.getByTestId("timeline").locator(`[data-worker-id="${id}"]`);
  await lane("quick").locator('rect[data-activity="waiting-for-message"]').first().waitFor({ state: "attached", timeout: LONG });
  await lane("batch").locator('rect[data-activity="sleeping"]').first().waitFor({ state: "attached", timeout: LONG });
  assert.equal(await row(page, "batch").getByTestId("worker-activity").innerText(), "sleeping (blocking call)");
  // The code on screen: batch's real loop, its pause point marked, and
  // batch shown at the line it sleeps on.
  const batchCode = page.locator('[data-testid="code-listing"][data-kind="batch"]');
  assert.ok((await batchCode.locator(".code-line.pause-point").count()) > 0, "pause points marked");
  await batchCode.locator(".code-line.here").filter({ hasText: "sleep_paced(" }).filter({ hasText: "◀ batch" }).waitFor({ timeout: LONG });
  // batch's item (3 s of script, 30 s real) must end before it pauses.
  await explained(page, "batch to pause at 0.1x", () =>
    narration(page).locator("li").filter({ hasText: /batch paused .* after the request/ }).first().waitFor({ timeout: 60_000 }),
  );
  const batch = await narration(page).locator("li").filter({ hasText: /batch paused .* after the request/ }).first().innerText();
  const [, script, real] = batch.match(/batch paused ([\d.]+) s \(([\d.]+) s real\) after the request/).map(Number);
  assert.ok(script > 0.3 && script <= promised, `batch paused ${script} s (script) after the request; the lesson says up to ${promised} s`);
  assert.ok(real / script > 9 && real / script < 11, `${real} s real is ten times ${script} s of script at 0.1x`);
  // Both paused now, batch after its orange stretch: the picture the lesson
  // is about, as everyone sees it and under each colour-vision deficiency
  // Chromium emulates (the palette must keep the states apart in each).
  await shot(page, "slow-motion-pause-points");
  const cdp = await page.context().newCDPSession(page);
  for (const type of ["deuteranopia", "protanopia", "tritanopia", "achromatopsia"]) {
    await cdp.send("Emulation.setEmulatedVisionDeficiency", { type });
    await page.getByTestId("timeline").screenshot({ path: join(ARTIFACTS, `timeline-${type}.png`) });
    if (type === "deuteranopia") await shot(page, "slow-motion-pause-points-deuteranopia");
  }
  await cdp.send("Emulation.setEmulatedVisionDeficiency", { type: "none" });
  await page.getByTestId("timeline").screenshot({ path: join(ARTIFACTS, "timeline.png") });
  const ticks = await page.getByTestId("tick-legend").innerText();
  for (const tick of ["messages read", "broadcast", "pause", "failure"]) assert.match(ticks, new RegExp(tick));
  await page.getByTestId("speed").fill("10");
  await page.getByTestId("scenario-status").filter({ hasText: "Finished" }).waitFor({ timeout: LONG });
  assert.equal(await report(page, "Stopped cleanly"), "quick, batch");
});

test("Hold holds the lesson's threads too: batch stays held part-way through its item, and the figure leaves the hold out", async (t) => {
  const page = await open(t);
  await ready(page);
  await page.getByTestId("scenario-select").selectOption("pause-points");
  const lookFor = await page.getByTestId("scenario-look-for").innerText();
  const promised = Number(lookFor.match(/up to (\d+) s later/)[1]);
  await page.getByTestId("speed").fill("1");
  await page.getByTestId("scenario-run").click();
  await narrated(page, /The script asks batch to pause/);
  await page.getByTestId("scenario-hold").click();
  await page.getByTestId("scenario-status").filter({ hasText: "Held" }).waitFor({ timeout: LONG });
  // batch is part-way through an item of 3 s: held there, not paused.
  await explained(page, "batch held", () =>
    row(page, "batch").getByTestId("worker-activity").filter({ hasText: "held by Hold (not paused)" }).waitFor({ timeout: LONG }),
  );
  // The hold lasts longer than batch's whole item: had its thread gone on,
  // it would have paused by now (this is the hold's length, not a wait for
  // an event).
  await page.waitForTimeout(promised * 1000 + 1000);
  assert.equal(await stateOf(page, "batch").innerText(), "pause-requested");
  assert.equal(await row(page, "batch").getByTestId("worker-activity").innerText(), "held by Hold (not paused)");
  await shot(page, "held-pause-points");
  await page.getByTestId("scenario-hold").click();
  await narrated(page, /batch paused .* after the request/);
  const batch = await narration(page).locator("li").filter({ hasText: /batch paused .* after the request/ }).first().innerText();
  const [, script, real] = batch.match(/batch paused ([\d.]+) s \(([\d.]+) s real\) after the request/).map(Number);
  assert.ok(script <= promised, `batch paused ${script} s (script) after the request; the lesson says up to ${promised} s`);
  assert.ok(real - script >= promised, `${real} s real holds the ${promised + 1} s hold that ${script} s of script leaves out`);
});

test("what happens next: a prediction picked with the keyboard is answered from what the run did", async (t) => {
  const page = await open(t);
  await ready(page);
  await page.getByTestId("scenario-select").selectOption("pause-points");
  await page.getByTestId("speed").fill("2");
  await page.getByTestId("scenario-run").click();
  const question = (w) => page.locator(`[data-testid="predict-question"][data-worker="${w}"]`);
  await question("batch").waitFor({ timeout: LONG });
  assert.match(await question("batch").locator("legend").innerText(), /about to ask batch to pause/);
  // The keyboard alone: focus the first answer, move to the second with an
  // arrow key (a radio group), which picks it.
  await question("batch").getByTestId("predict-choice").first().focus();
  await page.keyboard.press("ArrowDown");
  assert.equal(await question("batch").getByTestId("predict-choice").nth(1).isChecked(), true);
  assert.equal(await question("batch").getByTestId("predict-answer").getAttribute("aria-live"), "polite");
  await accessible(page, "a prediction picked");
  // Answered once batch has paused, with the figure the run measured.
  await explained(page, "batch's answer", () =>
    question("batch").getByTestId("predict-answer").filter({ hasText: /^Yes\. batch paused .* after the request: it was inside work with no pause point/ }).waitFor({ timeout: LONG }),
  );
  const told = await question("batch").getByTestId("predict-answer").innerText();
  const narrated = await narration(page).locator("li").filter({ hasText: /batch paused .* after the request/ }).first().innerText();
  assert.equal(told.match(/paused (.*?) after/)[1], narrated.match(/paused (.*?) after/)[1], "the same measure as the narration's");
  assert.equal(await question("batch").getByTestId("predict-choice").first().isDisabled(), true, "answered: the choices close");
  // quick, with no answer picked, is told what happened.
  await question("quick").getByTestId("predict-answer").filter({ hasText: /^quick paused .* after the request, at its next pause point/ }).waitFor({ timeout: LONG });
  await shot(page, "predict-pause-points");
});

test("the speedup lesson plots throughput against 1, 2, 4 and 8 workers beside the cores", async (t) => {
  const page = await open(t);
  await ready(page);
  await runScenario(page, "speedup", { speed: 2 });
  const plot = page.getByTestId("speedup-plot");
  await plot.waitFor({ timeout: LONG });
  const workers = await plot.getByTestId("speedup-point").evaluateAll((points) => points.map((p) => Number(p.dataset.workers)));
  assert.deepEqual(workers, [1, 2, 4, 8], "a point for each phase");
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  if (cores <= 8) await plot.getByTestId("speedup-cores").waitFor({ state: "attached", timeout: LONG });
  const figures = await page.getByTestId("speedup-figures").textContent();
  assert.match(figures, /1 worker\(s\): \d+ tasks\/s \(1\.00x of one\)/);
  assert.equal(await report(page, "Stopped cleanly"), "cpu_1, cpu_2, cpu_3, cpu_4, cpu_5, cpu_6, cpu_7, cpu_8");
  await shot(page, "scenario-speedup");
});

test("hold and step drive the script; speed is checked", async (t) => {
  const page = await open(t);
  await ready(page);
  await page.getByTestId("scenario-select").selectOption("seed");
  await page.getByTestId("speed").fill("2");
  await page.getByTestId("scenario-run").click();
  await page.getByTestId("scenario-hold").click();
  await page.getByTestId("scenario-status").filter({ hasText: "Held" }).waitFor({ timeout: LONG });
  // Held: "Run to next step" lets the script and the workers go on until
  // the next step has run, then holds both again.
  await page.getByTestId("scenario-step").click();
  await waitState(page, "worker_1", "paused");
  await page.getByTestId("scenario-status").filter({ hasText: "step 1 of 6. Held" }).waitFor({ timeout: LONG });
  // The next step is the script's wait for worker_1's pause, which it has taken already.
  await page.getByTestId("scenario-step").click();
  await page.getByTestId("scenario-status").filter({ hasText: "step 2 of 6. Held" }).waitFor({ timeout: LONG });
  await page.getByTestId("scenario-step").click();
  await waitState(page, "worker_1", "running");
  await page.getByTestId("scenario-status").filter({ hasText: "step 3 of 6. Held" }).waitFor({ timeout: LONG });
  await page.getByTestId("speed").fill("50");
  await page.getByTestId("error").filter({ hasText: "is not a speed from 0.1 to 10" }).waitFor({ timeout: LONG });
  await page.getByTestId("speed").fill("10");
  await page.getByTestId("scenario-hold").click();
  await page.getByTestId("scenario-status").filter({ hasText: "Finished" }).waitFor({ timeout: LONG });
  assert.equal(await report(page, "Stopped cleanly"), "worker_0, worker_1, worker_2");
});

test("the reading pages: the ideas, and what the seed got wrong", async (t) => {
  const page = await open(t);
  await page.getByTestId("nav-seed").click();
  const seedPage = page.getByTestId("seed-page");
  await seedPage.waitFor({ timeout: LONG });
  const text = await seedPage.innerText();
  for (const topic of [/without a lock/, /polls once a second/, /CPU time never measured/, /splits its timeout/, /throws away queue and history/]) {
    assert.match(text, topic);
  }
  await page.getByTestId("nav-learn").click();
  const learn = await page.getByTestId("learn-page").innerText();
  for (const topic of [/Pause points/, /Mailboxes and back-pressure/, /Broadcast/, /Supervision/, /Shutdown/]) {
    assert.match(learn, topic);
  }
  assert.equal(await page.getByTestId("seed-page").isVisible(), false);
  await page.goBack();
  await seedPage.waitFor({ state: "visible", timeout: LONG });
});

test("served without COOP/COEP, the service worker makes the page isolated and threads run", async (t) => {
  const page = await open(t, { url: plain.url });
  await ready(page);
  const controlled = await page.evaluate(() => Boolean(navigator.serviceWorker.controller) && self.crossOriginIsolated);
  assert.equal(controlled, true);
  await spawn(page, { count: 2, param: 10 });
  await waitTasksAbove(page, "worker_0", 5);
  await waitTasksAbove(page, "worker_1", 5);
});

// Everyone: axe-core on every page and state, the keyboard alone, narrow
// screens, less motion; and a refresh re-renders only what changed.

const AXE = join(here, "node_modules/axe-core/axe.min.js");

/** Runs axe-core on the page as it is; fails on any serious or critical
 * violation, naming each with the elements it found. */
async function accessible(page, state) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  const bad = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join("\n    ")}`);
  assert.deepEqual(bad, [], `axe-core on ${state}`);
}

test("axe-core finds no serious or critical violation on any page or state", async (t) => {
  const page = await open(t);
  await accessible(page, "the page starting");
  await ready(page);
  await accessible(page, "the yard, no workers");

  await spawn(page, { count: 2, param: 20 });
  await spawn(page, { count: 1, workload: "cpu-bound", param: 5000 });
  await spawn(page, { count: 1, workload: "chatty", param: 50 });
  await waitState(page, "worker_1", "running");
  await row(page, "worker_1").getByTestId("pause-button").click();
  await waitState(page, "worker_1", "paused");
  await row(page, "worker_0").getByTestId("resume-button").click();
  await page.getByTestId("error").filter({ hasText: "cannot resume" }).waitFor({ timeout: LONG });
  await spawn(page, { count: 0 });
  await page.getByTestId("error").filter({ hasText: "count from 1 to 64" }).waitFor({ timeout: LONG });
  await accessible(page, "workers running and paused, errors shown inline");

  await runScenario(page, "supervision");
  await waitState(page, "flaky", "failed");
  await narration(page).locator("li").first().click();
  await accessible(page, "a scenario run to its end: failed worker, narration, marker, report");

  await page.getByTestId("scenario-select").selectOption("pause-points");
  await page.getByTestId("speed").fill("1");
  await page.getByTestId("scenario-run").click();
  await waitState(page, "batch", "running");
  await page.getByTestId("speed").fill("50");
  await page.getByTestId("error").filter({ hasText: "is not a speed" }).waitFor({ timeout: LONG });
  await accessible(page, "a scenario running, a refused speed");

  await page.getByTestId("shutdown-button").click();
  await page.getByTestId("shutdown-report").waitFor({ timeout: LONG });
  await accessible(page, "shut down, with its report");

  await page.getByTestId("nav-learn").click();
  await page.getByTestId("learn-page").waitFor({ timeout: LONG });
  await accessible(page, "the ideas");
  await page.getByTestId("nav-seed").click();
  await page.getByTestId("seed-page").waitFor({ timeout: LONG });
  await accessible(page, "what the seed got wrong");

  const failed = await open(t, { query: "?threads=abc" });
  await failed.getByTestId("isolation-status").filter({ hasText: "is not a number from 1 to 64" }).waitFor({ timeout: LONG });
  await accessible(failed, "the app failing to start");
  const notIsolated = await open(t, { url: plain.url, context: { serviceWorkers: "block" } });
  await notIsolated.getByTestId("isolation-status").filter({ hasText: "Threads are unavailable" }).waitFor({ timeout: LONG });
  await accessible(notIsolated, "threads unavailable");
});

/** Presses Tab (Shift+Tab with `back`) until the focused element matches
 * `selector`; fails after `max` presses. */
async function tabTo(page, selector, { back = false, max = 400 } = {}) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Types `text` over what the focused field holds. */
async function retype(page, text) {
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

test("the seed scenario, and pausing and resuming a worker, with the keyboard alone", async (t) => {
  const page = await open(t);
  await ready(page);
  // The scenario chooser starts on the seed's example.
  await tabTo(page, '[data-testid="scenario-select"]');
  assert.match(await page.evaluate(() => document.activeElement.selectedOptions[0].textContent), /Seed/);
  const outline = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.notEqual(outline.style, "none", "focus is visible");
  assert.ok(outline.width >= 2, `a focus outline of ${outline.width} px`);
  await tabTo(page, '[data-testid="speed"]');
  await retype(page, "10");
  await tabTo(page, '[data-testid="scenario-run"]');
  await page.keyboard.press("Enter");
  await waitState(page, "worker_1", "paused");
  await page.getByTestId("scenario-status").filter({ hasText: "Finished" }).waitFor({ timeout: LONG });
  await narrated(page, /Scenario finished/);
  assert.equal(await report(page, "Stopped cleanly"), "worker_0, worker_1, worker_2");

  // The narration is one Tab stop; arrows move along it, Enter marks a moment.
  await tabTo(page, `[data-testid="narration"] li[tabindex="0"]`);
  await page.keyboard.press("Home");
  for (let i = 0; i < 60; i++) {
    const text = await page.evaluate(() => document.activeElement.textContent);
    if (/worker_1 is resumed/.test(text)) break;
    await page.keyboard.press("ArrowDown");
  }
  assert.match(await page.evaluate(() => document.activeElement.textContent), /worker_1 is resumed/);
  await page.keyboard.press("Enter");
  await page.getByTestId("timeline-marker").waitFor({ state: "attached", timeout: LONG });

  // A new manager, a worker, paused and resumed.
  await tabTo(page, '[data-testid="new-manager"]');
  await page.keyboard.press("Enter");
  await tabTo(page, '[data-testid="spawn-count"]', { back: true });
  await retype(page, "1");
  await tabTo(page, '[data-testid="spawn-param"]');
  await retype(page, "20");
  await tabTo(page, '[data-testid="spawn-button"]');
  await page.keyboard.press("Enter");
  await waitState(page, "worker_0", "running");
  await tabTo(page, '[aria-label="pause worker_0"]');
  await page.keyboard.press("Enter");
  await waitState(page, "worker_0", "paused");
  const frozen = await tasksOf(page, "worker_0");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "resume worker_0");
  await page.keyboard.press("Space");
  await waitState(page, "worker_0", "running");
  await waitTasksAbove(page, "worker_0", frozen);
});

/** The page's render counts so far. */
const renders = (page) => page.evaluate(() => window.threadyardRenders());

/** Waits until the app has rendered `n` more times than in `since`. */
async function appRenders(page, since, n) {
  await page.waitForFunction(([before, n]) => window.threadyardRenders().App >= before + n, [since.App, n], { timeout: LONG });
}

test("a refresh re-renders only what changed", async (t) => {
  const page = await open(t);
  await ready(page);
  await spawn(page, { count: 3, param: 20 });
  for (const id of ["worker_0", "worker_1", "worker_2"]) await waitState(page, id, "running");
  await row(page, "worker_1").getByTestId("pause-button").click();
  await waitState(page, "worker_1", "paused");
  // Its rate needs a second or two to settle at 0.
  await appRenders(page, await renders(page), 30);
  const before = await renders(page);
  await appRenders(page, before, 20);
  const after = await renders(page);
  const grew = (name) => (after[name] ?? 0) - (before[name] ?? 0);
  assert.ok(grew("App") >= 20 && grew("WorkersTable") >= 10 && grew("Timeline") >= 10, `refreshes came: ${JSON.stringify({ before, after })}`);
  for (const still of ["Header", "Learn", "SeedNotes", "ScenarioPanel", "NarrationPanel", "SpawnForm", "MessageForm", "BroadcastForm", "ShutdownForm"]) {
    assert.equal(grew(still), 0, `${still} was not rendered again`);
  }
  assert.equal(grew("WorkerRow worker_1"), 0, "the paused worker's row was not rendered again");
  assert.ok(grew("WorkerRow worker_0") >= 10 && grew("WorkerRow worker_2") >= 10, "the running workers' rows were");
  for (const id of ["worker_0", "worker_1", "worker_2"]) assert.equal(grew(`Lane ${id}`), 0, `${id}'s lane, unchanged, was not rendered again`);
  // A state change renders that lane, and that row, again.
  await row(page, "worker_1").getByTestId("resume-button").click();
  await waitState(page, "worker_1", "running");
  const resumed = await renders(page);
  assert.ok(resumed["Lane worker_1"] > after["Lane worker_1"], "the resumed worker's lane was");
});

test("usable at 390 and 768 px wide: nothing overflows the page, screenshots", async (t) => {
  for (const width of [390, 768]) {
    const page = await open(t, { context: { viewport: { width, height: 900 } } });
    await ready(page);
    await runScenario(page, "seed", {
      midway: async () => {
        await waitState(page, "worker_1", "paused");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen at ${width} px`);
        await shot(page, `width-${width}`);
      },
    });
    await accessible(page, `the seed's end at ${width} px`);
  }
});

test("with less motion asked for, the timeline moves in whole seconds", async (t) => {
  const page = await open(t, { context: { reducedMotion: "reduce" } });
  await ready(page);
  await spawn(page, { count: 1, param: 20 });
  await waitState(page, "worker_0", "running");
  // The lanes' group maps the window onto the view: its right edge is a whole second.
  const edges = [];
  for (let i = 0; i < 3; i++) {
    await page.getByTestId("timeline").locator('rect[data-state="running"]').first().waitFor({ timeout: LONG });
    edges.push(
      await page.evaluate(() => {
        const group = document.querySelector('[data-testid="timeline"] g[transform]');
        const [, tx, k] = group.getAttribute("transform").match(/translate\(([-\d.e]+) 0\) scale\(([-\d.e]+) 1\)/).map(Number);
        const plot = document.querySelector("#timeline-plot rect");
        const right = Number(plot.getAttribute("x")) + Number(plot.getAttribute("width"));
        return (right - tx) / k;
      }),
    );
    await appRenders(page, await renders(page), 5);
  }
  for (const edge of edges) assert.ok(Math.abs(edge - Math.round(edge / 1000) * 1000) < 1, `the edge ${edge} ms is a whole second`);
});
