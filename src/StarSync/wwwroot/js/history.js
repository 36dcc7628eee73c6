// History: the jobs table, and per job its changes (paged, searchable) with "Undo this job".
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const jobId = document.getElementById("history").dataset.jobId;
  const pageSize = 50;

  // ---- Jobs list ----------------------------------------------------------------------------------------
  async function loadJobs() {
    const body = $("jobs-body");
    const result = await S.api("GET", "/api/v1/jobs?limit=200");
    S.clear(body);
    if (!result.ok) { S.say($("jobs-message"), S.problemMessage(result, "Could not load the history"), "error"); return; }
    S.say($("jobs-message"), result.data.length ? "" : "No jobs yet. Start one from the dashboard.");
    for (const job of result.data) {
      const c = job.counts || {};
      body.append(S.el("tr", {},
        S.el("td", {}, S.time(job.startedAt || job.queuedAt)),
        S.el("td", {}, job.trigger),
        S.el("td", {}, S.modeName(job), job.description ? S.el("div", { class: "muted" }, job.description) : null),
        S.el("td", { class: "num" }, S.num(c.rated)),
        S.el("td", { class: "num" }, S.num(c.updated)),
        S.el("td", { class: "num" }, S.num(c.skipped)),
        S.el("td", { class: "num" }, S.num(c.failed)),
        S.el("td", {}, S.jobDuration(job)),
        S.el("td", {}, S.statusBadge(job.status), job.error ? S.el("div", { class: "muted" }, job.error) : null),
        S.el("td", {}, S.el("a", { href: S.url("/history/" + encodeURIComponent(job.id)) }, "Details",
          S.el("span", { class: "visually-hidden" }, " of job " + job.id)))));
    }
  }

  // ---- One job ------------------------------------------------------------------------------------------
  let offset = 0;
  let query = "";

  async function loadJob() {
    const result = await S.api("GET", "/api/v1/jobs/" + encodeURIComponent(jobId));
    if (!result.ok) { S.say($("job-message"), S.problemMessage(result, "Could not load the job"), "error"); return; }
    const job = result.data;
    $("job-title").textContent = S.modeName(job) + " · " + S.time(job.startedAt || job.queuedAt);
    const c = job.counts || {};
    const summary = $("job-summary");
    S.clear(summary);
    const rows = [
      ["Status", S.statusBadge(job.status)], ["Trigger", job.trigger], ["Libraries", (job.libraries || []).join(", ") || "all"],
      ["Duration", S.jobDuration(job)],
      ["Counts", `${S.num(c.total)} total · ${S.num(c.rated)} rated · ${S.num(c.updated)} updated · ${S.num(c.skipped)} skipped · ${S.num(c.failed)} failed` +
        (c.cleared ? ` · ${S.num(c.cleared)} cleared` : "") + (c.restored ? ` · ${S.num(c.restored)} restored` : "")],
    ];
    if (job.error) rows.push(["Error", job.error]);
    for (const [term, value] of rows) summary.append(S.el("dt", {}, term), S.el("dd", {}, value));
    // The server decides (canUndo, with the reason when not); the page only shows it.
    $("undo").disabled = !job.canUndo;
    $("undo").title = job.undoBlockedReason || "";
  }

  async function loadChanges() {
    const params = new URLSearchParams({ offset, limit: pageSize });
    if (query) params.set("q", query);
    const result = await S.api("GET", "/api/v1/jobs/" + encodeURIComponent(jobId) + "/changes?" + params);
    const body = $("changes-body");
    S.clear(body);
    if (!result.ok) { S.say($("job-message"), S.problemMessage(result, "Could not load the changes"), "error"); return; }
    const { total, items } = result.data;
    for (const change of items) {
      body.append(S.el("tr", {},
        S.el("td", {}, change.artist), S.el("td", {}, change.album), S.el("td", {}, change.title),
        S.el("td", {}, change.library), S.el("td", {}, S.stars(change.oldValue)), S.el("td", {}, S.stars(change.newValue)),
        S.el("td", {}, change.state), S.el("td", {}, S.time(change.time))));
    }
    if (!items.length) body.append(S.el("tr", {}, S.el("td", { colspan: 8, class: "muted" }, query ? "No change matches." : "No changes.")));
    const page = Math.floor(offset / pageSize) + 1, pages = Math.max(1, Math.ceil(total / pageSize));
    $("changes-page").textContent = `Page ${page} of ${pages} · ${S.num(total)} changes`;
    $("changes-prev").disabled = offset === 0;
    $("changes-next").disabled = offset + pageSize >= total;
  }

  function initJob() {
    $("changes-search").addEventListener("submit", e => { e.preventDefault(); query = $("changes-q").value.trim(); offset = 0; loadChanges(); });
    $("changes-prev").addEventListener("click", () => { offset = Math.max(0, offset - pageSize); loadChanges(); });
    $("changes-next").addEventListener("click", () => { offset += pageSize; loadChanges(); });
    const dialog = $("undo-dialog");
    $("undo").addEventListener("click", () => dialog.showModal());
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "confirm") return;
      const dryRun = $("undo-dry-run").checked;
      const result = await S.api("POST", "/api/v1/jobs/" + encodeURIComponent(jobId) + "/undo", { dryRun });
      if (!result.ok) { S.say($("job-message"), S.problemMessage(result, "Could not undo"), "error"); return; }
      const link = S.url("/history/" + encodeURIComponent(result.data.id));
      S.clear($("job-message"));
      $("job-message").classList.remove("error");
      $("job-message").append((dryRun ? "Dry run of the undo queued. " : "Undo queued. "), S.el("a", { href: link }, "Follow it"), ".");
    });
    loadJob();
    loadChanges();
  }

  if (jobId) initJob();
  else { $("jobs-refresh").addEventListener("click", loadJobs); loadJobs(); }
})();
