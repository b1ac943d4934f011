// Measures the page's frame times with 8 workers at full speed and the
// timeline live: `node tests/e2e/frames.mjs [dist]`. A measurement for the
// record, not a test (tests assert behaviour, not timings).
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const { url, close } = await serve(process.argv[2] ?? new URL("../../dist", import.meta.url).pathname);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
await page.goto(url);
await page.getByTestId("isolation-status").filter({ hasText: "cross-origin isolated" }).waitFor({ timeout: 30000 });
// Mixes: "seed" (8 data processors at 1 ms per item, the seed's worker at
// full speed), "cpu" (4 CPU-bound spinners + 4 chatty at 1 ms: more runnable
// threads than cores), "none" (no workers: the page's own baseline).
const MIXES = {
  seed: [["data-processor", 8, "1"]],
  cpu: [["cpu-bound", 4, "200000"], ["chatty", 4, "1"]],
  none: [],
};
const mix = process.env.MIX ?? "seed";
let expected = 0;
for (const [workload, count, param] of MIXES[mix]) {
  await page.getByTestId("spawn-count").fill(String(count));
  await page.getByTestId("spawn-workload").selectOption(workload);
  await page.getByTestId("spawn-param").fill(param);
  await page.getByTestId("spawn-button").click();
  expected += count;
}
await page.waitForFunction((n) => document.querySelectorAll('[data-testid="worker-row"]').length === n, expected);
const frames = await page.evaluate(
  () =>
    new Promise((done) => {
      const gaps = [];
      let last = performance.now();
      const end = last + 5000;
      const tick = (now) => {
        gaps.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick);
        else done(gaps);
      };
      requestAnimationFrame(tick);
    }),
);
frames.sort((a, b) => a - b);
const at = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))].toFixed(1);
const running = await page.locator('[data-testid="worker-state"]', { hasText: "running" }).count();
console.log(`${mix}: ${frames.length} frames in 5 s with ${running} workers running: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`);
await browser.close();
close();
