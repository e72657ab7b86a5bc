// Settings: the form in index.html <-> a plain object <-> localStorage <-> an engine request.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  const KEY = "localpix.settings.v1";
  // The engine's own defaults and ranges, generated from py/localpix/options.py (dist/facts.js):
  // private metadata removed; orientation and colour profile kept, since neither says anything
  // about you and both change how the photo looks.
  const facts = lp.facts;
  const QUALITY = facts.options.quality;
  const DEFAULTS = Object.freeze({
    mode: "compress", // or "clean": strip metadata only, lossless
    format: "keep", // keep | one of facts.output_formats
    // auto: per photo, the smallest JPEG/WebP whose SSIMULACRA2 score stays at qualityTarget.
    // One quality number means different things for different photos and formats; a score doesn't.
    sizeMode: "auto", // auto | quality | target
    qualityTarget: facts.default_quality_target,
    quality: QUALITY.default,
    targetKB: 500,
    maxWidth: "",
    maxHeight: "",
    keep: Object.freeze(Object.fromEntries(facts.keep.map((k) => [k.name, k.default]))),
    suffix: "", // added to each result's file name before the extension ("-clean")
  });
  // SSIMULACRA2 scores (100 = identical) -> [label, meaning].
  const QUALITY_TARGETS = Object.freeze(Object.fromEntries(
    facts.quality_targets.map((t) => [t.score, [t.label, t.meaning]])));
  // Each keep choice's checkbox: keep-orientation, keep-color-profile, ...
  const KEEP_IDS = Object.fromEntries(facts.keep.map((k) => [k.name, `keep-${k.name.replaceAll("_", "-")}`]));

  function clone(settings) {
    return { ...settings, keep: { ...settings.keep } };
  }

  function positiveInt(value) {
    const n = Number(value);
    return value !== "" && value !== null && Number.isInteger(n) && n > 0 ? n : "";
  }

  /** A file-name suffix without path separators or control characters (it ends up in names). */
  function cleanSuffix(value) {
    return typeof value === "string" ? value.replace(/[\\/:*?"<>|\u0000-\u001f]/g, "").slice(0, 40) : "";
  }

  /** Any stored or hand-made object -> valid settings (unknown or bad values take defaults). */
  function normalize(raw) {
    const s = clone(DEFAULTS);
    if (!raw || typeof raw !== "object") return s;
    if (raw.mode === "clean" || raw.mode === "compress") s.mode = raw.mode;
    if (raw.format === "keep" || facts.output_formats.includes(raw.format)) s.format = raw.format;
    if (["auto", "quality", "target"].includes(raw.sizeMode)) s.sizeMode = raw.sizeMode;
    if (Object.hasOwn(QUALITY_TARGETS, String(raw.qualityTarget))) s.qualityTarget = Number(raw.qualityTarget);
    const q = Number(raw.quality);
    if (Number.isInteger(q) && q >= QUALITY.min && q <= QUALITY.max) s.quality = q;
    if (positiveInt(raw.targetKB)) s.targetKB = positiveInt(raw.targetKB);
    s.maxWidth = positiveInt(raw.maxWidth);
    s.maxHeight = positiveInt(raw.maxHeight);
    s.suffix = cleanSuffix(raw.suffix);
    if (raw.keep && typeof raw.keep === "object") {
      for (const name of Object.keys(KEEP_IDS)) {
        if (typeof raw.keep[name] === "boolean") s.keep[name] = raw.keep[name];
      }
    }
    return s;
  }

  function load() {
    try {
      const text = window.localStorage.getItem(KEY);
      return normalize(text ? JSON.parse(text) : null);
    } catch {
      return clone(DEFAULTS); // storage blocked (private mode, file://) or corrupt
    }
  }

  function save(settings) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(settings));
    } catch {
      // Not fatal: the settings just won't survive a reload.
    }
  }

  function clear() {
    try {
      window.localStorage.removeItem(KEY);
    } catch {
      // ignore
    }
  }

  /** Settings -> the bridge's {mode, options}. */
  function toRequest(s) {
    const keep = { ...s.keep };
    if (s.mode === "clean") return { mode: "clean", options: { keep } };
    const options = { keep };
    if (s.format !== "keep") options.format = s.format;
    if (s.sizeMode === "target") options.target_size = Math.round(s.targetKB * facts.units.KB);
    else if (s.sizeMode === "auto") options.quality_target = s.qualityTarget;
    else options.quality = s.quality;
    if (s.maxWidth) options.max_width = s.maxWidth;
    if (s.maxHeight) options.max_height = s.maxHeight;
    return { mode: "compress", options };
  }

  function formatLabel(name) {
    return facts.output_labels[name] || facts.formats.find((f) => f.name === name).label;
  }

  /** One line for the UI: what the current settings will do. */
  function describe(s) {
    if (s.mode === "clean") return "Strip metadata only: pixels untouched, no quality loss.";
    const parts = [];
    parts.push(s.format === "keep" ? "same format" : formatLabel(s.format));
    if (s.sizeMode === "target") parts.push(`at most ${s.targetKB} KB`);
    else if (s.sizeMode === "auto") parts.push(`automatic quality: ${QUALITY_TARGETS[s.qualityTarget][0].toLowerCase()}`);
    else parts.push(`quality ${s.quality}`);
    if (s.maxWidth || s.maxHeight) parts.push(`fit in ${s.maxWidth || "any"} × ${s.maxHeight || "any"} px`);
    return `Compress: ${parts.join(", ")}.`;
  }

  /** The result's file name with the suffix: "a.jpg" + "-clean" -> "a-clean.jpg". */
  function withSuffix(name, s) {
    const suffix = (s || current || DEFAULTS).suffix;
    if (!suffix) return name;
    const dot = name.lastIndexOf(".");
    return dot > name.lastIndexOf("/") + 1 ? name.slice(0, dot) + suffix + name.slice(dot) : name + suffix;
  }

  // ---- the form ----
  const $ = (id) => document.getElementById(id);
  // Number fields: what a bad entry says, and what is used meanwhile (never dropped silently).
  const NUMBER_FIELDS = {
    "target-kb": { key: "targetKB", what: "The target size must be a whole number of KB, 1 or more",
                   meanwhile: (s) => `${s.targetKB} KB is used until then.` },
    "max-width": { key: "maxWidth", what: "Max width must be a whole number of pixels, 1 or more",
                   meanwhile: (s) => (s.maxWidth ? `${s.maxWidth} px is used until then.` : "No max width is used until then.") },
    "max-height": { key: "maxHeight", what: "Max height must be a whole number of pixels, 1 or more",
                    meanwhile: (s) => (s.maxHeight ? `${s.maxHeight} px is used until then.` : "No max height is used until then.") },
  };
  let errors = {};

  /** Field id -> message for every number field whose entry is not valid (empty is fine for the
   *  dimensions: "any"). The previous valid value stays in `current` meanwhile. */
  function validate() {
    const found = {};
    const form = $("settings");
    const sizeByTarget = form.elements.mode.value !== "clean" && form.elements.sizemode.value === "target";
    for (const [id, field] of Object.entries(NUMBER_FIELDS)) {
      if (id === "target-kb" && !sizeByTarget) continue; // not used: nothing to complain about
      const input = $(id);
      const raw = input.value.trim();
      const bad = input.validity.badInput || (raw !== "" && positiveInt(raw) === "") ||
        (raw === "" && id === "target-kb");
      if (bad) found[id] = field.what;
    }
    const suffix = $("suffix").value;
    if (suffix !== cleanSuffix(suffix)) found.suffix = "Names can't contain / \\ : * ? \" < > | — they are left out.";
    return found;
  }

  function showErrors(found, s) {
    for (const id of [...Object.keys(NUMBER_FIELDS), "suffix"]) {
      const input = $(id);
      const box = $(`${id}-error`);
      const message = found[id];
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      box.hidden = !message;
      box.textContent = message ? (NUMBER_FIELDS[id] ? `${message}. ${NUMBER_FIELDS[id].meanwhile(s)}` : message) : "";
    }
  }

  function read() {
    const form = $("settings");
    const s = {
      mode: form.elements.mode.value || "compress",
      format: $("format").value,
      sizeMode: form.elements.sizemode.value || "auto",
      qualityTarget: Number($("quality-target").value),
      quality: Number($("quality").value),
      targetKB: $("target-kb").value,
      maxWidth: $("max-width").value,
      maxHeight: $("max-height").value,
      keep: {},
      suffix: $("suffix").value,
    };
    for (const [name, id] of Object.entries(KEEP_IDS)) s.keep[name] = $(id).checked;
    // An invalid entry keeps the last valid value (shown in its error message), not the default.
    errors = validate();
    for (const id of Object.keys(errors)) if (NUMBER_FIELDS[id]) s[NUMBER_FIELDS[id].key] = current ? current[NUMBER_FIELDS[id].key] : "";
    const result = normalize(s);
    showErrors(errors, result);
    return result;
  }

  function write(s) {
    const form = $("settings");
    form.elements.mode.value = s.mode;
    $("format").value = s.format;
    form.elements.sizemode.value = s.sizeMode;
    $("quality-target").value = String(s.qualityTarget);
    $("quality").value = String(s.quality);
    $("target-kb").value = String(s.targetKB);
    $("max-width").value = s.maxWidth === "" ? "" : String(s.maxWidth);
    $("max-height").value = s.maxHeight === "" ? "" : String(s.maxHeight);
    for (const [name, id] of Object.entries(KEEP_IDS)) $(id).checked = s.keep[name];
    $("suffix").value = s.suffix;
    errors = {};
    showErrors(errors, s);
    reflect(s);
  }

  /** Dependent controls: compress-only settings are disabled in "strip only" mode, etc. */
  function reflect(s) {
    const clean = s.mode === "clean";
    $("compress-options").disabled = clean;
    $("quality-target").disabled = clean || s.sizeMode !== "auto";
    $("quality").disabled = clean || s.sizeMode !== "quality";
    $("target-kb").disabled = clean || s.sizeMode !== "target";
    $("quality-value").textContent = String(s.quality);
    $("quality-target-meaning").textContent = QUALITY_TARGETS[s.qualityTarget][1];
    $("settings-summary").textContent = describe(s);
  }

  let current = null;
  let onChange = () => {};
  let set = () => {};

  function bind(callback) {
    onChange = callback || onChange;
    for (const name of facts.output_formats) $("format").add(new Option(formatLabel(name), name));
    const targets = $("quality-target");
    for (const [score, [label]] of Object.entries(QUALITY_TARGETS)) targets.add(new Option(`${label} (${score})`, score));
    current = load();
    write(current);
    const form = $("settings");
    const update = () => {
      current = read();
      reflect(current);
      save(current);
      onChange(current);
    };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", (event) => event.preventDefault());
    set = (changes) => {
      current = normalize({ ...current, ...changes });
      write(current);
      save(current);
      onChange(current);
    };
    $("reset-settings").addEventListener("click", () => {
      clear();
      current = clone(DEFAULTS);
      write(current);
      onChange(current);
      if (lp.announce) lp.announce("Settings reset to the defaults.");
    });
    return current;
  }

  lp.settings = {
    DEFAULTS, QUALITY_TARGETS, normalize, load, save, toRequest, describe, bind, withSuffix, formatLabel,
    /** Change some settings as if the user had (a row's suggested fix). */
    set: (changes) => set(changes),
    get current() { return current || load(); },
    /** {field id: message} for entries that are not valid now (their last valid value is used). */
    get errors() { return errors; },
  };
})(window.localpix);
