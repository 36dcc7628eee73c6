// Dashboard: Plex status, coverage, run buttons, live progress and the live log over server-sent events.
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const levels = { Trace: 0, Debug: 1, Information: 2, Warning: 3, Error: 4, Critical: 5 };
  const shortLevels = { Trace: "TRCE", Debug: "DBUG", Information: "INFO", Warning: "WARN", Error: "FAIL", Critical: "CRIT" };
  const maxLogLines = 2000;

  let currentJob = null;

  // ---- Status -------------------------------------------------------------------------------------------
  async function loadStatus() {
    const result = await S.api("GET", "/api/v1/status");
    const plex = $("plex-status");
    if (!result.ok) {
      S.clear(plex);
      plex.append(S.el("span", { class: "dot error", "aria-hidden": "true" }), S.problemMessage(result, "Status unavailable"));
      return;
    }
    const status = result.data;
    renderPlex(status.plex);
    renderJob(status.current, status.progress, (status.recent || [])[0]);
    renderQueue(status.queue || []);
    renderSchedule(status.schedule);
    renderWebhook(status.lastWebhook);
    renderWritePath(status.writePath);
  }

  function renderWritePath(path) {
    $("write-path-line").textContent = path ? "Writes: " + path.description + "." : "";
  }

  function renderPlex(plex) {
    const node = $("plex-status");
    S.clear(node);
    if (!plex) { node.append(S.el("span", { class: "muted" }, "Unknown")); return; }
    if (plex.ok) {
      node.append(
        S.el("span", { class: "dot ok", "aria-hidden": "true" }),
        S.el("strong", {}, plex.serverName || "Plex"),
        plex.version ? S.el("span", { class: "muted" }, " · version " + plex.version) : null,
        S.el("span", { class: "visually-hidden" }, " (connected)"));
    } else {
      node.append(
        S.el("span", { class: "dot error", "aria-hidden": "true" }),
        S.el("strong", {}, "Not connected. "),
        plex.error || "Plex did not answer.");
    }
  }

  function renderSchedule(schedule) {
    const line = $("schedule-line");
    if (!schedule || !schedule.intervalMinutes) { line.textContent = "Schedule: off."; return; }
    line.textContent = "Schedule: every " + schedule.intervalMinutes + " min" +
      (schedule.nextRunAt ? ", next run " + S.time(schedule.nextRunAt) + "." : ".");
  }

  function renderWebhook(hook) {
    const line = $("webhook-line");
    if (!hook) { line.textContent = "Last webhook: none received yet."; return; }
    line.textContent = "Last webhook: " + hook.event + (hook.item ? " (" + hook.item + ")" : "") +
      " at " + S.time(hook.receivedAt) + (hook.outcome ? ": " + hook.outcome : "");
  }

  function renderQueue(queue) {
    $("queue-line").textContent = queue.length ? "Queued: " + queue.map(S.modeName).join(", ") + "." : "";
  }

  function renderJob(job, progress, lastJob) {
    currentJob = job && !S.isFinished(job) ? job : null;
    $("cancel").disabled = !currentJob;
    const block = $("progress");
    if (!currentJob) {
      // Keep the last run's outcome in view (a finished bar at 100%) until the next job starts.
      if (!lastJob) { block.hidden = true; return; }
      block.hidden = false;
      $("progress-title").textContent = "Last run: " + S.modeName(lastJob) + " · " + lastJob.status;
      const c = lastJob.counts || {};
      renderProgress(Object.assign({ writesPerSecond: null, etaSeconds: null }, c), lastJob.mode);
      return;
    }
    block.hidden = false;
    $("progress-title").textContent = S.modeName(currentJob) + " · " + currentJob.status;
    if (progress) renderProgress(progress, currentJob.mode);
  }

  // The first counter says what the job does: an undo restores, a reset clears, everything else rates.
  function mainCount(p, mode) {
    if (mode === "undo" || mode === "undo-all") return ["Restored", p.restored];
    if (mode === "clear") return ["Cleared", p.cleared];
    return ["Rated", p.rated];
  }

  function renderProgress(p, mode) {
    mode = mode || (currentJob && currentJob.mode);
    $("progress").hidden = false;
    const total = Math.max(p.total || 0, 0);
    const bar = $("progress-bar");
    bar.max = total || 1;
    bar.value = Math.min(p.done || 0, total || 1);
    $("progress-numbers").textContent = S.num(p.done) + " / " + S.num(total) + (p.library ? " · " + p.library : "");
    const [label, count] = mainCount(p, mode);
    $("p-rated-label").textContent = label;
    $("p-rated").textContent = S.num(count);
    $("p-updated").textContent = S.num(p.updated);
    $("p-skipped").textContent = S.num(p.skipped);
    $("p-failed").textContent = S.num(p.failed);
    $("p-rate").textContent = p.writesPerSecond == null ? "–" : p.writesPerSecond.toFixed(1);
    $("p-eta").textContent = S.duration(p.etaSeconds);
  }

  // ---- Coverage -----------------------------------------------------------------------------------------
  async function loadCoverage() {
    const node = $("coverage");
    const result = await S.api("GET", "/api/v1/libraries");
    S.clear(node);
    if (!result.ok) { node.append(S.el("p", { class: "message error" }, S.problemMessage(result, "Libraries unavailable"))); return; }
    const libraries = result.data.libraries || [];
    if (!libraries.length) node.append(S.el("p", { class: "muted" }, "No music libraries on this server."));
    for (const lib of libraries) {
      const pct = lib.total ? Math.round(100 * lib.rated / lib.total) : 0;
      node.append(S.el("div", { class: "coverage-row" },
        S.el("span", {}, lib.title, lib.selected ? "" : S.el("span", { class: "muted" }, " (not selected)")),
        S.el("div", { class: "coverage-bar", role: "img", "aria-label": lib.title + ": " + pct + "% rated" },
          barFill(pct)),
        S.el("span", { class: "numbers" }, S.num(lib.rated) + " rated · " + S.num(lib.unrated) + " unrated")));
    }
    for (const name of result.data.missing || []) {
      node.append(S.el("p", { class: "message error" }, "Selected library \"" + name + "\" no longer exists on the server."));
    }
  }

  // Set through the CSSOM: the Content-Security-Policy forbids inline style attributes.
  function barFill(pct) {
    const fill = S.el("span", {});
    fill.style.width = pct + "%";
    return fill;
  }

  async function loadBatchSize() {
    const result = await S.api("GET", "/api/v1/settings");
    if (result.ok && result.data && result.data.batchSize) {
      $("recent-count").value = result.data.batchSize;
      $("recent-count-label").textContent = result.data.batchSize;
    }
  }

  // ---- Actions ------------------------------------------------------------------------------------------
  async function startJob(body) {
    const message = $("run-message");
    S.say(message, "Starting…");
    const result = await S.api("POST", "/api/v1/jobs", body);
    if (!result.ok) { S.say(message, S.problemMessage(result, "Could not start"), "error"); return; }
    S.say(message, "Queued: " + S.modeName(result.data) + ".", "ok");
    loadStatus();
  }

  $("rate-all").addEventListener("click", () => startJob({ mode: "all", dryRun: $("dry-run").checked }));
  $("rate-recent").addEventListener("click", () => {
    const count = parseInt($("recent-count").value, 10);
    if (!(count > 0)) { S.say($("run-message"), "Enter how many recently added tracks to rate (1 or more).", "error"); $("recent-count").focus(); return; }
    startJob({ mode: "recent", count, dryRun: $("dry-run").checked });
  });
  $("recent-count").addEventListener("input", () => { $("recent-count-label").textContent = $("recent-count").value || "?"; });
  $("cancel").addEventListener("click", async () => {
    const result = await S.api("POST", "/api/v1/jobs/cancel");
    S.say($("run-message"), result.ok ? "Cancelling…" : S.problemMessage(result, "Could not cancel"), result.ok ? "" : "error");
  });

  // ---- Live log -----------------------------------------------------------------------------------------
  const log = $("log");
  let lastLogId = null;
  let source = null;
  let retryDelay = 1000;

  function visible(entryLevel) { return (levels[entryLevel] ?? 2) >= Number($("log-level").value); }

  function appendLog(entry) {
    const li = S.el("li", { "data-level": entry.level, hidden: !visible(entry.level) },
      S.el("time", { datetime: entry.time }, S.clock(entry.time)),
      S.el("span", { class: "lvl lvl-" + entry.level }, shortLevels[entry.level] || entry.level),
      S.el("span", { class: "cat" }, shortCategory(entry.category)),
      entry.message,
      entry.exception ? S.el("span", { class: "exc" }, entry.exception) : null);
    const follow = $("log-autoscroll").checked;
    log.append(li);
    while (log.childElementCount > maxLogLines) log.firstElementChild.remove();
    if (follow) log.scrollTop = log.scrollHeight;
  }

  function shortCategory(category) {
    const parts = (category || "").split(".");
    return parts[parts.length - 1];
  }

  function setState(text, tone) {
    const badge = $("log-state");
    badge.textContent = text;
    badge.className = "badge" + (tone ? " " + tone : "");
  }

  function connect() {
    // EventSource resends Last-Event-ID itself when it reconnects; a new EventSource (after a hard failure) cannot,
    // so the last id also goes in the query string.
    const url = S.url("/api/v1/events") + (lastLogId ? "?lastEventId=" + encodeURIComponent(lastLogId) : "");
    source = new EventSource(url);
    source.addEventListener("ready", () => { setState("Live", "ok"); retryDelay = 1000; });
    source.addEventListener("log", e => {
      const id = Number(e.lastEventId);
      if (lastLogId !== null && id <= lastLogId) return; // already shown
      lastLogId = id;
      appendLog(JSON.parse(e.data));
    });
    source.addEventListener("progress", e => renderProgress(JSON.parse(e.data)));
    source.addEventListener("job", e => {
      const job = JSON.parse(e.data);
      if (S.isFinished(job)) { loadCoverage(); S.say($("run-message"), ""); }
      loadStatus();
    });
    source.addEventListener("error", async () => {
      if (source.readyState === EventSource.CONNECTING) { setState("Reconnecting…", "error"); return; }
      // Closed for good (server down, or the session ended: the API call below redirects to the login page then).
      setState("Disconnected, retrying…", "error");
      source.close();
      await S.api("GET", "/api/v1/status");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  $("log-level").addEventListener("change", () => {
    for (const li of log.children) li.hidden = !visible(li.dataset.level);
    if ($("log-autoscroll").checked) log.scrollTop = log.scrollHeight;
  });
  $("log-clear").addEventListener("click", () => S.clear(log));
  log.addEventListener("scroll", () => {
    // Scrolling up to read pauses following; scrolling back to the bottom resumes it.
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
    $("log-autoscroll").checked = atBottom;
  });

  loadStatus();
  loadCoverage();
  loadBatchSize();
  connect();
  setInterval(loadStatus, 30000);
})();
