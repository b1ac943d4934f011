// threadyard's service worker: makes the page cross-origin isolated on a
// static host that cannot send headers (GitHub Pages, a plain file server).
//
// Threads in the browser need SharedArrayBuffer, which browsers only give to
// pages served with
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
// This worker answers every request of the page (the page itself, its
// scripts, its wasm, the Web Workers' scripts) from the network and adds
// those two headers. index.html registers it and reloads once when it takes
// control. Where the host already sends the headers, the page never
// registers it. It caches nothing.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Chromium throws on these outside same-origin mode; let the browser handle them.
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  event.respondWith(
    fetch(request).then((response) => {
      // Opaque (cross-origin no-cors) responses cannot be changed.
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set("Cross-Origin-Opener-Policy", "same-origin");
      headers.set("Cross-Origin-Embedder-Policy", "require-corp");
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    }),
  );
});
