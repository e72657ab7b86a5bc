// The service worker: after one visit, the app starts and works with the network off.
// - Install: fetch every file the app loads (the list and their sha256 are written at build time
//   into precache.js), check each against its hash, and store them in a cache named after the
//   build, so a new build fills a new cache.
// - Activate: delete this app's older caches; take control of open pages.
// - Fetch: precached URLs come from the cache (cache-first); anything else is not touched, never
//   cached, and a request to another origin is never made here (the page's CSP refuses those).
// - Updates: a new build waits, as usual, until no page uses the old one; offline.js asks for it
//   to take over at the start of a visit when that page is the only one open (then reloads once).
"use strict";

// Trusted Types (the CSP sent with sw.js): the one script this worker imports, by name.
const SCRIPTS = self.trustedTypes ? self.trustedTypes.createPolicy("localpix", {
  createScriptURL(url) {
    if (url === "precache.js") return url;
    throw new TypeError(`localpix: refused to import ${url}`);
  },
}) : { createScriptURL: (url) => url };
importScripts(SCRIPTS.createScriptURL("precache.js")); // self.LOCALPIX_PRECACHE = {version, files: {path: sha256 hex}}

const { version: VERSION, files: FILES } = self.LOCALPIX_PRECACHE;
const SCOPE = new URL("./", self.location.href);
// One cache per build, per place the app is served from (two copies on one origin don't clash).
const CACHE_PREFIX = `localpix ${SCOPE.pathname} `;
const CACHE = CACHE_PREFIX + VERSION;
const PATHS = new Map(Object.keys(FILES).map((path) => [new URL(path, SCOPE).href, path]));
const INDEX = new URL("index.html", SCOPE).href;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function precacheOne(cache, url, path) {
  if (await cache.match(url)) return; // kept from an interrupted install of this same build
  const response = await fetch(url, { cache: "no-cache", credentials: "same-origin", redirect: "error" });
  if (!response.ok) throw new Error(`precache ${path}: HTTP ${response.status}`);
  const digest = hex(await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer()));
  if (digest !== FILES[path]) {
    // The server already has another build: install nothing rather than a mix of two builds.
    throw new Error(`precache ${path}: sha256 ${digest}, this build expects ${FILES[path]}`);
  }
  await cache.put(url, response);
}

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all([...PATHS].map(([url, path]) => precacheOne(cache, url, path)));
}

async function complete() {
  const cache = await caches.open(CACHE);
  const cached = await cache.keys();
  const have = new Set(cached.map((request) => request.url));
  return [...PATHS.keys()].every((url) => have.has(url));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function cacheKey(request) {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin) return null;
  url.search = "";
  url.hash = "";
  if (request.mode === "navigate" && url.href === SCOPE.href) return INDEX;
  return PATHS.has(url.href) ? url.href : null;
}

self.addEventListener("fetch", (event) => {
  const key = cacheKey(event.request);
  if (key === null) return; // not ours: the browser's normal handling, nothing cached
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // Missing only if the browser evicted it; then the network, still without caching.
    return (await cache.match(key)) || fetch(event.request);
  })());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const reply = (data) => event.ports[0] && event.ports[0].postMessage(data);
  if (message.type === "status") {
    complete().then((ok) => reply({ version: VERSION, complete: ok, files: PATHS.size }),
                    (error) => reply({ version: VERSION, complete: false, error: String(error) }));
  } else if (message.type === "claim") {
    // A page loaded without us (e.g. a hard reload) asks to be served from the cache from now on.
    event.waitUntil(self.clients.claim().then(() => reply({ claimed: true })));
  } else if (message.type === "take-over-if-alone") {
    // A waiting worker controls no page yet: count every open page of this origin.
    event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const alone = windows.length <= 1;
      if (alone) self.skipWaiting();
      reply({ takingOver: alone });
    }));
  }
});
