// A small ZIP writer (STORE only: the images are already compressed). It never copies the batch:
// the archive is one Blob made of the result Blobs plus small header arrays, so the browser can
// keep the data off the JS heap. CRC-32s come with the results: the workers compute them.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  function dosDateTime(date) {
    const year = Math.max(1980, date.getFullYear());
    return {
      time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
      date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
    };
  }

  /** A safe relative path inside the archive: no drive, no "..", forward slashes only. */
  function safePath(path) {
    const parts = String(path).replace(/\\/g, "/").split("/")
      .map((p) => p.replace(/[\u0000-\u001f]/g, "").trim())
      .filter((p) => p && p !== "." && p !== "..");
    return parts.join("/") || "image";
  }

  /** Make names unique (case-insensitively, as on Windows and macOS): "a.jpg", "a (2).jpg". */
  function uniqueNames(paths) {
    const seen = new Set();
    return paths.map((raw) => {
      const path = safePath(raw);
      let candidate = path;
      const slash = path.lastIndexOf("/");
      const dot = path.lastIndexOf(".");
      const cut = dot > slash + 1 ? dot : path.length;
      for (let n = 2; seen.has(candidate.toLowerCase()); n++) {
        candidate = `${path.slice(0, cut)} (${n})${path.slice(cut)}`;
      }
      seen.add(candidate.toLowerCase());
      return candidate;
    });
  }

  /**
   * entries: [{name, data: Blob | Uint8Array, crc32, size}] -> Blob (application/zip).
   * Names must already be unique (see uniqueNames).
   */
  function build(entries, when) {
    const encoder = new TextEncoder();
    const { time, date } = dosDateTime(when || new Date());
    const parts = [];
    const central = [];
    let offset = 0;
    if (entries.length > 0xffff) throw new Error("Too many files for one ZIP (65535 at most).");
    for (const entry of entries) {
      const name = encoder.encode(entry.name);
      const size = entry.size;
      const crc = entry.crc32 >>> 0;
      if (size > 0xfffffffe || offset > 0xfffffffe) {
        throw new Error("The batch is too large for one ZIP (4 GB); download the files one by one.");
      }
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true);
      local.setUint16(4, 20, true); // version needed: 2.0
      local.setUint16(6, 0x0800, true); // names are UTF-8
      local.setUint16(8, 0, true); // STORE
      local.setUint16(10, time, true);
      local.setUint16(12, date, true);
      local.setUint32(14, crc, true);
      local.setUint32(18, size, true);
      local.setUint32(22, size, true);
      local.setUint16(26, name.length, true);
      local.setUint16(28, 0, true);
      parts.push(new Uint8Array(local.buffer), name, entry.data);

      const head = new DataView(new ArrayBuffer(46));
      head.setUint32(0, 0x02014b50, true);
      head.setUint16(4, 20, true); // made by: 2.0, MS-DOS attributes
      head.setUint16(6, 20, true);
      head.setUint16(8, 0x0800, true);
      head.setUint16(10, 0, true);
      head.setUint16(12, time, true);
      head.setUint16(14, date, true);
      head.setUint32(16, crc, true);
      head.setUint32(20, size, true);
      head.setUint32(24, size, true);
      head.setUint16(28, name.length, true);
      // extra, comment, disk, internal and external attributes: all 0
      head.setUint32(42, offset, true);
      central.push(new Uint8Array(head.buffer), name);
      offset += 30 + name.length + size;
    }
    let centralSize = 0;
    for (const part of central) centralSize += part.length;
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, entries.length, true);
    end.setUint16(10, entries.length, true);
    end.setUint32(12, centralSize, true);
    end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, new Uint8Array(end.buffer)], { type: "application/zip" });
  }

  lp.zip = { build, uniqueNames, safePath };
})(window.localpix);
