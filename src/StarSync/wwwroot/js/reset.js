// Reset: undo StarSync's ratings or clear all ratings; always a dry run first, then "Run for real".
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const sampleSize = 20;

  const mode = () => document.querySelector('input[name="reset-mode"]:checked').value;
  const endpoint = m => (m === "clear" ? "/api/v1/clear" : "/api/v1/undo-all");
  let previewedMode = null;

  function onModeChange() {
    const clearing = mode() === "clear";
    $("clear-confirm").hidden = !clearing;
    $("preview-result").hidden = true;
    previewedMode = null;
    // Focus stays on the radio group: arrow keys move between its options and must not jump into the text box.
  }
  for (const radio of document.querySelectorAll('input[name="reset-mode"]')) radio.addEventListener("change", onModeChange);

  async function loadLibraries() {
    const result = await S.api("GET", "/api/v1/settings");
    $("clear-libraries").textContent = !result.ok ? "(could not load the settings)"
      : (result.data.libraries || []).length ? result.data.libraries.join(", ") : "every music library";
  }

  function confirmed() {
    if (mode() !== "clear") return true;
    if ($("confirm-text").value.trim() === "CLEAR") return true;
    S.say($("preview-status"), "Type CLEAR (in capitals) to confirm clearing every rating.", "error");
    $("preview-result").hidden = false;
    $("confirm-text").focus();
    return false;
  }

  function showCounts(job) {
    const c = job.counts || {};
    const node = $("preview-counts");
    S.clear(node);
    const rows = job.mode === "clear"
      ? [["Tracks looked at", c.total], ["Ratings to clear", c.cleared], ["Failed", c.failed]]
      : [["Changes in the journal", c.total], ["Ratings to restore", c.restored], ["Skipped (changed by hand since)", c.skipped], ["Failed", c.failed]];
    for (const [term, value] of rows) node.append(S.el("dt", {}, term), S.el("dd", {}, S.num(value)));
  }

  function follow(job) {
    const bar = $("preview-progress");
    bar.hidden = S.isFinished(job);
    const c = job.counts || {};
    bar.max = c.total || 1;
    bar.value = c.done || 0;
    S.say($("preview-status"), (job.dryRun ? "Dry run " : "Reset ") + job.status + "…");
    showCounts(job);
  }

  async function run(dryRun) {
    const m = mode();
    const body = m === "clear" ? { confirm: "CLEAR", dryRun } : { dryRun };
    $("preview-result").hidden = false;
    $("run-real").hidden = true;
    $("job-link").hidden = true;
    $("preview-table").hidden = true;
    $("preview").disabled = true;
    S.say($("preview-status"), dryRun ? "Running a dry run…" : "Starting…");
    try {
      const started = await S.api("POST", endpoint(m), body);
      if (!started.ok) { S.say($("preview-status"), S.problemMessage(started, "Could not start"), "error"); return; }
      const job = await S.waitForJob(started.data.id, follow);
      $("job-link").href = S.url("/history/" + encodeURIComponent(job.id));
      $("job-link").hidden = false;
      if (job.status !== "succeeded") {
        S.say($("preview-status"), "The " + (dryRun ? "dry run" : "reset") + " " + job.status + (job.error ? ": " + job.error : "."), "error");
        return;
      }
      await showSample(job);
      if (m === "clear") await showOrigins(job);
      if (dryRun) {
        previewedMode = m;
        S.say($("preview-status"), "Dry run finished. Nothing was written. This is what a real run would change:", "ok");
        $("run-real").textContent = m === "clear" ? "Clear the ratings for real" : "Undo for real";
        $("run-real").hidden = false;
      } else {
        previewedMode = null;
        S.say($("preview-status"), "Done.", "ok");
      }
    } catch (e) {
      S.say($("preview-status"), e.message, "error");
    } finally {
      $("preview").disabled = false;
    }
  }

  // Of the ratings a clear found, how many StarSync set (the journal knows) and how many a person set.
  async function showOrigins(job) {
    const result = await S.api("GET", "/api/v1/history/jobs/" + encodeURIComponent(job.id));
    const origins = result.ok && result.data.clearOrigins;
    if (!origins) return;
    const verb = job.dryRun ? "would clear" : "cleared";
    $("preview-counts").append(
      S.el("dt", {}, "Set by hand (" + verb + ")"), S.el("dd", { id: "origin-hand" }, S.num(origins.byHand)),
      S.el("dt", {}, "Set by StarSync (" + verb + ")"), S.el("dd", { id: "origin-starsync" }, S.num(origins.byStarSync)));
  }

  async function showSample(job) {
    const result = await S.api("GET", "/api/v1/jobs/" + encodeURIComponent(job.id) + "/changes?offset=0&limit=" + sampleSize);
    const body = $("preview-body");
    S.clear(body);
    if (!result.ok || !result.data.items.length) return;
    for (const change of result.data.items) {
      body.append(S.el("tr", {},
        S.el("td", {}, change.artist), S.el("td", {}, change.album), S.el("td", {}, change.title),
        S.el("td", {}, S.stars(change.oldValue)), S.el("td", {}, S.stars(change.newValue))));
    }
    $("preview-table").hidden = false;
  }

  $("reset-form").addEventListener("submit", e => {
    e.preventDefault();
    if (confirmed()) run(true);
  });
  $("run-real").addEventListener("click", () => {
    if (previewedMode !== mode() || !confirmed()) return;
    run(false);
  });

  loadLibraries();
})();
