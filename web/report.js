// The privacy report, in plain words, from the engine's findings (bridge response
// `before` / `after` / `removed`). Pure functions plus small DOM builders; no image work.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  // Category -> how the batch summary names it ("N of M photos carried ...").
  const CATEGORY_PHRASES = {
    location: "a GPS location",
    device: "camera or device details (make, model, serial, owner, software)",
    time: "dates and times",
    thumbnail: "a hidden thumbnail or preview",
    xmp: "XMP metadata",
    iptc: "IPTC or Photoshop data",
    comment: "comments or descriptions",
    text: "text chunks",
    trailer: "hidden data after the image",
    other: "maker notes or other metadata blocks",
    copyright: "a copyright notice",
    color_profile: "a colour profile",
    orientation: "an orientation tag",
  };
  // Short names for one row's summary line.
  const CATEGORY_SHORT = {
    location: "location",
    device: "camera details",
    time: "dates",
    thumbnail: "thumbnail",
    xmp: "XMP",
    iptc: "IPTC",
    comment: "comments",
    text: "text",
    trailer: "trailing data",
    other: "other metadata",
    copyright: "copyright",
    color_profile: "colour profile",
    orientation: "orientation",
  };
  const ORDER = ["location", "device", "time", "thumbnail", "xmp", "iptc", "comment", "text",
                 "trailer", "other", "copyright", "color_profile", "orientation"];

  function key(finding) {
    return `${finding.category}\u0000${finding.label}`;
  }

  // Responses never change once received: remember what was worked out from each (hundreds of
  // files re-summarised on every result would add up).
  const memo = new WeakMap();
  function cached(response, name, compute) {
    if (!response || typeof response !== "object") return compute();
    let entry = memo.get(response);
    if (!entry) memo.set(response, (entry = {}));
    if (!(name in entry)) entry[name] = compute();
    return entry[name];
  }

  /** [{finding, removed}] for every finding of the input, in the engine's order. */
  function items(response) {
    return cached(response, "items", () => {
      if (!response || !response.ok || !response.before) return [];
      const removed = new Set((response.removed || []).map(key));
      return (response.before.findings || []).map((finding) => ({ finding, removed: removed.has(key(finding)) }));
    });
  }

  /** {category: "removed" | "kept" | "partly"} for the categories the input carried. */
  function categories(response) {
    return cached(response, "categories", () => categoriesOf(response));
  }

  function categoriesOf(response) {
    const seen = {};
    for (const { finding, removed } of items(response)) {
      const was = seen[finding.category];
      const now = removed ? "removed" : "kept";
      seen[finding.category] = was && was !== now ? "partly" : now;
    }
    return seen;
  }

  /** A finding that is an actual position (coordinates), not just some place-related field. */
  function isGpsPosition(finding) {
    return finding.key === lp.facts.finding_keys.gps_position;
  }

  /** "removed" | "kept" | "none": what happened to the file's GPS position. */
  function gps(response) {
    return cached(response, "gps", () => gpsOf(response));
  }

  function gpsOf(response) {
    const found = items(response).filter((i) => isGpsPosition(i.finding));
    if (!found.length) return "none";
    return found.every((i) => i.removed) ? "removed" : "kept";
  }

  function label(finding) {
    if (finding.category === "location" && !/location/i.test(finding.label)) {
      return `Location (${finding.label})`;
    }
    return finding.label;
  }

  /** "Location (GPS position): 43.4674° N, 11.8851° E — removed". An orientation the engine
   *  turned the pixels by is gone as a tag but not as a look: `applied` says so. */
  function line(finding, removed, applied) {
    const value = finding.value ? `: ${finding.value}` : "";
    const outcome = !removed ? "kept" : applied && finding.category === "orientation"
      ? "applied to the pixels (the photo is stored upright, so the tag is no longer needed)" : "removed";
    return `${label(finding)}${value} — ${outcome}`;
  }

  /** One short line for a file's row. */
  function rowSummary(response) {
    const all = items(response);
    const privateItems = all.filter((i) => i.finding.private);
    const removed = all.filter((i) => i.removed);
    const keptPrivate = privateItems.filter((i) => !i.removed);
    if (!privateItems.length) {
      return removed.length ? `No private metadata; ${removed.length} technical item${removed.length === 1 ? "" : "s"} removed`
        : "No private metadata found";
    }
    const cats = [];
    for (const c of ORDER) {
      if (removed.some((i) => i.finding.category === c && i.finding.private)) cats.push(CATEGORY_SHORT[c]);
    }
    let text = `${removed.length} item${removed.length === 1 ? "" : "s"} removed`;
    if (cats.length) text += ` (${cats.slice(0, 4).join(", ")}${cats.length > 4 ? ", …" : ""})`;
    if (keptPrivate.length) text += `; ${keptPrivate.length} kept by your settings`;
    return text;
  }

  /** The full per-file report: a list, one finding per item, with why it matters. */
  function details(response) {
    const fragment = document.createDocumentFragment();
    const all = items(response);
    if (!all.length) {
      const p = document.createElement("p");
      p.textContent = "The engine found no metadata in this file.";
      fragment.append(p);
    } else {
      const list = document.createElement("ul");
      list.className = "findings";
      // Private things first, then the harmless technical ones.
      const sorted = [...all].sort((a, b) => Number(b.finding.private) - Number(a.finding.private));
      for (const { finding, removed } of sorted) {
        const li = document.createElement("li");
        li.className = removed ? "finding removed" : "finding kept";
        li.dataset.category = finding.category;
        const what = document.createElement("span");
        what.className = "finding-line";
        what.textContent = line(finding, removed, response.orientation_applied);
        const why = document.createElement("span");
        why.className = "finding-why";
        why.textContent = finding.why || "";
        li.append(what, why);
        list.append(li);
      }
      fragment.append(list);
    }
    const extra = [];
    if (response.codec) extra.push(`Encoded by ${response.codec}.`);
    if (response.note) extra.push(response.note);
    for (const warning of response.warnings || []) extra.push(warning);
    for (const text of extra) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = text;
      fragment.append(p);
    }
    return fragment;
  }

  /**
   * The batch summary: one sentence per category some file carried, e.g.
   * "37 of 40 photos carried a GPS location; all removed." Location always gets a line.
   */
  function batchSummary(responses) {
    const done = responses.filter((r) => r && r.ok);
    const total = done.length;
    if (!total) return [];
    const noun = total === 1 ? "photo" : "photos";
    const tally = {};
    for (const response of done) {
      for (const [category, state] of Object.entries(categories(response))) {
        const t = (tally[category] = tally[category] || { carried: 0, kept: 0 });
        t.carried += 1;
        if (state !== "removed") t.kept += 1;
      }
    }
    const outcomeOf = (t) => {
      if (!t.kept) return t.carried === 1 ? "removed" : "all removed";
      if (t.kept === t.carried) return "kept, as your settings ask";
      return `removed from ${t.carried - t.kept}, kept in ${t.kept} (your settings)`;
    };
    // Location: GPS positions get their own sentence; place names and position-less GPS fields
    // another, so "carried a GPS location" means coordinates.
    const withGps = { carried: 0, kept: 0 };
    const otherPlace = { carried: 0, kept: 0 };
    for (const response of done) {
      const state = gps(response);
      const place = categories(response).location;
      if (state !== "none") {
        withGps.carried += 1;
        if (state === "kept") withGps.kept += 1;
      } else if (place) {
        otherPlace.carried += 1;
        if (place !== "removed") otherPlace.kept += 1;
      }
    }
    const lines = [];
    if (!withGps.carried) {
      lines.push({ category: "location", text: total === 1 ? "The photo carried no GPS location." :
        `None of the ${total} ${noun} carried a GPS location.` });
    } else {
      const who = total === 1 ? "The photo" : `${withGps.carried} of ${total} ${noun}`;
      lines.push({ category: "location", text: `${who} carried a GPS location; ${outcomeOf(withGps)}.` });
    }
    if (otherPlace.carried) {
      const who = withGps.carried ? `${otherPlace.carried} other${otherPlace.carried === 1 ? "" : "s"}` :
        total === 1 ? "The photo" : `${otherPlace.carried} of ${total} ${noun}`;
      lines.push({ category: "place", text: `${who} carried place details (place names, or GPS fields without a position); ${outcomeOf(otherPlace)}.` });
    }
    for (const category of ORDER) {
      const t = tally[category];
      if (!t || category === "location") continue;
      if (category === "color_profile" || category === "orientation") {
        if (!t.kept) continue; // harmless, and removed anyway: not worth a line
      }
      const who = total === 1 ? "The photo" : `${t.carried} of ${total} ${noun}`;
      lines.push({ category, text: `${who} carried ${CATEGORY_PHRASES[category] || category}; ${outcomeOf(t)}.` });
    }
    return lines;
  }

  lp.report = { items, categories, gps, isGpsPosition, line, rowSummary, details, batchSummary };
})(window.localpix);
