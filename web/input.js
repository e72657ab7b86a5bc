// Getting files in: drag-and-drop of files and whole folders, the two pickers, paste.
// Everything ends in localpix.addFiles([{file, path}]); files are never read here.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  const IMAGE_EXTENSIONS = /\.(jpe?g|jfif|jpe|png|webp|gif|tiff?|bmp|dib|heic|heif|hif|avif|jxl)$/i;
  let pasteCount = 0;

  function isHidden(name) {
    return name.startsWith(".") || name === "Thumbs.db" || name === "desktop.ini";
  }

  /** Inside folders only image-looking files are taken; loose files always (the engine judges). */
  function wanted(name, fromFolder) {
    if (isHidden(name)) return false;
    return !fromFolder || IMAGE_EXTENSIONS.test(name);
  }

  function fileOf(entry) {
    return new Promise((resolve, reject) => entry.file(resolve, reject));
  }

  function readBatch(reader) {
    return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  }

  /** Every file under a FileSystemEntry, depth-first, with its path relative to the drop. */
  async function walk(entry, out, stats, depth) {
    if (entry.isFile) {
      if (!wanted(entry.name, depth > 0)) {
        stats.skipped += 1;
        return;
      }
      try {
        out.push({ file: await fileOf(entry), path: entry.fullPath.replace(/^\/+/, "") });
      } catch {
        stats.unreadable += 1;
      }
    } else if (entry.isDirectory && depth < 32) {
      if (isHidden(entry.name)) return;
      const reader = entry.createReader();
      // readEntries returns at most ~100 entries per call: read until it returns none.
      for (;;) {
        let batch;
        try {
          batch = await readBatch(reader);
        } catch {
          stats.unreadable += 1;
          break;
        }
        if (!batch.length) break;
        for (const child of batch) await walk(child, out, stats, depth + 1);
      }
    }
  }

  async function fromDataTransfer(dataTransfer) {
    const stats = { skipped: 0, unreadable: 0 };
    const out = [];
    // Entries must be taken synchronously, while the drop event is being dispatched.
    const entries = [];
    const loose = [];
    for (const item of Array.from(dataTransfer.items || [])) {
      if (item.kind !== "file") continue;
      const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
      if (entry) entries.push(entry);
      else {
        const file = item.getAsFile();
        if (file) loose.push(file);
      }
    }
    if (!entries.length && !loose.length) {
      for (const file of Array.from(dataTransfer.files || [])) loose.push(file);
    }
    for (const file of loose) {
      if (wanted(file.name, false)) out.push({ file, path: file.name });
      else stats.skipped += 1;
    }
    for (const entry of entries) await walk(entry, out, stats, 0);
    return { files: out, stats };
  }

  function fromFileList(list, folder) {
    const stats = { skipped: 0, unreadable: 0 };
    const files = [];
    for (const file of Array.from(list)) {
      const path = (folder && file.webkitRelativePath) || file.name;
      if (wanted(file.name, folder)) files.push({ file, path });
      else stats.skipped += 1;
    }
    return { files, stats };
  }

  function pastedName(file) {
    pasteCount += 1;
    const ext = ({ "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif",
                   "image/bmp": "bmp", "image/tiff": "tif", "image/heic": "heic", "image/heif": "heic",
                   "image/avif": "avif", "image/jxl": "jxl" })[file.type] || "png";
    // Clipboard images are all called "image.png": give each its own name.
    if (!file.name || /^image\.\w+$/i.test(file.name)) return `pasted-image-${pasteCount}.${ext}`;
    return file.name;
  }

  function init(dropZone) {
    const add = (result) => lp.addFiles(result.files, result.stats);
    const fileInput = document.getElementById("file");
    const folderInput = document.getElementById("folder");
    fileInput.addEventListener("change", () => {
      add(fromFileList(fileInput.files, false));
      fileInput.value = ""; // picking the same files again still fires "change"
    });
    folderInput.addEventListener("change", () => {
      add(fromFileList(folderInput.files, true));
      folderInput.value = "";
    });

    // The whole window accepts drops; the zone lights up while something is dragged over.
    let depth = 0;
    const hasFiles = (event) => Array.from(event.dataTransfer ? event.dataTransfer.types : []).includes("Files");
    window.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      dropZone.classList.add("dragging");
    });
    window.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    window.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) dropZone.classList.remove("dragging");
    });
    window.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      dropZone.classList.remove("dragging");
      fromDataTransfer(event.dataTransfer).then(add);
    });

    document.addEventListener("paste", (event) => {
      const files = Array.from((event.clipboardData && event.clipboardData.files) || []);
      if (!files.length) return;
      event.preventDefault();
      add({
        files: files.map((file) => {
          const name = pastedName(file);
          const named = name === file.name ? file : new File([file], name, { type: file.type });
          return { file: named, path: name };
        }),
        stats: { skipped: 0, unreadable: 0 },
      });
    });
  }

  lp.input = { init, fromDataTransfer, fromFileList };
})(window.localpix);
