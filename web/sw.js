// The service worker: after one visit, the app starts and works with the network off.
// - Install: store every file the app loads (the list and their sha256 are written at build time
//   into precache.js), each checked against its hash, in a cache named after the build, so a new
//   build fills a new cache. Each byte is downloaded once: the page's own files come from the
//   browser's HTTP cache (the page has just loaded them); the engine's files ("later" in the
//   list) are waited for until the page says its engine worker is ready and has handed over what
//   it downloaded (a staging cache the worker fills, web/worker.js), then taken from there. Only
//   what is still missing (the icons, the manifest) comes from the network: bodiless same-origin
//   GETs of the app's own files, and for the page's files before the engine is even ready.
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

const { version: VERSION, files: FILES, later: LATER = [] } = self.LOCALPIX_PRECACHE;
const SCOPE = new URL("./", self.location.href);
// One cache per build, per place the app is served from (two copies on one origin don't clash).
const CACHE_PREFIX = `localpix ${SCOPE.pathname} `;
const CACHE = CACHE_PREFIX + VERSION;
// What the engine worker downloaded on this visit (web/worker.js writes it; same name there).
const STAGING = `localpix-fetched ${SCOPE.pathname}`;
// How long install waits for the engine's hand-over before downloading the rest itself.
const ENGINE_WAIT_MS = 180_000;
const PATHS = new Map(Object.keys(FILES).map((path) => [new URL(path, SCOPE).href, path]));
const INDEX = new URL("index.html", SCOPE).href;
const LATER_URLS = new Set(LATER.map((path) => new URL(path, SCOPE).href));

let engineStored;
const engineStoredSignal = new Promise((resolve) => { engineStored = resolve; });
let installing = false;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

const FETCH = { credentials: "same-origin", redirect: "error" };

async function precacheOne(cache, staging, url, path) {
  if (await cache.match(url)) return; // kept from an interrupted install of this same build
  // Where this file may already be on this device, then the network. A copy that does not
  // match this build's hash (an older build in the HTTP cache) is passed over.
  const sources = [
    () => staging && staging.match(url),
    () => fetch(url, { ...FETCH, cache: "force-cache" }),
    () => fetch(url, { ...FETCH, cache: "no-cache" }),
  ];
  // The page was loaded as the scope's URL, not as index.html: that is the copy in the HTTP cache.
  if (url === INDEX) sources.splice(1, 0, () => fetch(SCOPE.href, { ...FETCH, cache: "only-if-cached", mode: "same-origin" }));
  let digest = "";
  for (const source of sources) {
    const response = await Promise.resolve().then(source).catch(() => null);
    if (!response || !response.ok) continue;
    digest = hex(await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer()));
    if (digest === FILES[path]) {
      // Stored as plain bytes with its type: the body is decoded already, whatever encoding it came in.
      const type = response.headers.get("Content-Type");
      await cache.put(url, new Response(await response.blob(), { headers: type ? { "Content-Type": type } : {} }));
      return;
    }
  }
  // The server already has another build: install nothing rather than a mix of two builds.
  throw new Error(`precache ${path}: sha256 ${digest || "(no response)"}, this build expects ${FILES[path]}`);
}

async function precache() {
  installing = true;
  try {
    const cache = await caches.open(CACHE);
    const now = [...PATHS].filter(([url]) => !LATER_URLS.has(url));
    const later = [...PATHS].filter(([url]) => LATER_URLS.has(url));
    await Promise.all(now.map(([url, path]) => precacheOne(cache, null, url, path)));
    // A page of ours is open: its engine worker is downloading the engine right now (its staging
    // cache may not even exist yet): wait for it to say so (never forever) rather than download
    // the same files alongside it. It says so after every start, staged or not (offline.js).
    if ((await self.clients.matchAll({ includeUncontrolled: true, type: "window" })).length) {
      await Promise.race([engineStoredSignal, new Promise((resolve) => setTimeout(resolve, ENGINE_WAIT_MS))]);
    }
    const staging = (await caches.has(STAGING)) ? await caches.open(STAGING) : null;
    const from = performance.now();
    await Promise.all(later.map(([url, path]) => precacheOne(cache, staging, url, path)));
    await reportDownloads(from);
  } finally {
    installing = false;
    await caches.delete(STAGING);
  }
}

/** What this service worker downloaded since `from` (its own Resource Timing: the browser's
 *  HTTP cache and the staging cache cost nothing), told to our pages: after the engine is ready
 *  these are the offline copy's files the engine never needed (the decoders), and the network
 *  meter shows them apart (web/meter.js). */
async function reportDownloads(from) {
  let requests = 0;
  let bytes = 0;
  for (const entry of performance.getEntriesByType("resource")) {
    if (entry.startTime >= from && entry.transferSize > 0) {
      requests += 1;
      bytes += entry.transferSize;
    }
  }
  if (!requests) return;
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
    client.postMessage({ type: "offline-copy-downloaded", requests, bytes });
  }
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
  if (message.type === "engine-files-stored") {
    // The page's engine is ready and its downloads are in the staging cache; with no install
    // here to use them, they are of no more use.
    engineStored();
    if (!installing) event.waitUntil(caches.delete(STAGING));
  } else if (message.type === "status") {
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
