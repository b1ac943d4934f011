// End-to-end: the app attached to a native program (`threadyard seed
// --serve`), and a recording of the seed played back. Debian's Chromium
// driven by playwright-core; the native binary is the CLI the native tests
// built (THREADYARD_BIN, else target/debug/threadyard).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn as run } from "node:child_process";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.THREADYARD_DIST ?? join(here, "../../dist");
const BIN = process.env.THREADYARD_BIN ?? join(here, "../../target/debug/threadyard");
const ARTIFACTS = join(here, "artifacts");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const LONG = 30_000;
// Chromium itself reports each refused reconnection attempt of a WebSocket
// on the console; the app logs nothing. Every other console error fails.
const REFUSED_RECONNECT = /WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+(&from=\d+)?' failed/;

let browser, site;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  site = await serve(DIST, { isolation: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  site?.close();
});

const origin = () => new URL(site.url).origin;

async function open(t, query = "") {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && !REFUSED_RECONNECT.test(m.text()) && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], "no console errors");
  });
  await page.goto(site.url + query);
  await page.getByTestId("isolation-status").filter({ hasText: "cross-origin isolated" }).waitFor({ timeout: LONG });
  return page;
}

/** Starts the CLI with `args`; resolves to it and the link it printed. */
async function native(t, args) {
  const child = run(BIN, args, { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.startsWith("link: ")) return { child, link: line.slice(6) };
  }
  throw new Error(`${BIN} ${args.join(" ")} printed no link`);
}

async function waitState(page, id, state) {
  await page.waitForFunction(
    ([id, state]) =>
      document.querySelector(`[data-testid="worker-row"][data-worker-id="${id}"] [data-testid="worker-state"]`)?.textContent === state,
    [id, state],
    { timeout: LONG },
  );
}

const tasksOf = async (page, id) =>
  Number(await page.locator(`[data-testid="worker-row"][data-worker-id="${id}"] [data-testid="worker-tasks"]`).innerText());

async function shot(page, name) {
  const all = await page.addStyleTag({ content: ".panel.wide, tbody { content-visibility: visible !important; }" });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await all.evaluate((style) => style.remove());
}

test("attached to `threadyard seed --serve --speed 10`: worker_1 goes pause-requested, paused, running, then all stop; spawning is shown unavailable, with why", async (t) => {
  const { link } = await native(t, ["seed", "--serve", "--speed", "10", "--wait", "--origin", origin()]);
  const page = await open(t, `?attach=${encodeURIComponent(link)}`);
  await page.getByTestId("connection").filter({ hasText: "connected" }).waitFor({ timeout: LONG });
  // The run starts once the page watches: worker_1 reads "pause" and asks for its own pause, which
  // its next pause point takes; it is resumed, then all stop.
  await waitState(page, "worker_1", "paused");
  await waitState(page, "worker_1", "running");
  for (const id of ["worker_0", "worker_1", "worker_2"]) await waitState(page, id, "stopped");
  await page.locator('.lane[data-worker-id="worker_1"] rect[data-state="paused"]').first().waitFor({ timeout: LONG });
  assert.ok((await tasksOf(page, "worker_1")) < (await tasksOf(page, "worker_0")), "worker_1 fell behind");
  // Spawning is the program's business: shown unavailable, with the reason.
  const spawnBox = page.getByTestId("unavailable").filter({ hasText: "Spawn workers" });
  assert.match(await spawnBox.innerText(), /the native program makes its own workers/);
  // The same narration as for the page's own threads, from the native program's event log:
  // pause-requested, then paused, then running again, then stopped.
  const told = await page.getByTestId("narration").innerText();
  const at = (text) => told.indexOf(text);
  const order = ["worker_1 is asked to pause", "worker_1 reached a pause point and paused", "worker_1 is resumed", "worker_1 stopped"];
  assert.ok(order.every((text, i) => at(text) >= 0 && (i === 0 || at(order[i - 1]) < at(text))), `in order ${order.join(" < ")}:\n${told}`);
  await shot(page, "attached");
});

