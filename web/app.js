// The page: hands picked files to the engine worker and offers the results. No image work here.

const worker = new Worker("worker.js");
const $ = (id) => document.getElementById(id);
const fileInput = $("file");
let nextId = 1;
let downloadUrl = null;

function setEngineState(state, text) {
  document.body.dataset.engine = state;
  $("engine-status").textContent = text;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

function showResult(name, response, bytes) {
  $("result").hidden = false;
  const link = $("download");
  const list = $("removed");
  list.replaceChildren();
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = null;
  if (!response.ok) {
    $("result-status").textContent = `${name}: ${response.error}`;
    $("result-status").className = "error";
    link.hidden = true;
    link.removeAttribute("href");
    $("removed-heading").hidden = true;
    return;
  }
  const saved = response.input_size - response.output_size;
  const pct = response.input_size ? Math.round((100 * saved) / response.input_size) : 0;
  $("result-status").className = "";
  $("result-status").textContent =
    `${name}: ${formatBytes(response.input_size)} → ${formatBytes(response.output_size)}` +
    (saved > 0 ? ` (${pct}% smaller)` : "") + (response.note ? `. ${response.note}` : "");
  for (const finding of response.removed || []) {
    const item = document.createElement("li");
    item.textContent = `${finding.label}: ${finding.value} — removed`;
    list.append(item);
  }
  $("removed-heading").hidden = list.children.length === 0;
  downloadUrl = URL.createObjectURL(new Blob([bytes], { type: response.mime }));
  link.href = downloadUrl;
  link.download = response.name;
  link.textContent = `Download ${response.name}`;
  link.hidden = false;
}

const pending = new Map();

worker.onmessage = (event) => {
  const message = event.data;
  if (message.type === "status") {
    setEngineState("loading", message.text);
  } else if (message.type === "ready") {
    setEngineState("ready", `Engine ready in ${(message.ms / 1000).toFixed(1)} s — pick a photo.`);
    document.body.dataset.engineMs = String(message.ms);
    fileInput.disabled = false;
  } else if (message.type === "failed") {
    setEngineState("error", `The image engine could not start: ${message.error}`);
  } else if (message.type === "result") {
    const name = pending.get(message.id);
    pending.delete(message.id);
    showResult(name, message.response, message.bytes);
    document.body.dataset.busy = "false";
  }
};
worker.onerror = (event) => setEngineState("error", `The image engine crashed: ${event.message}`);

fileInput.addEventListener("change", async () => {
  const file = fileInput.files[0];
  if (!file) return;
  const id = nextId++;
  pending.set(id, file.name);
  document.body.dataset.busy = "true";
  $("result").hidden = false;
  $("download").hidden = true;
  $("result-status").className = "";
  $("result-status").textContent = `Processing ${file.name}…`;
  const bytes = await file.arrayBuffer();
  worker.postMessage(
    { type: "process", id, name: file.name, bytes, request: { mode: "compress", options: {} } },
    [bytes],
  );
});
