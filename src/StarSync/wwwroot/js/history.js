// History: the jobs (paged, filtered, sorted), one search across every job, a job's changes (filtered, paged, CSV),
// Undo and "Apply this preview", and a track's whole story. Filters and page live in the URL, so back/forward and
// links work. Outcomes, reasons and undo eligibility come from the server in words; nothing is re-derived here.
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const pageSizes = [10, 25, 50, 100, 200, 500];

  const params = () => new URLSearchParams(location.search);
  function go(changes, push = true) {
    const next = params();
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === "") next.delete(key); else next.set(key, value);
    }
    const query = next.toString();
    const target = location.pathname + (query ? "?" + query : "");
    if (push) history.pushState(null, "", target); else history.replaceState(null, "", target);
  }

  const jobLink = id => S.el("a", { href: S.url("/history/" + encodeURIComponent(id)) }, "#" + id);
  const trackLink = (change, text) => S.el("a", { href: S.url("/history/track/" + encodeURIComponent(change.ratingKey)) }, text || "–");
  const outcomeBadge = outcome => S.el("span", { class: "status status-" + outcome.kind }, outcome.label);

  /** Links to the jobs that undid this one, or "partly undone by". */
  function undoMarks(undo) {
    if (!undo) return null;
    const marks = [];
    if (undo.undoneBy && undo.undoneBy.length) {
      const words = undo.status === "partly-undone" ? "partly undone by " : "undone by ";
      const links = [];
      undo.undoneBy.forEach((id, i) => { if (i) links.push(", "); links.push(jobLink(id)); });
      marks.push(S.el("div", { class: "undo-mark" }, words, links));
    }
    if (undo.reverts !== null && undo.reverts !== undefined) {
      marks.push(S.el("div", { class: "undo-mark" }, undo.reverts === 0 ? "undid every job" : ["undid ", jobLink(undo.reverts)]));
    }
    return marks;
  }

  /** Previous / next, "Page [n] of N" jump and page size; onGo(page, pageSize). */
  function renderPager(nav, page, pageSize, total, onGo, capped) {
    S.clear(nav);
    const pages = Math.max(1, Math.ceil(total / pageSize));
    const prev = S.el("button", { type: "button", class: "btn", disabled: page <= 1 }, "Previous");
    const next = S.el("button", { type: "button", class: "btn", disabled: page >= pages }, "Next");
    prev.addEventListener("click", () => onGo(page - 1, pageSize));
    next.addEventListener("click", () => onGo(page + 1, pageSize));
    const input = S.el("input", { type: "number", min: 1, max: pages, value: page, class: "page-input", "aria-label": "Page number" });
    const jump = S.el("form", { class: "pager-jump" }, S.el("span", {}, "Page "), input,
      S.el("span", {}, ` of ${S.num(pages)}${capped ? "+" : ""} · ${S.num(total)}${capped ? "+" : ""} in all `),
      S.el("button", { type: "submit", class: "btn" }, "Go"));
    jump.addEventListener("submit", e => {
      e.preventDefault();
      const wanted = Math.min(pages, Math.max(1, parseInt(input.value, 10) || 1));
      onGo(wanted, pageSize);
    });
    const size = S.el("select", { "aria-label": "Rows per page" }, pageSizes.map(n => S.el("option", { value: n, selected: n === pageSize }, n + " per page")));
    size.addEventListener("change", () => onGo(1, Number(size.value)));
    nav.append(prev, jump, next, size);
  }

  const intParam = (p, name, fallback) => { const v = parseInt(p.get(name), 10); return v > 0 ? v : fallback; };

  // ---- Jobs list and search -----------------------------------------------------------------------------
  const filterNames = ["trigger", "status", "mode", "dryRun", "sort"];

  function dateToIso(value, nextDay) {
    if (!value) return null;
    const d = new Date(value + "T00:00:00");
    if (isNaN(d)) return null;
    if (nextDay) d.setDate(d.getDate() + 1);
    return d.toISOString();
  }

  let reloadTimer = null;
  function reloadSoon(fn) {
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => { reloadTimer = null; fn(); }, 300);
  }

  async function loadList() {
    const p = params();
    const q = (p.get("q") || "").trim();
    const form = $("jobs-filter");
    for (const name of [...filterNames, "from", "to"]) form.elements[name].value = p.get(name) || (name === "sort" ? "newest" : "");
    $("search-q").value = q;
    $("search-clear").hidden = !q;
    form.hidden = !!q;
    $("jobs-table").hidden = !!q;
    $("search-table").hidden = !q;
    if (q) return loadSearch(p, q);

    const page = intParam(p, "page", 1), pageSize = intParam(p, "pageSize", 25);
    const api = new URLSearchParams({ page, pageSize });
    for (const name of filterNames) if (p.get(name)) api.set(name, p.get(name));
    if (p.get("from")) api.set("from", dateToIso(p.get("from"), false));
    if (p.get("to")) api.set("to", dateToIso(p.get("to"), true));
    const result = await S.api("GET", "/api/v1/history/jobs?" + api);
    const body = $("jobs-body");
    S.clear(body);
    if (!result.ok) { S.say($("jobs-message"), S.problemMessage(result, "Could not load the history"), "error"); return; }
    const { total, items } = result.data;
    S.say($("jobs-message"), total ? "" : (p.toString() ? "No job matches these filters." : "No jobs yet. Start one from the dashboard."));
    for (const { job, outcome, undo } of items) {
      const c = job.counts || {};
      body.append(S.el("tr", { "data-job-id": job.id },
        S.el("td", {}, jobLink(job.id)),
        S.el("td", {}, S.time(job.startedAt || job.queuedAt)),
        S.el("td", {}, job.trigger),
        S.el("td", {}, S.modeName(job), job.description ? S.el("div", { class: "muted" }, job.description) : null),
        S.el("td", { class: "num", "data-count": "rated" }, S.num(c.rated)),
        S.el("td", { class: "num", "data-count": "updated" }, S.num(c.updated)),
        S.el("td", { class: "num", "data-count": "restored" }, S.num(c.restored)),
        S.el("td", { class: "num", "data-count": "cleared" }, S.num(c.cleared)),
        S.el("td", { class: "num", "data-count": "skipped" }, S.num(c.skipped)),
        S.el("td", { class: "num", "data-count": "failed" }, S.num(c.failed)),
        S.el("td", {}, S.jobDuration(job)),
        S.el("td", { class: "outcome-cell" }, outcomeBadge(outcome), S.el("div", { class: "muted outcome-summary" }, outcome.summary),
          job.error ? S.el("div", { class: "muted" }, job.error) : null, undoMarks(undo))));
    }
    renderPager($("jobs-pager"), page, pageSize, total, (pg, size) => { go({ page: pg, pageSize: size }); loadList(); });
  }

  async function loadSearch(p, q) {
    const page = intParam(p, "page", 1), pageSize = intParam(p, "pageSize", 50);
    const result = await S.api("GET", "/api/v1/history/search?" + new URLSearchParams({ q, page, pageSize }));
    const body = $("search-body");
    S.clear(body);
    if (!result.ok) { S.say($("jobs-message"), S.problemMessage(result, "Could not search"), "error"); return; }
    const { total, totalCapped, items } = result.data;
    S.say($("jobs-message"), total ? `${S.num(total)}${totalCapped ? "+" : ""} changes match “${q}”.` : `No change matches “${q}”.`);
    for (const change of items) {
      body.append(S.el("tr", {},
        S.el("td", {}, jobLink(change.jobId), change.dryRun ? S.el("div", { class: "muted" }, "dry run") : null),
        S.el("td", {}, change.artist), S.el("td", {}, change.album), S.el("td", {}, trackLink(change, change.title)),
        S.el("td", {}, S.stars(change.oldValue)), S.el("td", {}, S.stars(change.newValue)),
        S.el("td", {}, change.state), S.el("td", {}, S.time(change.time))));
    }
    renderPager($("jobs-pager"), page, pageSize, total, (pg, size) => { go({ page: pg, pageSize: size }); loadList(); }, totalCapped);
  }

  function initList() {
    $("jobs-filter").addEventListener("submit", e => {
      e.preventDefault();
      const form = e.target, changes = { page: null, q: null };
      for (const name of [...filterNames, "from", "to"]) changes[name] = form.elements[name].value;
      if (changes.sort === "newest") changes.sort = null;
      go(changes);
      loadList();
    });
    $("history-search").addEventListener("submit", e => {
      e.preventDefault();
      go({ q: $("search-q").value.trim(), page: null });
      loadList();
    });
    $("search-clear").addEventListener("click", e => { e.preventDefault(); go({ q: null, page: null }); loadList(); });
    window.addEventListener("popstate", loadList);
    S.followJob(null, {
      onState: state => { $("jobs-live").textContent = state === "live" ? "Live" : state === "reconnecting" ? "Reconnecting…" : "Offline"; },
      onJob: () => { if (!params().get("q")) reloadSoon(loadList); },
      onProgress: progress => {
        // The counters of a running job move in place; its outcome in words arrives with the next job event.
        const row = document.querySelector(`#jobs-body tr[data-job-id="${CSS.escape(String(progress.jobId))}"]`);
        if (!row) return;
        for (const cell of row.querySelectorAll("[data-count]")) cell.textContent = S.num(progress[cell.dataset.count]);
        const summary = row.querySelector(".outcome-summary");
        if (summary) summary.textContent = `${S.num(progress.done)} of ${S.num(progress.total)} looked at`;
      },
    });
    loadList();
  }

  // ---- One job ------------------------------------------------------------------------------------------
  let currentJob = null;

  async function loadJob(jobId) {
    const result = await S.api("GET", "/api/v1/history/jobs/" + encodeURIComponent(jobId));
    if (!result.ok) {
      S.say($("job-message"), S.problemMessage(result, "Could not load the job"), "error");
      $("job-title").textContent = result.status === 404 ? "Job not found" : "Job";
      return;
    }
    const { job, outcome, undo, preview, changeLibraries, clearOrigins } = result.data;
    currentJob = result.data;
    $("job-title").textContent = "#" + job.id + " " + S.modeName(job) + " · " + S.time(job.startedAt || job.queuedAt);
    const line = $("job-outcome");
    S.clear(line);
    line.append(outcomeBadge(outcome), " ", S.el("span", { class: "outcome-summary" }, outcome.summary));

    const c = job.counts || {};
    const rows = [
      ["Trigger", job.trigger], ["Libraries", (job.libraries || []).join(", ") || "all"], ["Duration", S.jobDuration(job)],
      ["Counts", `${S.num(c.total)} total · ${S.num(c.done)} looked at · ${S.num(c.rated)} rated · ${S.num(c.updated)} updated · ` +
        `${S.num(c.restored)} restored · ${S.num(c.cleared)} cleared · ${S.num(c.skipped)} skipped · ${S.num(c.failed)} failed`],
    ];
    if (job.description) rows.unshift(["Request", job.description]);
    if (job.error) rows.push(["Error", job.error]);
    const marks = undoMarks(undo);
    if (marks && marks.length) rows.push(["Undo", marks]);
    if (clearOrigins) {
      rows.push([job.dryRun ? "Would clear" : "Cleared",
        `${S.num(clearOrigins.byHand)} set by hand · ${S.num(clearOrigins.byStarSync)} set by StarSync`]);
    }
    if (preview && preview.comparison) rows.push(["Preview", [preview.comparison, " ", jobLink(preview.previewJobId)]]);
    if (preview && preview.appliedBy && preview.appliedBy.length) {
      const links = [];
      preview.appliedBy.forEach((id, i) => { if (i) links.push(", "); links.push(jobLink(id)); });
      rows.push(["Applied by", links]);
    }
    const summary = $("job-summary");
    S.clear(summary);
    for (const [term, value] of rows) summary.append(S.el("dt", {}, term), S.el("dd", {}, value));

    $("undo").disabled = !undo.canUndo;
    $("undo").hidden = job.dryRun || job.mode === "undo" || job.mode === "undo-all";
    $("undo-reason").textContent = undo.canUndo ? (undo.status === "partly-undone" ? "Undo puts back what the earlier undo left." : "") : (undo.reason || "");

    const apply = $("apply-preview");
    apply.hidden = !job.dryRun || !S.isFinished(job);
    apply.textContent = job.mode === "undo" || job.mode === "undo-all" ? "Undo for real" : job.mode === "clear" ? "Clear for real" : "Apply this preview";

    const library = $("changes-library");
    if (library.options.length <= 1) {
      for (const name of changeLibraries || []) library.append(S.el("option", { value: name }, name));
      library.value = params().get("library") || "";
    }
    $("changes-csv").href = S.url("/api/v1/history/jobs/" + encodeURIComponent(job.id) + "/changes.csv");
  }

  async function loadChanges(jobId) {
    const p = params();
    const page = intParam(p, "page", 1), pageSize = intParam(p, "pageSize", 50);
    const api = new URLSearchParams({ page, pageSize });
    for (const name of ["state", "library", "q", "rule"]) if (p.get(name)) api.set(name, p.get(name));
    $("changes-state").value = p.get("state") || "";
    $("changes-library").value = p.get("library") || "";
    $("changes-q").value = p.get("q") || "";
    $("changes-rule").value = p.get("rule") || "";
    const result = await S.api("GET", "/api/v1/history/jobs/" + encodeURIComponent(jobId) + "/changes?" + api);
    const body = $("changes-body");
    S.clear(body);
    if (!result.ok) { S.say($("job-message"), S.problemMessage(result, "Could not load the changes"), "error"); return; }
    const { total, items } = result.data;
    for (const change of items) {
      body.append(S.el("tr", {},
        S.el("td", {}, change.artist), S.el("td", {}, change.album), S.el("td", {}, trackLink(change, change.title)),
        S.el("td", {}, change.library), S.el("td", {}, S.stars(change.oldValue)), S.el("td", {}, S.stars(change.newValue)),
        S.el("td", {}, S.el("span", { class: "state state-" + change.state }, change.state.replace("-", " "))),
        S.el("td", { class: "reason" }, change.reason),
        S.el("td", {}, change.rule || "")));
    }
    if (!items.length) {
      const filtered = ["state", "library", "q", "rule"].some(n => p.get(n));
      body.append(S.el("tr", {}, S.el("td", { colspan: 9, class: "muted" }, filtered ? "No change matches." : "No changes.")));
    }
    renderPager($("changes-pager"), page, pageSize, total, (pg, size) => { go({ page: pg, pageSize: size }); loadChanges(jobId); });
  }

  function initJob(jobId) {
    $("changes-filter").addEventListener("submit", e => {
      e.preventDefault();
      go({ state: $("changes-state").value, library: $("changes-library").value, q: $("changes-q").value.trim(), rule: $("changes-rule").value.trim(), page: null });
      loadChanges(jobId);
    });
    window.addEventListener("popstate", () => loadChanges(jobId));

    const queued = (text, id) => {
      S.clear($("job-message"));
      $("job-message").classList.remove("error");
      $("job-message").append(text, S.el("a", { href: S.url("/history/" + encodeURIComponent(id)) }, "Follow job #" + id), ".");
    };

    const dialog = $("undo-dialog");
    $("undo").addEventListener("click", () => dialog.showModal());
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "confirm") return;
      const dryRun = $("undo-dry-run").checked;
      const result = await S.api("POST", "/api/v1/jobs/" + encodeURIComponent(jobId) + "/undo", { dryRun });
      if (!result.ok) { S.say($("job-message"), S.problemMessage(result, "Could not undo"), "error"); loadJob(jobId); return; }
      queued(dryRun ? "Preview of the undo queued; it offers “Undo for real” when it has finished. " : "Undo queued. ", result.data.id);
      loadJob(jobId);
    });

    const applyDialog = $("apply-dialog");
    $("apply-preview").addEventListener("click", () => {
      const clearing = currentJob && currentJob.job.mode === "clear";
      $("apply-confirm-field").hidden = !clearing;
      $("apply-dialog-confirm").textContent = $("apply-preview").textContent;
      applyDialog.showModal();
    });
    applyDialog.addEventListener("close", async () => {
      if (applyDialog.returnValue !== "confirm") return;
      const result = await S.api("POST", "/api/v1/jobs/" + encodeURIComponent(jobId) + "/apply", { confirm: $("apply-confirm").value });
      if (!result.ok) { S.say($("job-message"), S.problemMessage(result, "Could not run it for real"), "error"); return; }
      queued("Running it for real. ", result.data.id);
    });

    let lastRefresh = 0;
    let running = false;
    S.followJob(null, {
      onJob: job => {
        // This job changed, or another finished (an undo of this one changes its undo state).
        if (String(job.id) === String(jobId)) running = !S.isFinished(job);
        if (String(job.id) === String(jobId) || S.isFinished(job)) { loadJob(jobId); if (String(job.id) === String(jobId)) loadChanges(jobId); }
      },
      onProgress: progress => {
        if (String(progress.jobId) !== String(jobId)) return;
        renderJobProgress(progress, running || !(currentJob && S.isFinished(currentJob.job)));
        const now = Date.now();
        if (now - lastRefresh < 1500) return; // a running job's page refreshes at most every 1.5 s
        lastRefresh = now;
        loadJob(jobId);
        loadChanges(jobId);
      },
    });
    loadJob(jobId);
    loadChanges(jobId);
    loadLiveProgress(jobId);
  }

  /** The bar, ETA and per-library rows of this job while it runs (from the same events as the dashboard). */
  let shownProgress = null;
  function renderJobProgress(p, running) {
    if (!S.isNewerProgress(p, shownProgress)) return;
    shownProgress = p;
    const total = Math.max(p.total || 0, p.done || 0);
    $("job-progress").hidden = false;
    $("job-progress-bar").max = total || 1;
    $("job-progress-bar").value = total ? Math.min(p.done || 0, total) : 0;
    $("job-progress-numbers").textContent = S.progressNumbers(p) + (running ? " · ETA " + S.eta(p, true) : "");
    $("job-progress-note").textContent = S.progressNote(p);
    S.renderLibraryProgress($("job-progress-libraries"), p);
  }

  /** A page opened while the job runs shows its progress at once, not from the next event on. */
  async function loadLiveProgress(jobId) {
    const result = await S.api("GET", "/api/v1/status");
    if (!result.ok || !result.data) return;
    S.syncClock(result.data.serverTime);
    const p = result.data.progress;
    if (p && String(p.jobId) === String(jobId)) renderJobProgress(p, true);
  }

  // ---- One track ----------------------------------------------------------------------------------------
  async function initTrack(view) {
    const result = await S.api("GET", "/api/v1/history/tracks/" + encodeURIComponent(view.dataset.ratingKey));
    if (!result.ok) { S.say($("track-message"), S.problemMessage(result, "Could not load the track"), "error"); return; }
    const track = result.data;
    $("track-title").textContent = track.title || ("Track " + track.ratingKey);
    $("track-subtitle").textContent = [track.artist, track.album].filter(Boolean).join(" · ");
    const body = $("track-body");
    for (const change of track.changes) {
      body.append(S.el("tr", {},
        S.el("td", {}, S.time(change.time)),
        S.el("td", {}, jobLink(change.jobId), " ", S.modeName({ mode: change.jobMode, dryRun: change.dryRun })),
        S.el("td", {}, S.stars(change.oldValue)), S.el("td", {}, S.stars(change.newValue)),
        S.el("td", {}, change.state.replace("-", " ")), S.el("td", { class: "reason" }, change.reason)));
    }
  }

  const root = $("history");
  if ($("track-view")) initTrack($("track-view"));
  else if (root && root.dataset.jobId) initJob(root.dataset.jobId);
  else if (root) initList();
})();