test("attached with commands, the page's pause button pauses a native worker; killing the program shows disconnected", async (t) => {
  const { child, link } = await native(t, ["seed", "--serve", "--speed", "0.2", "--wait", "--origin", origin()]);
  const page = await open(t);
  await page.getByTestId("attach-link").fill(link);
  await page.getByTestId("attach").click();
  await page.getByTestId("connection-allows").filter({ hasText: "commands allowed" }).waitFor({ timeout: LONG });
  await waitState(page, "worker_0", "running");
  // Commands allowed: the rows' controls are available, and nothing says otherwise.
  assert.equal(await page.locator('[data-worker-id="worker_0"] [data-testid="pause-button"]').getAttribute("aria-disabled"), null);
  assert.equal(await page.getByTestId("row-controls-unavailable").count(), 0);
  await page.locator('[data-worker-id="worker_0"] [data-testid="pause-button"]').click();
  await waitState(page, "worker_0", "paused");
  const frozen = await tasksOf(page, "worker_0");
  await page.locator('[data-worker-id="worker_0"] [data-testid="resume-button"]').click();
  await waitState(page, "worker_0", "running");
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-worker-id="worker_0"] [data-testid="worker-tasks"]')?.textContent) > n,
    frozen,
    { timeout: LONG },
  );
  // A refused command is told in its row: the program says why.
  await page.locator('[data-worker-id="worker_2"] [data-testid="resume-button"]').click();
  await page.locator('tbody:has([data-worker-id="worker_2"]) [data-testid="error"]').filter({ hasText: "invalid-transition" }).waitFor({ timeout: LONG });
  child.kill("SIGKILL");
  await page.getByTestId("connection").filter({ hasText: "disconnected" }).waitFor({ timeout: LONG });
  assert.match(await page.getByTestId("unavailable").filter({ hasText: "Shutdown" }).innerText(), /not connected/);
  // Disconnected, the rows' controls are shown unavailable too, with why.
  assert.equal(await page.locator('[data-worker-id="worker_0"] [data-testid="stop-button"]').getAttribute("aria-disabled"), "true");
  assert.match(await page.getByTestId("row-controls-unavailable").innerText(), /not connected/);
});

/** The text of the elements `button`'s aria-describedby names: what a screen reader reads with it. */
const description = (button) =>
  button.evaluate((b) => (b.getAttribute("aria-describedby") ?? "").split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" "));

test("attached read-only, the rows' controls and the exports are shown unavailable before any click, with the reason, and reachable by keyboard", async (t) => {
  const { link } = await native(t, ["seed", "--serve", "--speed", "0.2", "--wait", "--read-only", "--origin", origin()]);
  const page = await open(t, `?attach=${encodeURIComponent(link)}`);
  await page.getByTestId("connection-allows").filter({ hasText: "read-only" }).waitFor({ timeout: LONG });
  await waitState(page, "worker_0", "running");
  assert.match(await page.getByTestId("row-controls-unavailable").innerText(), /unavailable.*read-only/s);
  for (const id of ["worker_0", "worker_1", "worker_2"]) {
    for (const what of ["pause", "resume", "stop"]) {
      const button = page.locator(`[data-worker-id="${id}"] [data-testid="${what}-button"]`);
      assert.equal(await button.getAttribute("aria-disabled"), "true", `${id}'s ${what}`);
      assert.match(await description(button), /read-only/, `${id}'s ${what} says why`);
    }
  }
  // Reachable by keyboard (aria-disabled, not disabled); Enter changes nothing and says why in the row.
  const pause = page.locator('[data-worker-id="worker_0"] [data-testid="pause-button"]');
  await pause.focus();
  assert.ok(await pause.evaluate((b) => document.activeElement === b && !b.disabled), "focusable");
  await page.keyboard.press("Enter");
  await page.locator('tbody:has([data-worker-id="worker_0"]) [data-testid="error"]').filter({ hasText: "read-only" }).waitFor({ timeout: LONG });
  assert.equal(await page.locator('[data-worker-id="worker_0"] [data-testid="worker-state"]').innerText(), "running");
  // The page's exports are for its own threads: said so, with the way to save this session.
  for (const id of ["export-trace", "export-snapshot"]) {
    const button = page.getByTestId(id);
    assert.equal(await button.getAttribute("aria-disabled"), "true", id);
    assert.match(await description(button), /Save as recording/, id);
  }
  // Messages and shutdown are the program's too: their boxes say why.
  assert.match(await page.getByTestId("unavailable").filter({ hasText: "Messages and broadcast" }).innerText(), /read-only/);
  assert.match(await page.getByTestId("unavailable").filter({ hasText: "Shutdown" }).innerText(), /read-only/);
});

