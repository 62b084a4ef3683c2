// pipeflow ui: refresh the runs list, follow a running run, load a step's logs on demand.
"use strict";

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(url + ": " + response.status);
  return response.json();
}

function setState(element, state) {
  for (const name of [...element.classList]) {
    if (name.startsWith("state-")) element.classList.remove(name);
  }
  const token = state.replace(/[^A-Za-z0-9_-]+/g, "-");
  element.classList.add("state-" + token);
  element.dataset.state = token;
}

// The runs list: swap in a fresh table every few seconds.
function refreshList(box) {
  const every = Number(box.dataset.every || 5000);
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(box.dataset.refresh, { credentials: "same-origin" });
      if (response.ok) box.innerHTML = await response.text();
    } catch (error) { /* the server may be restarting: try again next time */ }
  }, every);
}

// A run's page: poll its states every second while it runs, and the lines of each open "Logs
// of STEP" panel; reload once it has finished, or once a step has failed (its error and why
// are on the page the server renders), with the same panels open again.
function followRun(page) {
  const runId = page.dataset.run;
  const timer = setInterval(async () => {
    let run;
    try { run = await getJSON("/api/runs/" + encodeURIComponent(runId)); } catch (error) { return; }
    let failed = false;  // a step failed since the page was drawn
    for (const step of run.steps) {
      for (const element of document.querySelectorAll('[data-step="' + CSS.escape(step.step) + '"]')) {
        if (element.matches("details")) continue;
        if (step.state === "failed" && element.matches("tr.step-row") && element.dataset.state !== "failed") failed = true;
        setState(element, step.state);
        const badge = element.querySelector('[data-role="state"]');
        if (badge) { badge.textContent = step.state; setState(badge, step.state); }
        const duration = element.querySelector('[data-role="duration"]');
        if (duration) duration.textContent = step.duration;
      }
    }
    const open = [...document.querySelectorAll("details.logs[open]")];
    if (run.state !== "running" || failed) {
      clearInterval(timer);
      const steps = open.map((details) => details.dataset.step);
      sessionStorage.setItem(openLogsKey(runId), JSON.stringify(steps));
      window.location.reload();
      return;
    }
    for (const details of open) loadLogs(details);
  }, 1000);
}

function openLogsKey(runId) { return "pipeflow-open-logs:" + runId; }

// After the reload that ends following a run: open the panels that were open before it.
function reopenLogs(page) {
  const key = openLogsKey(page.dataset.run);
  let steps = [];
  try { steps = JSON.parse(sessionStorage.getItem(key) || "[]"); } catch (error) { /* none */ }
  sessionStorage.removeItem(key);
  for (const details of document.querySelectorAll("details.logs")) {
    if (steps.includes(details.dataset.step)) details.open = true;
  }
}

// A panel asks only for the lines after those it has (`skip`), and one load at a time.
async function loadLogs(details) {
  if (details.dataset.loading) return;
  details.dataset.loading = "1";
  const pre = details.querySelector("pre.log-text");
  const had = Number(details.dataset.lines || 0);
  try {
    const data = await getJSON(details.dataset.src + "&skip=" + had);
    if (!data.lines.length) {
      if (!had) pre.textContent = "(nothing printed)";
      return;
    }
    const text = data.lines.map((line) => line.text).join("\n");
    // A panel read to its end follows new lines; one scrolled up stays where it is.
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    const scrolled = pre.scrollTop;
    pre.textContent = had ? pre.textContent + "\n" + text : text;
    details.dataset.lines = String(had + data.lines.length);
    pre.scrollTop = atEnd && pre.dataset.loaded ? pre.scrollHeight : scrolled;
    pre.dataset.loaded = "1";
  } catch (error) {
    pre.textContent = "Could not load the logs: " + error.message;
    delete details.dataset.lines;
  } finally {
    delete details.dataset.loading;
  }
}

// The Run form: send only the fields the user changed, compared with the value each field was
// rendered with (its data-default), not with the config's default when the form is posted.
function sendChangedOnly(form) {
  const same = (a, b) => a.replace(/\r\n?/g, "\n") === b.replace(/\r\n?/g, "\n");
  form.addEventListener("formdata", (event) => {
    for (const element of form.querySelectorAll("[data-default]")) {
      if (same(element.value, element.dataset.default)) event.formData.delete(element.name);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.run-form");
  if (form) sendChangedOnly(form);
  const box = document.querySelector("[data-refresh]");
  if (box) refreshList(box);
  const page = document.getElementById("run");
  if (page && page.dataset.state === "running") followRun(page);
  for (const details of document.querySelectorAll("details.logs")) {
    details.addEventListener("toggle", () => { if (details.open) loadLogs(details); });
  }
  if (page) reopenLogs(page);
});
