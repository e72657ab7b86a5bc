// The engine worker pool: N Pyodide workers (web/worker.js), started lazily, each processing one
// file at a time. Only this file creates workers, and only through localpix.createWorker() (or
// adopts the first one, which web/boot.js started before the page was parsed).
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  // The single-file build replaces this one function; nothing else may call `new Worker`.
  if (!lp.createWorker) {
    lp.createWorker = function createWorker() {
      return new Worker(lp.scriptURL("worker.js"));
    };
  }

  const MB_PER_WORKER = 150;
  const MAX_RESTARTS = 8; // replacements after crashes, before we stop trying

  /** ?workers=N from the page's query string, or null. */
  lp.forcedPoolSize = function forcedPoolSize(search) {
    const forced = new URLSearchParams(search || "").get("workers");
    return forced !== null && /^\d+$/.test(forced) ? Math.max(1, Math.min(16, Number(forced))) : null;
  };

  /** How many workers this device should run: ?workers=N forces it; else cores and memory. */
  lp.poolSize = function poolSize(search) {
    const forced = lp.forcedPoolSize(search);
    if (forced !== null) return forced;
    const cores = navigator.hardwareConcurrency || 2;
    let size = Math.min(cores, 4);
    if (navigator.deviceMemory) {
      // Give the engines at most a quarter of the device's memory (deviceMemory is in GB).
      size = Math.min(size, Math.floor((navigator.deviceMemory * 1024) / 4 / MB_PER_WORKER));
    }
    return Math.max(1, size);
  };

  /**
   * new Pool(size, handlers, {eager}). Without eager (the default pool), a worker is added only
   * when the work still queued would take longer than starting one: a new engine costs seconds
   * of CPU that the running ones would otherwise use (on 2 cores, starting a second worker makes
   * a batch of small photos slower). eager (?workers=N): grow to N as soon as files wait.
   * handlers: onState(state, text) — "loading" | "ready" | "error";
   * onStart(job, workerNo); onResult(job, message); onNet(); onWorkers(); onPrepared() —
   * the first engine has imported what every job uses (its phases.prepared).
   * A job is any object with {id, file, name, request}; the pool adds nothing to it.
   */
  function addNet(total, net) {
    total.requests += net.requests;
    total.bytes += net.bytes;
    for (const apart of ["decoders", "codecs"]) { // the app's files loaded on first use
      if (!net[apart]) continue;
      total[apart].requests += net[apart].requests;
      total[apart].bytes += net[apart].bytes;
    }
  }

  function Pool(size, handlers, options) {
    this.size = size;
    this.eager = Boolean(options && options.eager);
    this.avgMs = null; // moving average of one file's processing time
    this.handlers = handlers;
    this.workers = [];
    this.queue = [];
    this.nextNo = 1;
    this.restarts = 0;
    this.peakHeap = 0; // the largest wasm heap any of its engines reported (worker.js `heap`)
    this.retiredNet = { requests: 0, bytes: 0, decoders: { requests: 0, bytes: 0 },
                       codecs: { requests: 0, bytes: 0 } };
    this.everReady = false;
    this.lastStatus = "Preparing the compressor…";
    this.progress = null; // the first engine's download: {received, total} bytes
  }

  Pool.prototype.start = function start() {
    if (!this.alive().length) this.spawn();
  };

  Pool.prototype.alive = function alive() {
    return this.workers.filter((w) => w.state !== "dead");
  };

  Pool.prototype.counts = function counts() {
    const c = { starting: 0, idle: 0, busy: 0 };
    for (const w of this.workers) if (w.state in c) c[w.state] += 1;
    return c;
  };

  /** What the engine workers fetched since ready (worker.js `net`), retired ones included. */
  Pool.prototype.net = function net() {
    const total = { requests: 0, bytes: 0, decoders: { requests: 0, bytes: 0 },
                    codecs: { requests: 0, bytes: 0 } };
    for (const net of [this.retiredNet, ...this.alive().map((w) => w.net)]) addNet(total, net);
    return total;
  };

  Pool.prototype.spawn = function spawn() {
    const slot = { no: this.nextNo++, state: "starting", job: null, net: { requests: 0, bytes: 0 } };
    if (lp.meter) lp.meter.engineStarted();
    const early = lp.takeEarlyWorker ? lp.takeEarlyWorker() : null;
    slot.worker = early ? early.worker : lp.createWorker();
    const onError = (event) => {
      event.preventDefault();
      this.onCrash(slot, event.message || "the worker stopped");
    };
    slot.worker.onmessage = (event) => this.onMessage(slot, event.data);
    slot.worker.onerror = onError;
    this.workers.push(slot);
    this.updateState();
    if (early) {
      for (const [kind, event] of early.events) {
        if (kind === "message") this.onMessage(slot, event.data);
        else onError(event);
      }
    }
    return slot;
  };

  Pool.prototype.retire = function retire(slot) {
    if (slot.state === "dead") return;
    slot.state = "dead";
    addNet(this.retiredNet, slot.net);
    slot.worker.terminate();
  };

  Pool.prototype.onMessage = function onMessage(slot, message) {
    if (slot.state === "dead") return;
    if (message.net) slot.net = message.net;
    if (message.heap) {
      slot.heap = message.heap;
      this.peakHeap = Math.max(this.peakHeap, message.heap);
    }
    if (message.type === "status") {
      this.lastStatus = message.text;
      this.updateState();
    } else if (message.type === "ready") {
      slot.state = "idle";
      slot.readyMs = message.ms;
      if (this.everReady && lp.meter) lp.meter.engineReady(message.startup);
      this.versions = message.versions;
      if (!this.everReady) {
        this.everReady = true;
        this.firstReadyMs = message.ms;
        this.firstPhases = message.phases || {};
        slot.first = true;
      }
      this.updateState();
      this.pump();
    } else if (message.type === "prepared") {
      if (slot.first) {
        this.firstPhases.prepared = message.ms;
        this.handlers.onPrepared();
      }
    } else if (message.type === "progress") {
      if (!this.everReady) {
        this.progress = { received: message.received, total: message.total };
        this.updateState();
      }
    } else if (message.type === "stored") {
      // The offline copy (web/offline.js → sw.js) may now take the engine's files from here.
      if (lp.offline) lp.offline.engineFilesStored();
    } else if (message.type === "failed") {
      if (lp.offline) lp.offline.engineFilesStored(); // whatever was staged is all there will be
      this.retire(slot);
      this.lastError = message.error;
      this.updateState();
    } else if (message.type === "net") {
      this.handlers.onNet();
    } else if (message.type === "result") {
      const job = slot.job;
      slot.job = null;
      // An engine's first file is slow (Python imports, caches): it says little about the rest.
      if (typeof message.ms === "number" && (slot.timed = (slot.timed || 0) + 1) > 1) {
        this.avgMs = this.avgMs === null ? message.ms : 0.7 * this.avgMs + 0.3 * message.ms;
      }
      if (message.fatal) {
        this.retire(slot);
        this.replace();
      } else {
        slot.state = "idle";
      }
      if (job) this.handlers.onResult(job, message);
      this.handlers.onNet();
      this.updateState();
      this.pump();
    }
  };

  Pool.prototype.onCrash = function onCrash(slot, text) {
    const job = slot.job;
    const wasStarting = slot.state === "starting";
    slot.job = null;
    this.retire(slot);
    if (job) {
      this.handlers.onResult(job, {
        response: { ok: false, kind: "EngineCrashed",
                    error: "The image engine stopped while working on this file. It has been restarted." },
        bytes: null,
      });
    }
    if (wasStarting) this.lastError = text;
    else this.replace();
    this.updateState();
    this.pump();
  };

  /** A fresh worker for one that crashed or was stopped, so the page stays usable. */
  Pool.prototype.replace = function replace() {
    if (this.restarts >= MAX_RESTARTS || this.alive().length >= this.size) return;
    this.restarts += 1;
    this.spawn();
  };

  /** Queue jobs; first: ahead of those waiting (the preview the user is looking at). */
  Pool.prototype.enqueue = function enqueue(jobs, first) {
    if (first) this.queue.unshift(...jobs);
    else this.queue.push(...jobs);
    this.pump();
  };

  /** Take the queued jobs that `test` picks out of the queue; returns them. */
  Pool.prototype.unqueue = function unqueue(test) {
    const taken = this.queue.filter(test);
    if (taken.length) this.queue = this.queue.filter((job) => !test(job));
    return taken;
  };

  Pool.prototype.pump = function pump() {
    for (const slot of this.workers) {
      if (!this.queue.length) break;
      if (slot.state === "idle") this.dispatch(slot, this.queue.shift());
    }
    // Grow lazily, at most one more worker per waiting file, up to the pool size.
    const c = this.counts();
    let wanted = Math.min(this.size - this.alive().length, this.queue.length - c.starting);
    if (this.lastError && !this.everReady) wanted = 0; // the engine cannot start here at all
    if (!this.eager) wanted = Math.min(wanted, this.worthStarting(c));
    while (wanted-- > 0) this.spawn();
    this.handlers.onWorkers();
  };

  /** How many more workers pay for their start-up, judging by the work still queued. */
  Pool.prototype.worthStarting = function worthStarting(c) {
    const ready = c.idle + c.busy;
    // Until an engine is up and has timed a file (after its first), there is nothing to judge by.
    if (!ready || this.avgMs === null || !this.firstReadyMs) return 0;
    let extra = 0;
    let capacity = ready + c.starting;
    // Worth it while the queue would keep the workers busy for longer than a start-up takes.
    while ((this.queue.length * this.avgMs) / capacity > 1.5 * this.firstReadyMs) {
      extra += 1;
      capacity += 1;
    }
    return extra;
  };

  Pool.prototype.dispatch = async function dispatch(slot, job) {
    slot.state = "busy";
    slot.job = job;
    this.handlers.onStart(job, slot.no);
    let bytes;
    try {
      bytes = await job.file.arrayBuffer(); // read only now: at most N inputs in memory
    } catch (error) {
      slot.job = null;
      if (slot.state === "busy") slot.state = "idle";
      this.handlers.onResult(job, {
        response: { ok: false, kind: "ReadError",
                    error: "The browser could not read this file (moved, deleted or not allowed?)." },
        bytes: null,
      });
      this.pump();
      return;
    }
    if (slot.job !== job || slot.state === "dead") return; // stopped meanwhile
    slot.worker.postMessage(
      { type: "process", id: job.id, name: job.name, bytes, request: job.request }, [bytes]);
  };

  /** Drop every queued job; returns them. Running jobs go on. */
  Pool.prototype.dropQueued = function dropQueued() {
    const dropped = this.queue;
    this.queue = [];
    this.handlers.onWorkers();
    return dropped;
  };

  /** Stop running jobs now: their workers are terminated and replaced. Returns the jobs. */
  Pool.prototype.stopRunning = function stopRunning() {
    const stopped = [];
    for (const slot of this.workers) {
      if (slot.state === "busy") {
        if (slot.job) stopped.push(slot.job);
        slot.job = null;
        this.retire(slot);
      }
    }
    if (stopped.length && !this.alive().length) this.spawn();
    this.updateState();
    this.handlers.onWorkers();
    return stopped;
  };

  Pool.prototype.running = function running() {
    return this.workers.filter((w) => w.state === "busy" && w.job).map((w) => w.job);
  };

  Pool.prototype.updateState = function updateState() {
    const c = this.counts();
    const ready = c.idle + c.busy;
    if (ready > 0) {
      this.handlers.onState("ready", ready);
    } else if (c.starting > 0) {
      this.handlers.onState("loading", this.everReady ? "Restarting the compressor…" : this.lastStatus);
    } else {
      this.handlers.onState("error", this.lastError || "the engine stopped");
    }
  };

  lp.Pool = Pool;
})(window.localpix);