test("a recording of the seed replays worker_1's paused lane and the same final figures", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "threadyard-"));
  const file = join(dir, "seed.jsonl");
  const output = await new Promise((resolve, reject) => {
    const child = run(BIN, ["seed", "--speed", "10", "--json", "--record", file], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`exit ${code}`))));
  });
  const page = await open(t);
  await page.getByTestId("open-recording").setInputFiles(file);
  await page.getByTestId("replay").waitFor({ timeout: LONG });
  await page.getByTestId("replay-speed").selectOption("10");
  await page.getByTestId("replay-ended").waitFor({ timeout: LONG });
  for (const w of output.workers) {
    await waitState(page, w.id, "stopped");
    assert.equal(await tasksOf(page, w.id), w.tasks_completed, `${w.id}'s final figure`);
  }
  await page.locator('.lane[data-worker-id="worker_1"] rect[data-state="paused"]').first().waitFor({ timeout: LONG });
  // Scrubbed back to the middle: worker_1 paused again, as it was then.
  const paused = output.workers.find((w) => w.id === "worker_1");
  assert.equal(paused.pause_count, 1);
  const scrub = page.getByTestId("replay-scrub");
  const [min, max] = [Number(await scrub.getAttribute("min")), Number(await scrub.getAttribute("max"))];
  await scrub.fill(String(min + (max - min) * 0.4));
  await waitState(page, "worker_1", "paused");
  assert.match(await page.getByTestId("unavailable").filter({ hasText: "Spawn workers" }).innerText(), /recording/);
  // A replay is a recording already: saving it again is shown unavailable, with why.
  assert.equal(await page.getByTestId("export-recording").getAttribute("aria-disabled"), "true");
  assert.match(await description(page.getByTestId("export-recording")), /recording already/);
  // A replay takes no commands: its rows' controls say so before any click.
  assert.equal(await page.locator('[data-worker-id="worker_1"] [data-testid="pause-button"]').getAttribute("aria-disabled"), "true");
  assert.match(await description(page.locator('[data-worker-id="worker_1"] [data-testid="pause-button"]')), /replay/);
  await shot(page, "replay");
  const text = await readFile(file, "utf8");
  assert.match(text.split("\n")[0], /"type":"threadyard-recording"/);
});

test("the page's own session, saved as a recording, replays with the chart as it grew, not only its end", async (t) => {
  const page = await open(t);
  await page.getByTestId("scenario-select").selectOption("seed");
  await page.getByTestId("speed").fill("10");
  await page.getByTestId("scenario-run").click();
  await page.getByTestId("scenario-status").filter({ hasText: "Finished" }).waitFor({ timeout: LONG });
  for (const id of ["worker_0", "worker_1", "worker_2"]) await waitState(page, id, "stopped");
  const figures = {};
  for (const id of ["worker_0", "worker_1", "worker_2"]) figures[id] = await tasksOf(page, id);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-recording").click()]);
  const file = await download.path();
  const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  const snapshots = lines.filter((l) => l.type === "snapshot");
  // The run lasts 1.5 s and more at 10x, read ten times a second: the snapshots along the way are kept.
  assert.ok(snapshots.length >= 10, `${snapshots.length} snapshots saved`);
  const times = snapshots.map((l) => l.snapshot.at_ms);
  assert.ok(times.every((at, i) => i === 0 || at >= times[i - 1]), "in order");
  await page.getByTestId("open-recording").setInputFiles(file);
  await page.getByTestId("replay").waitFor({ timeout: LONG });
  await page.getByTestId("replay-speed").selectOption("10");
  await page.getByTestId("replay-ended").waitFor({ timeout: LONG });
  const points = ((await page.locator('[data-testid="throughput"] polyline').getAttribute("points")) ?? "").trim().split(/\s+/).filter(Boolean);
  assert.ok(points.length >= 5, `the replayed chart has ${points.length} points`);
  for (const [id, tasks] of Object.entries(figures)) assert.equal(await tasksOf(page, id), tasks, `${id}'s final figure`);
  assert.match(await page.getByTestId("narration").innerText(), /worker_1 is asked to pause/);
});
