// The bodyseg page: pick a photo, choose an effect, method and options, see the result, download it.
// Plain JavaScript, no build and no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { file: null, request: null, timer: null, urls: {}, maxUploadMb: null };

// Which endpoint and query an effect uses: mask and soft are outputs of /v1/segment.
function endpointOf(effect) {
  if (effect === "mask") return { path: "v1/segment", query: { output: "mask" } };
  if (effect === "soft") return { path: "v1/segment", query: { output: "soft" } };
  return { path: `v1/${effect}`, query: {} };
}

function buildRequest() {
  const effect = $("effect").value;
  const { path, query } = endpointOf(effect);
  const params = new URLSearchParams(query);
  if ($("method").value) params.set("method", $("method").value);
  for (const pair of $("method-options").value.split(/[\s,;]+/).filter(Boolean)) params.append("option", pair);
  const number = (id, name) => { if ($(id).value !== "") params.set(name, $(id).value); };
  const form = new FormData();
  form.append("file", state.file);
  if (effect === "blur") number("strength", "strength");
  if (["blur", "replace", "cutout", "splash"].includes(effect)) number("feather", "feather");
  if (effect === "mask" || effect === "overlay") params.set("threshold", $("threshold").value);
  if (effect === "overlay") params.set("opacity", $("opacity").value);
  if (effect === "replace") {
    const image = $("bgfile").files[0];
    if (image) form.append("background", image);
    else params.set("background", $("bgcolour").value);
  }
  return { url: `${path}?${params}`, form, effect };
}

function run() {
  if (!state.file) return;
  if (state.maxUploadMb && state.file.size > state.maxUploadMb * 1e6) {
    // the server would refuse it too, but a browser may drop the connection before reading its answer
    fail(`${state.file.name}: ${(state.file.size / 1e6).toFixed(1)} MB is over this server's limit of ${state.maxUploadMb} MB; pick a smaller file`);
    return;
  }
  if (state.request) state.request.abort();
  const { url, form, effect } = buildRequest();
  const xhr = new XMLHttpRequest();
  state.request = xhr;
  xhr.open("POST", url);
  xhr.responseType = "blob";
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) showProgress(`Uploading… ${Math.round((100 * e.loaded) / e.total)}%`, (50 * e.loaded) / e.total); };
  xhr.upload.onload = () => showProgress("Finding people…", null);
  xhr.onload = () => { state.request = null; xhr.status === 200 ? showResult(xhr, effect) : showError(xhr); };
  xhr.onerror = () => { state.request = null; fail("Could not reach the server; is it still running?"); };
  xhr.ontimeout = xhr.onerror;
  $("error").hidden = true;
  showProgress("Uploading…", 0);
  xhr.send(form);
}

function showProgress(text, percent) {
  const bar = $("progress");
  bar.hidden = false;
  if (percent === null) bar.removeAttribute("value"); else bar.value = percent;
  $("status-text").textContent = text;
  $("run").disabled = true;
}

function done(text) {
  $("progress").hidden = true;
  $("status-text").textContent = text;
  $("run").disabled = !state.file;
}

function fail(message) {
  done("");
  $("error").textContent = message;
  $("error").hidden = false;
  for (const id of ["result", "after", "divider"]) $(id).hidden = true;
  $("download").hidden = true;
}

async function showError(xhr) {
  let message = `The server answered ${xhr.status}.`;
  try { message = JSON.parse(await xhr.response.text()).message || message; } catch (_) { /* not JSON */ }
  if (xhr.status === 503) message += " (the server is busy: try again in a moment)";
  fail(message);
}

function showResult(xhr, effect) {
  const url = swapUrl("result", URL.createObjectURL(xhr.response));
  $("result").src = url; $("result").hidden = false;
  $("after").src = url; $("after").hidden = false; $("divider").hidden = false;
  const link = $("download");
  link.href = url;
  link.download = downloadName(xhr, effect);
  link.hidden = false;
  const people = xhr.getResponseHeader("X-Bodyseg-People");
  const ms = xhr.getResponseHeader("X-Bodyseg-Ms");
  const warnings = JSON.parse(xhr.getResponseHeader("X-Bodyseg-Warnings") || "[]");
  const found = people && people !== "0" ? `${people} ${people === "1" ? "person" : "people"}` : "";
  done([xhr.getResponseHeader("X-Bodyseg-Method"), found, ms && `${ms} ms`, ...warnings].filter(Boolean).join(" · "));
}

function downloadName(xhr, effect) {
  const match = /filename="([^"]+)"/.exec(xhr.getResponseHeader("Content-Disposition") || "");
  return match ? match[1] : `${effect}.png`;
}

// Keep one object URL per slot, freeing the old one.
function swapUrl(slot, url) {
  if (state.urls[slot]) URL.revokeObjectURL(state.urls[slot]);
  state.urls[slot] = url;
  return url;
}

function pick(file) {
  if (!file) return;
  state.file = file;
  const url = swapUrl("original", URL.createObjectURL(file));
  for (const id of ["original", "before"]) { $(id).src = url; $(id).hidden = false; }
  for (const id of ["result", "after", "divider"]) $(id).hidden = true;
  $("download").hidden = true;
  $("run").disabled = false;
  clearTimeout(state.timer);  // an option change just before: this run covers it
  run();
}

// Re-run shortly after an option changes (a burst of changes sends one request).
function soon() {
  clearTimeout(state.timer);
  state.timer = setTimeout(run, 300);
}

function showOptionsFor(effect) {
  for (const label of document.querySelectorAll("[data-effects]")) {
    label.hidden = !label.dataset.effects.split(" ").includes(effect);
  }
}

async function loadMethods() {
  try {
    const info = await (await fetch("v1/methods")).json();
    const select = $("method");
    select.innerHTML = "";
    for (const m of info.methods.filter((m) => !m.unavailable)) {
      const option = new Option(m.default ? `${m.name} (default)` : m.name, m.default ? "" : m.name);
      option.title = m.summary;
      select.add(option);
    }
    const summaries = Object.fromEntries(info.methods.map((m) => [m.default ? "" : m.name, m.summary]));
    const describe = () => { $("method-summary").textContent = summaries[select.value] || ""; };
    select.addEventListener("change", describe);
    describe();
    const l = info.limits;
    state.maxUploadMb = l.max_upload_mb;
    $("limits").textContent = `up to ${l.max_megapixels} megapixels and ${l.max_upload_mb} MB`;
  } catch (_) {
    $("method-summary").textContent = "Could not list the methods; the default is used.";
  }
}

function wire() {
  const drop = $("drop");
  $("file").addEventListener("change", (e) => pick(e.target.files[0]));
  for (const name of ["dragenter", "dragover"]) drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const name of ["dragleave", "drop"]) drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  drop.addEventListener("drop", (e) => pick(e.dataTransfer.files[0]));
  $("effect").addEventListener("change", (e) => { showOptionsFor(e.target.value); soon(); });
  for (const id of ["method", "strength", "bgcolour", "bgfile", "threshold", "opacity", "feather", "method-options"]) {
    $(id).addEventListener("change", soon);
  }
  $("run").addEventListener("click", run);
  $("slider").addEventListener("input", (e) => {
    const at = e.target.value;
    $("before").style.clipPath = `inset(0 ${100 - at}% 0 0)`;
    $("after").style.clipPath = `inset(0 0 0 ${at}%)`;
    $("divider").style.left = `${at}%`;
  });
  for (const id of ["original", "before"]) $(id).addEventListener("error", () => { $(id).hidden = true; });
  showOptionsFor($("effect").value);
  loadMethods();
}

wire();
