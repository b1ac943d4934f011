// The threads module's JavaScript API against every value JavaScript can
// pass, in headless Chromium, through the real wasm-bindgen glue (which a
// Rust test would bypass: the glue's own conversions are what broke).
//
// The methods are not listed here: they are read from the API itself (the
// module's exports, `Threadyard`'s static and prototype functions, and each
// one's parameter names from its source), so a new method or argument is
// covered without editing this file. For every method and every argument,
// every value of the hostile corpus is passed there (the other arguments
// valid) to a fresh manager. After each call: it returned or threw an
// `Error` of a documented kind (a Promise it returned settles the same
// way), the page still answers (a timer fires), and the module is alive (a
// fresh manager spawns a worker and snapshots it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.THREADYARD_DIST ?? join(here, "../../dist");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// The whole corpus runs in one page call; it takes about a minute.
const SUITE_MS = 600_000;

let browser, server;

before(async () => {
  server = await serve(DIST, { isolation: true, pages: { "/api.html": "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>threadyard API</title>" } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A blank isolated page with the threads module loaded as `window.ty`
 * and its pool started; records page errors. */
async function open(t) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  t.after(() => context.close());
  await page.goto(server.url + "api.html");
  await page.evaluate(async () => {
    const ty = await import("./threads/threadyard_web.js");
    await ty.default();
    await ty.initThreadPool(4);
    window.ty = ty;
  });
  return { page, problems };
}

test("every method and argument of the JS API survives a corpus of hostile values", async (t) => {
  const { page, problems } = await open(t);
  page.setDefaultTimeout(SUITE_MS);
  const result = await page.evaluate(async () => {
    const { Threadyard } = window.ty;
    const TYPED = new Set(["ArgumentError", "OptionsError", "WorkloadError", "SendError", "ControlError", "CreateError", "StateError", "SpeedError", "PoolError"]);
    // Exports that are not the API: loading the module, and the pool's own
    // internals, which wasm-bindgen-rayon's workers call.
    const NOT_API = (name) => name === "default" || name === "initSync" || name.startsWith("wbg_rayon_") || name.startsWith("__");
    // A valid value for each parameter name found in the API; any other
    // parameter gets `undefined` as its valid value.
    const VALID = {
      id: () => "w",
      workload: () => ({ kind: "data-processor", item_ms: 1 }),
      options: () => undefined,
      message: () => "hello",
      since: () => 0,
      timeout_ms: () => 1000,
      state: () => "running",
      speed: () => 2,
      threads: () => 4,
    };

    const BIG = "x".repeat(10_000_000);
    const deep = (wrap) => {
      let v = {};
      for (let i = 0; i < 10_000; i++) v = wrap(v);
      return v;
    };
    const DEEP_OBJECT = deep((v) => ({ a: v }));
    const DEEP_ARRAY = deep((v) => [v]);
    const thrower = (what) => () => {
      throw new Error(what);
    };
    const cyclic = { kind: "data-processor" };
    cyclic.self = cyclic;
    const cyclicArray = [1];
    cyclicArray.push(cyclicArray);
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const sparse = [];
    sparse.length = 2 ** 32 - 1;
    const constant = (value) => () => value;
    /** The corpus: a label and a maker of the value, given the manager
     * called (some values act on it while they are read). */
    const CORPUS = [
      ["undefined", undefined], ["null", null], ["true", true], ["0", 0], ["-0", -0], ["7", 7], ["-1", -1], ["1.5", 1.5],
      ["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ["1e300", 1e300], ["2^53+2", 2 ** 53 + 2], ["2^32", 2 ** 32],
      ["a BigInt", 10n], ["a huge BigInt", 2n ** 200n], ["a Symbol", Symbol("s")], ["the empty string", ""], ["a control character", "a\nb"],
      ["a lone surrogate", "\ud800"], ["a 10 MB string", BIG], ["a function", () => 1], ["an empty array", []], ["an empty object", {}],
      ["a Date", new Date(0)], ["a Number object", new Number(5)], ["a String object", new String("w")], ["a Map", new Map([["kind", "x"]])],
      ["an object with a 10 MB key", { [BIG]: 1 }], ["a 100 MB typed array", new Uint8Array(100_000_000)], ["an array of a million", new Array(1_000_000).fill(0)],
      ["a sparse array 2^32-1 long", sparse],
      ["a cyclic object", cyclic], ["a cyclic array", cyclicArray], ["an object 10,000 deep", DEEP_OBJECT], ["an array 10,000 deep", DEEP_ARRAY],
      ["NaN inside", { kind: "data-processor", item_ms: NaN, speed: NaN, mailboxCapacity: NaN, maxRestarts: NaN }],
      ["Infinity inside", { kind: "flaky", item_ms: 1, fail_every: Infinity, restartWindowMs: Infinity, maxRestarts: 1 }],
      ["a BigInt inside", { kind: "data-processor", item_ms: 1n }], ["a Symbol inside", { kind: Symbol("k") }],
      ["a Proxy whose traps throw", new Proxy({}, { get: thrower("get"), ownKeys: thrower("ownKeys"), getOwnPropertyDescriptor: thrower("gopd"), has: thrower("has"), getPrototypeOf: thrower("proto") })],
      ["a Proxy of an array whose traps throw", new Proxy([], { get: thrower("get"), ownKeys: thrower("ownKeys") })],
      ["a revoked Proxy", revoked],
      ["a throwing valueOf", { valueOf: thrower("valueOf") }],
      ["a throwing toString", { toString: thrower("toString"), valueOf: thrower("valueOf") }],
      ["a throwing Symbol.toPrimitive", { [Symbol.toPrimitive]: thrower("toPrimitive") }],
      ["a throwing toJSON", { toJSON: thrower("toJSON") }],
      ["a throwing getter", { get kind() { throw new Error("getter"); }, get item_ms() { throw new Error("getter"); } }],
    ].map(([label, value]) => [label, constant(value)]).concat([
      ["a valueOf that frees the manager", (victim) => ({ valueOf() { victim.free(); return 1; } })],
      ["a valueOf that shuts the manager down", (victim) => ({ valueOf() { victim.shutdown(0); return 1; } })],
      ["a getter that frees the manager", (victim) => ({ get kind() { victim.free(); return "data-processor"; }, item_ms: 1 })],
      ["a getter that shuts the manager down", (victim) => ({ get kind() { victim.shutdown(0); return "data-processor"; }, item_ms: 1 })],
      ["a getter that calls the manager again", (victim) => ({ get kind() { victim.spawn("again", { kind: "data-processor", item_ms: 1 }); victim.snapshot(); return "data-processor"; }, item_ms: 1 })],
      ["a Proxy trap that frees the manager", (victim) => new Proxy({ kind: "data-processor", item_ms: 1 }, { get(target, key) { try { victim.free(); } catch {} return target[key]; } })],
      ["a toJSON that frees the manager", (victim) => ({ toJSON() { victim.free(); return "x"; } })],
    ]);

    const params = (fn) => {
      let source = Function.prototype.toString.call(fn);
      if (source.startsWith("class")) source = source.slice(source.indexOf("constructor("));
      const list = source.slice(source.indexOf("(") + 1, source.indexOf(")"));
      return list.split(",").map((p) => p.trim().split("=")[0].trim()).filter(Boolean);
    };
    const named = (obj) => Object.getOwnPropertyNames(obj).filter((n) => typeof Object.getOwnPropertyDescriptor(obj, n).value === "function" && !NOT_API(n));

    // The API, read from itself.
    const targets = [];
    const proto = Threadyard.prototype;
    for (const name of named(proto).filter((n) => n !== "constructor")) {
      targets.push({ name: `Threadyard.prototype.${name}`, params: params(proto[name]), call: (victim, args) => proto[name].apply(victim, args) });
    }
    targets.push({ name: "new Threadyard", params: params(Threadyard), call: (_victim, args) => new Threadyard(...args) });
    for (const name of named(Threadyard).filter((n) => !["length", "name", "prototype"].includes(n))) {
      targets.push({ name: `Threadyard.${name}`, params: params(Threadyard[name]), call: (_victim, args) => Threadyard[name](...args) });
    }
    for (const name of Object.keys(window.ty).filter((n) => !NOT_API(n) && n !== "Threadyard" && typeof window.ty[n] === "function")) {
      targets.push({ name, params: params(window.ty[name]), call: (_victim, args) => window.ty[name](...args) });
    }

    const failures = [];
    let calls = 0;
    // A few outcomes to print, so a reader sees what the calls answered.
    const samples = [];
    const SAMPLES = new Set([
      "Threadyard.prototype.pause id 7",
      "Threadyard.prototype.setSpeed speed a BigInt",
      "Threadyard.prototype.setSpeed speed a valueOf that frees the manager",
      "Threadyard.prototype.send message a cyclic object",
      "Threadyard.prototype.send message an object 10,000 deep",
      "Threadyard.prototype.send message a 10 MB string",
      "Threadyard.prototype.spawn workload a getter that frees the manager",
      "Threadyard.prototype.spawn workload a Proxy whose traps throw",
      "Threadyard.prototype.events since NaN",
      "new Threadyard options NaN inside",
      "initThreadPool threads a Symbol",
    ]);
    const settle = (promise, ms) =>
      Promise.race([
        promise.then((value) => ({ resolved: value }), (error) => ({ rejected: error })),
        new Promise((ok) => setTimeout(() => ok({ pending: true }), ms)),
      ]);
    const describeError = (e) => (e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : `a thrown ${typeof e}`);
    const typed = (e) => e instanceof Error && TYPED.has(e.name);
    const ticks = () => new Promise((ok) => setTimeout(ok, 0));

    /** A fresh manager spawns a worker, snapshots it and shuts down. */
    async function alive() {
      const y = new Threadyard({ mailboxCapacity: 4 });
      try {
        y.spawn("probe", { kind: "data-processor", item_ms: 1 });
        const workers = y.snapshot().workers;
        if (workers.length !== 1 || workers[0].id !== "probe") return `the probe's snapshot is ${JSON.stringify(workers)}`;
        const report = await y.shutdown(10_000);
        if (!report.clean.includes("probe")) return `the probe did not stop cleanly: ${JSON.stringify(report)}`;
        return null;
      } finally {
        y.free();
      }
    }

    for (const target of targets) {
      const arity = Math.max(target.params.length, 1);
      for (let position = 0; position < arity; position++) {
        const param = target.params[position] ?? `argument ${position}`;
        for (const [label, make] of CORPUS) {
          const victim = new Threadyard({ mailboxCapacity: 4 });
          victim.spawn("w", { kind: "data-processor", item_ms: 1 });
          const value = make(victim);
          const args = target.params.map((p) => (VALID[p] ?? (() => undefined))());
          args[position] = value;
          const where = `${target.name}(${param} = ${label})`;
          calls++;
          let outcome;
          try {
            outcome = { returned: target.call(victim, args) };
          } catch (error) {
            outcome = { threw: error };
          }
          // Handled at once, so a rejection is never unhandled; looked at
          // once the manager is shut down (which ends every wait).
          const settled = outcome.returned instanceof Promise ? settle(outcome.returned, 30_000) : null;
          const seen = "threw" in outcome ? describeError(outcome.threw) : `returned ${outcome.returned instanceof Promise ? "a Promise" : typeof outcome.returned}`;
          if (SAMPLES.has(`${target.name} ${param} ${label}`)) samples.push(`${where} -> ${seen}`);
          if ("threw" in outcome && !typed(outcome.threw)) failures.push(`${where} threw ${describeError(outcome.threw)}`);
          await ticks(); // the page answers
          // Settle the victim: shut it down (its workers end), then free it.
          let freed = false;
          try {
            await victim.shutdown(10_000);
          } catch (error) {
            freed = true; // freed during the call: its methods now throw
            if (!(error instanceof Error)) failures.push(`${where}: after a free(), a call threw ${describeError(error)}`);
          }
          try {
            victim.free();
          } catch {}
          const returned = outcome.returned;
          if (settled) {
            const end = await settled;
            if ("rejected" in end && !typed(end.rejected)) failures.push(`${where} rejected with ${describeError(end.rejected)}`);
          } else if (returned instanceof Threadyard) {
            try {
              await returned.shutdown(10_000);
              returned.free();
            } catch (error) {
              failures.push(`${where}: the manager it made could not shut down: ${describeError(error)}`);
            }
          }
          const dead = await alive().catch((error) => `the probe threw ${describeError(error)}`);
          if (dead) {
            failures.push(`${where}: the module is not alive afterwards: ${dead}${freed ? " (the manager was freed during the call)" : ""}`);
            return { calls, targets: targets.map((t) => t.name), failures, samples, stoppedEarly: true };
          }
        }
      }
    }
    return { calls, targets: targets.map((t) => `${t.name}(${t.params.join(", ")})`), failures, samples };
  });
  console.log(`${result.calls} hostile calls over ${result.targets.length} entry points: ${result.targets.join("; ")}`);
  for (const sample of result.samples) console.log(`  ${sample}`);
  assert.deepEqual(result.failures, [], "every call threw a typed error or did what the docs say, and the module lived");
  assert.ok(result.targets.some((n) => n.startsWith("Threadyard.prototype.spawn(")), "the method list was read from the API");
  assert.ok(result.targets.some((n) => n.startsWith("initThreadPool(")), "module exports are covered");
  assert.ok(result.calls > 1000, `${result.calls} calls`);
  assert.deepEqual(problems, [], "no page errors");
});

test("NaN and Infinity are refused wherever a number is read; the smaller promises hold", async (t) => {
  const { page, problems } = await open(t);
  const result = await page.evaluate(async () => {
    const { Threadyard, initThreadPool } = window.ty;
    const nameOf = (f) => {
      try {
        const r = f();
        return r instanceof Threadyard ? (r.free(), "ok") : "ok";
      } catch (e) {
        return e.name;
      }
    };
    const y = new Threadyard();
    const flaky = { kind: "flaky", item_ms: 1, fail_every: 2 };
    const out = {
      speedNaN: nameOf(() => new Threadyard({ speed: NaN })),
      mailboxNaN: nameOf(() => new Threadyard({ mailboxCapacity: NaN })),
      eventsInfinity: nameOf(() => new Threadyard({ eventCapacity: Infinity })),
      maxRestartsNaN: nameOf(() => y.spawn("a", flaky, { maxRestarts: NaN })),
      windowInfinity: nameOf(() => y.spawn("b", flaky, { maxRestarts: 1, restartWindowMs: Infinity })),
      setSpeedNaN: nameOf(() => y.setSpeed(NaN)),
      setSpeedBigInt: nameOf(() => y.setSpeed(2n)),
      shutdownNaN: nameOf(() => y.shutdown(NaN)),
      eventsNaN: nameOf(() => y.events(NaN)),
      eventsNegative: nameOf(() => y.events(-1)),
      joinInfinity: nameOf(() => y.join("a", Infinity)),
      idNumber: nameOf(() => y.pause(7)),
      idObject: nameOf(() => y.spawn({}, flaky)),
      speedAfter: y.speed(),
    };
    try {
      y.spawn("c", { kind: "data-processor", item_ms: NaN });
    } catch (e) {
      out.itemNaN = `${e.name}: ${e.message}`;
    }
    // A second initThreadPool says what happened.
    out.secondPool = await initThreadPool(4).then(
      () => "resolved",
      (e) => `${e.name}: ${e.message}`,
    );
    out.poolBigInt = nameOf(() => initThreadPool(4n));
    // The flaky workload's panic message counts in plain English.
    y.spawn("f", flaky);
    out.flakyEnd = await y.join("f", 10_000);
    out.flakyError = y.snapshot().workers.find((w) => w.id === "f").last_error;
    // A 65,536-character message is the most accepted; the error a worker
    // keeps from quoting it is capped.
    y.spawn("d", { kind: "data-processor", item_ms: 60_000 });
    out.hugeMessage = nameOf(() => y.send("d", "x".repeat(65_537)));
    y.send("d", "x".repeat(65_536));
    y.send("d", "shutdown");
    await y.join("d", 10_000);
    out.keptErrorLength = y.snapshot().workers.find((w) => w.id === "d").last_error.length;
    // events come a page at a time, with a cursor.
    let cursor = 0, pages = 0, seen = 0;
    for (;;) {
      const page = y.events(cursor);
      seen += page.events.length;
      pages++;
      cursor = page.next;
      if (!page.more) break;
    }
    out.eventsRead = seen > 0 && pages >= 1;
    // trace() is a Promise of the JSON text.
    const trace = y.trace();
    out.traceIsPromise = trace instanceof Promise;
    // A worker's waits go on a track of their own ("f: waits"): counted apart.
    out.traceTracks = JSON.parse(await trace).traceEvents.filter((e) => e.name === "thread_name" && !e.args.name.endsWith(": waits")).length;
    // changed() settles after shutdown.
    await y.shutdown(10_000);
    out.changedAfterShutdown = await Promise.race([y.changed().then(() => "settled"), new Promise((ok) => setTimeout(() => ok("pending"), 10_000))]);
    y.free();
    return out;
  });
  assert.equal(result.speedNaN, "OptionsError");
  assert.equal(result.mailboxNaN, "OptionsError");
  assert.equal(result.eventsInfinity, "OptionsError");
  assert.equal(result.maxRestartsNaN, "OptionsError");
  assert.equal(result.windowInfinity, "OptionsError");
  assert.equal(result.setSpeedNaN, "OptionsError");
  assert.equal(result.setSpeedBigInt, "OptionsError");
  assert.equal(result.shutdownNaN, "OptionsError");
  assert.equal(result.eventsNaN, "OptionsError");
  assert.equal(result.eventsNegative, "OptionsError");
  assert.equal(result.joinInfinity, "OptionsError");
  assert.equal(result.idNumber, "ArgumentError");
  assert.equal(result.idObject, "ArgumentError");
  assert.equal(result.speedAfter, 1, "a refused speed changes nothing");
  assert.match(result.itemNaN, /^WorkloadError: .*item_ms is NaN/);
  assert.match(result.secondPool, /^PoolError: .*already started, with 4 threads/);
  assert.equal(result.poolBigInt, "OptionsError");
  assert.equal(result.flakyEnd, "failed");
  assert.match(result.flakyError, /panics on every 2nd item/);
  assert.equal(result.hugeMessage, "SendError");
  assert.ok(result.keptErrorLength < 1100, `the kept error is ${result.keptErrorLength} characters`);
  assert.equal(result.eventsRead, true);
  assert.equal(result.traceIsPromise, true);
  assert.equal(result.traceTracks, 1 + 2, "the manager, f and d (refused spawns leave no track)");
  assert.equal(result.changedAfterShutdown, "settled");
  assert.deepEqual(problems, []);
});
