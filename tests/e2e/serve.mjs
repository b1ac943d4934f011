// A static server for dist/, with or without the cross-origin isolation
// headers, on a free loopback port. Used by the e2e tests (and by hand:
// `node tests/e2e/serve.mjs dist [--no-isolation]`).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
};

// `pages` adds pages that are not in `root` (path -> HTML), such as the
// blank page the API tests load the threads module into.
export function serve(root, { isolation = true, port = 0, pages = {} } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (Object.hasOwn(pages, path)) {
      const headers = { "Content-Type": TYPES[".html"], "Cache-Control": "no-store" };
      if (isolation) {
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      }
      res.writeHead(200, headers).end(pages[path]);
      return;
    }
    const file = normalize(join(base, path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      const headers = { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" };
      if (isolation) {
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      }
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((ok) =>
    server.listen(port, "127.0.0.1", () => ok({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() })),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? "dist";
  const isolation = !process.argv.includes("--no-isolation");
  const { url } = await serve(root, { isolation, port: Number(process.env.PORT ?? 0) });
  console.log(`serving ${root} at ${url} (${isolation ? "with" : "without"} COOP/COEP)`);
}
