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
    renderRecent(status.recent || []);
    renderNotifications(status.notifications);
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

  // The Tasks card, in the manner of Sonarr's System > Tasks: what runs on its own, when it ran, when it runs next.
  let schedule = null;
  function renderSchedule(value) {
    schedule = value;
    if (!schedule) return;
    $("task-batch").textContent = S.num(schedule.batchSize) + " tracks";
    $("task-interval").textContent = schedule.intervalMinutes ? "every " + every(schedule.intervalMinutes) : "off";
    const last = schedule.lastRun;
    const cell = $("task-last");
    S.clear(cell);
    if (last) {
      cell.append(S.el("a", { href: S.url("/history/" + last.id) }, S.relative(last.startedAt || last.queuedAt)), " · ", S.statusBadge(last.status));
    } else {
      cell.append(S.el("span", { class: "muted" }, "never"));
    }
    $("task-duration").textContent = last ? S.jobDuration(last) : "–";
    renderNextRun();
  }

  function every(minutes) {
    if (minutes < 60) return minutes + " min";
    if (minutes % 1440 === 0) return minutes === 1440 ? "day" : (minutes / 1440) + " days";
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return h + " h" + (m ? " " + m + " min" : "");
  }

  function renderNextRun() {
    const cell = $("task-next");
    if (!schedule || !schedule.intervalMinutes || !schedule.nextRunAt) { cell.textContent = "off"; cell.title = ""; return; }
    cell.textContent = S.relative(schedule.nextRunAt) + " (" + S.clock(schedule.nextRunAt) + ")";
    cell.title = S.time(schedule.nextRunAt);
  }

  // The summary is computed by the server (attempt, seconds to the next try, the reason); only times are local.
  function renderNotifications(n) {
    const line = $("notifications-line");
    const last = $("notifications-event");
    if (!n) { line.textContent = ""; last.textContent = ""; return; }
    const text = n.state === "connected" && n.since ? "connected since " + S.time(n.since) : n.summary;
    line.textContent = text + (n.framesDropped ? " (" + n.framesDropped + " unreadable frame(s) skipped)" : "") + ".";
    line.classList.toggle("alert-error", n.state === "stopped");
    last.textContent = n.lastEvent ? "Last event: " + n.lastEvent.description + ", " + S.relative(n.lastEvent.at) + "." : "";
    last.title = n.lastEvent ? S.time(n.lastEvent.at) : "";
  }

  function renderWebhook(hook) {
    const line = $("webhook-line");
    if (!hook) { line.textContent = "none received yet (optional: needs Plex Pass and the URL from Settings; Plex's notifications already announce new music)."; return; }
    line.textContent = hook.event + (hook.item ? " (" + hook.item + ")" : "") +
      ", " + S.relative(hook.receivedAt) + (hook.outcome ? ": " + hook.outcome : "");
    line.title = S.time(hook.receivedAt);
  }
  function renderRecent(jobs) {
    const list = $("recent-jobs");
    S.clear(list);
    if (!jobs.length) { list.append(S.el("li", { class: "muted" }, "No jobs yet.")); return; }
    for (const job of jobs.slice(0, 5)) {
      list.append(S.el("li", {},
        S.el("a", { href: S.url("/history/" + job.id) }, "#" + job.id + " " + S.modeName(job)),
        S.el("span", {}, S.statusBadge(job.status), " ", S.el("span", { class: "muted", title: S.time(job.startedAt || job.queuedAt) }, S.relative(job.startedAt || job.queuedAt)))));
    }
  }

  function renderQueue(queue) {
    $("queue-line").textContent = queue.length ? "Queued: " + queue.map(S.modeName).join(", ") + "." : "";
  }

  // The "Queued: …" message under the buttons is about one job: it clears as soon as that job starts.
  let queuedJobId = null;

  function renderJob(job, progress, lastJob) {
    // The job may have started (or even ended) before the answer to "start" came back: look at both.
    const started = [job, lastJob].some(j => j && j.id === queuedJobId && j.status !== "queued");
    if (queuedJobId !== null && started) { S.say($("run-message"), ""); queuedJobId = null; }
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
      if (lib.excluded) {
        // Hidden or audiobook libraries: not counted, the reason said (Settings can still select them).
        node.append(S.el("div", { class: "coverage-row excluded" },
          S.el("span", {}, lib.title), S.el("span", { class: "muted" }, "not covered: " + lib.excluded)));
        continue;
      }
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

  // While a job writes, the coverage bars follow it: at most one refresh every 5 s (each costs Plex two counts per library).
  let coverageTimer = null;
  function refreshCoverageSoon() {
    if (coverageTimer !== null) return;
    coverageTimer = setTimeout(() => { coverageTimer = null; loadCoverage(); }, 5000);
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
    queuedJobId = result.data.id;
    loadStatus();
  }

  $("task-run").addEventListener("click", () => startJob({ mode: "unrated-batch", dryRun: false }));

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
    source.addEventListener("progress", e => { renderProgress(JSON.parse(e.data)); refreshCoverageSoon(); });
    source.addEventListener("job", e => {
      const job = JSON.parse(e.data);
      if (queuedJobId !== null && job.id === queuedJobId && job.status !== "queued") { S.say($("run-message"), ""); queuedJobId = null; }
      if (S.isFinished(job)) loadCoverage();
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
  setInterval(renderNextRun, 15000); // "in 3 min" stays true between status refreshes
})();
