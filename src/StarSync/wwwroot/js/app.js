// StarSync shared helpers: JSON API calls with the antiforgery header, safe DOM building, formatting.
// No framework, no build step. Text always goes in through textContent, never innerHTML.
"use strict";

window.StarSync = (() => {
  const tokenMeta = document.querySelector('meta[name="request-verification-token"]');
  // Behind a reverse proxy StarSync may live under a path (URL_BASE); every URL the scripts build starts with it.
  const basePath = (document.querySelector('meta[name="base-path"]') || { content: "" }).content.replace(/\/$/, "");

  /** An app URL under the base path: url("/history/3") -> "/starsync/history/3". */
  function url(path) { return basePath + path; }

  /** Calls the JSON API. Resolves to { ok, status, data, problem }; never throws for HTTP errors. */
  async function api(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") {
      headers["RequestVerificationToken"] = tokenMeta ? tokenMeta.content : "";
    }
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(basePath + url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (e) {
      return { ok: false, status: 0, data: null, problem: { detail: "The StarSync server cannot be reached. Is it running?" } };
    }
    if (response.status === 401) {
      // The session ended (expired or the keys changed): log in again and come back here.
      location.href = basePath + "/login?returnUrl=" + encodeURIComponent(location.pathname + location.search);
      return { ok: false, status: 401, data: null, problem: { detail: "Please log in again." } };
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      try { data = await response.json(); } catch { data = null; }
    }
    if (response.ok) return { ok: true, status: response.status, data, problem: null };
    return { ok: false, status: response.status, data: null, problem: data || { title: response.statusText } };
  }

  /** A one-line, human message for a failed call. */
  function problemMessage(result, what) {
    const p = result.problem || {};
    let text = p.detail || p.title || ("HTTP " + result.status);
    if (result.status === 404 && !p.detail) text = "not available yet (HTTP 404)";
    if (p.errors) {
      const all = Object.values(p.errors).flat();
      if (all.length) text = all.join(" ");
    }
    return what ? what + ": " + text : text;
  }

  /** Creates an element: el("td", { class: "num" }, "12"). Children may be strings, nodes, null or arrays. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, child);
      else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function clear(node) { node.replaceChildren(); }

  /** Sets a status message element's text and tone ("ok" | "error" | ""). */
  function say(node, text, tone) {
    node.textContent = text || "";
    node.classList.remove("ok", "error");
    if (tone) node.classList.add(tone);
  }

  /**
   * Plex 0..10 rating as the user's style draws it: five slots with half stars (7 -> ★★★½☆), or for the one-star
   * style one star (10 -> ★, Plexamp's empty star 0 -> ☆). Unrated is a word, never an empty row of stars.
   */
  function stars(value) {
    if (value === null || value === undefined || value < 0) return el("span", { class: "muted" }, "unrated");
    if (document.body.dataset.ratingStyle === "1star" && (value === 0 || value === 10)) {
      return value === 10
        ? el("span", { class: "stars", role: "img", "aria-label": "one star", title: "one star (10 of 10)" }, "★")
        : el("span", { class: "stars", role: "img", "aria-label": "empty star", title: "empty star (0 of 10)" }, el("span", { class: "empty" }, "☆"));
    }
    const full = Math.floor(value / 2);
    const half = value % 2 >= 1;
    const empty = 5 - full - (half ? 1 : 0);
    const words = (value / 2) + " of 5 stars";
    return el("span", { class: "stars", role: "img", "aria-label": words, title: words },
      "★".repeat(full), half ? "½" : "", el("span", { class: "empty" }, "☆".repeat(empty)));
  }

  const numberFormat = new Intl.NumberFormat();
  function num(value) { return value === null || value === undefined ? "–" : numberFormat.format(value); }

  function time(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  // The browser's clock may differ from the server's by seconds or minutes. Pages that receive the server's time
  // (the status answer's serverTime) set the difference here, and "now" below is the server's now.
  let clockSkewMs = 0;
  /** Takes the server's time (ISO) as received, so relative times are measured against the server's clock. */
  function syncClock(serverIso) {
    const server = new Date(serverIso);
    if (serverIso && !isNaN(server)) clockSkewMs = server - Date.now();
  }
  function now() { return new Date(Date.now() + clockSkewMs); }

  /**
   * A time relative to now, in words: "in 12 min", "3 h ago", "just now". With { past: true } the time is of
   * something that has happened (a job started, an event arrived): never "in a moment", even if the clocks differ.
   */
  function relative(iso, options) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return "–";
    let seconds = Math.round((d - now()) / 1000);
    if (options && options.past && seconds > 0) seconds = 0;
    const abs = Math.abs(seconds);
    if (abs < 45) return seconds > 0 ? "in a moment" : "just now";
    // Minutes up to two hours ("in 90 min" reads better than a rounded "in 2 h"), then hours, then days.
    const [amount, unit] = abs < 7200 ? [Math.round(abs / 60), "min"] : abs < 172800 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86400), "days"];
    return seconds >= 0 ? "in " + amount + " " + unit : amount + " " + unit + " ago";
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString();
  }

  /** Seconds as "1 h 02 min", "3 min 05 s", "12 s". */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) return "–";
    seconds = Math.round(seconds);
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return h + " h " + String(m).padStart(2, "0") + " min";
    if (m) return m + " min " + String(s).padStart(2, "0") + " s";
    return s + " s";
  }

  function jobDuration(job) {
    if (!job || !job.startedAt) return "–";
    const end = job.finishedAt ? new Date(job.finishedAt) : now();
    return duration((end - new Date(job.startedAt)) / 1000);
  }

  const modeNames = {
    "all": "Rate all", "recent": "Last batch", "unrated-batch": "Unrated batch", "items": "New items",
    "undo": "Undo job", "undo-all": "Undo all", "clear": "Clear ratings",
  };
  function modeName(job) { return (modeNames[job.mode] || job.mode) + (job.dryRun ? " (dry run)" : ""); }

  function statusBadge(status) { return el("span", { class: "status status-" + status }, status); }

  function isFinished(job) { return job && ["succeeded", "failed", "cancelled"].includes(job.status); }

  /** Polls a job until it finishes; calls onUpdate with each version. */
  async function waitForJob(id, onUpdate, intervalMs = 1000) {
    for (;;) {
      const result = await api("GET", "/api/v1/jobs/" + encodeURIComponent(id));
      if (!result.ok) throw new Error(problemMessage(result, "Could not follow the job"));
      onUpdate(result.data);
      if (isFinished(result.data)) return result.data;
      await new Promise(r => setTimeout(r, intervalMs));
    }
  }

  // ---- A running job's progress, the same on the dashboard and on the job's History page ----------------
  const libraryStates = { waiting: "waiting", running: "in progress", done: "done" };

  /**
   * Fills a table (thead + tbody) with each library's share of a job: name, "done / total", state. Shown only for
   * jobs over more than one library; the numbers come from the server's progress event as they are.
   */
  function renderLibraryProgress(table, progress) {
    const libraries = (progress && progress.libraries) || [];
    table.hidden = libraries.length < 2;
    const body = table.tBodies[0];
    clear(body);
    for (const lib of libraries) {
      body.append(el("tr", { "data-library": lib.library, "data-state": lib.state },
        el("th", { scope: "row" }, lib.library),
        el("td", { class: "num" }, num(lib.done) + " / " + num(lib.total)),
        el("td", {}, libraryStates[lib.state] || lib.state)));
    }
  }

  /**
   * True when progress p may replace what is shown (shown: the last progress drawn, or null). Events and status
   * answers arrive by different roads, so an answer sent before the latest event can land after it: for one job,
   * done only grows, and anything older is dropped rather than drawn (the bar would step back).
   */
  function isNewerProgress(p, shown) {
    return !shown || shown.jobId !== p.jobId || (p.done || 0) >= (shown.done || 0);
  }

  /** "1,030 / 3,415" beside the bar; "… so far" while a job still finds its work (new items). */
  function progressNumbers(p) {
    return num(p.done) + " / " + num(Math.max(p.total || 0, p.done || 0)) + (p.totalKnown === false ? " so far" : "");
  }

  /** A sentence under the bar when the total is not the plain truth it usually is; "" otherwise. */
  function progressNote(p) {
    if (p.totalCorrected) return "Plex listed more tracks than it counted at the start; the total was raised to match.";
    if (p.totalKnown === false) return "New items are still being read: the total grows as their tracks are found.";
    return "";
  }

  /** The ETA in words: a duration, or "estimating…" while the job is too young to have a rate. */
  function eta(p, running) {
    if (p.etaSeconds !== null && p.etaSeconds !== undefined) return duration(p.etaSeconds);
    return running && p.totalKnown !== false ? "estimating…" : "–";
  }

  // ---- Live jobs: one EventSource per page, shared by everything on it that follows jobs -------------------
  // The server already pushes "job" (queued/started/finished) and "progress" events on /api/v1/events; pages
  // follow them here instead of polling.
  const followers = new Set();
  let source = null;
  let retryDelay = 1000;

  function notify(state) { for (const f of followers) if (f.onState) f.onState(state); }

  function openStream() {
    source = new EventSource(basePath + "/api/v1/events");
    source.addEventListener("ready", () => { retryDelay = 1000; notify("live"); });
    source.addEventListener("job", e => dispatch("onJob", JSON.parse(e.data)));
    source.addEventListener("progress", e => dispatch("onProgress", JSON.parse(e.data)));
    source.addEventListener("error", () => {
      if (source && source.readyState === EventSource.CONNECTING) { notify("reconnecting"); return; }
      if (source) source.close();
      source = null;
      notify("disconnected");
      setTimeout(() => { if (followers.size && !source) openStream(); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function dispatch(kind, data) {
    const id = kind === "onJob" ? data.id : data.jobId;
    for (const f of followers) {
      if (f[kind] && (f.jobId === null || f.jobId === undefined || String(f.jobId) === String(id))) f[kind](data);
    }
  }

  /**
   * Follows jobs live over server-sent events: followJob(12, { onJob, onProgress, onState }) for one job, or
   * followJob(null, ...) for every job. onJob gets the job (queued, started, finished), onProgress its counters as
   * they change, onState "live" | "reconnecting" | "disconnected". Returns a function that stops following.
   */
  function followJob(jobId, handlers) {
    const follower = Object.assign({ jobId }, handlers);
    followers.add(follower);
    if (!source) openStream();
    return () => {
      followers.delete(follower);
      if (!followers.size && source) { source.close(); source = null; }
    };
  }

  /** Copies an input's value; falls back to selection + execCommand on plain http, where the Clipboard API is missing. */
  async function copyFrom(input) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(input.value);
        return true;
      }
    } catch { /* fall through */ }
    input.select();
    try { return document.execCommand("copy"); } catch { return false; }
  }

  /** Theme menu in the footer: Auto follows the system; Light and Dark are kept in this browser (theme.js applies them). */
  function wireTheme() {
    const select = document.getElementById("theme");
    if (!select) return;
    let saved = "auto";
    try { saved = localStorage.getItem("starsync-theme") || "auto"; } catch { /* storage blocked */ }
    select.value = saved;
    select.addEventListener("change", () => {
      const theme = select.value;
      try { localStorage.setItem("starsync-theme", theme); } catch { /* storage blocked: this page only */ }
      if (theme === "auto") delete document.documentElement.dataset.theme;
      else document.documentElement.dataset.theme = theme;
    });
  }

  /** On a phone the navigation folds behind the Menu button. */
  function wireNav() {
    const toggle = document.getElementById("nav-toggle");
    if (!toggle) return;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.closest(".topbar").classList.toggle("nav-open", open);
    });
  }

  /**
   * On a phone, tables are drawn as cards: each cell shows its column's name (CSS reads data-label). Rows are
   * rendered by each page's script at any time, so every table is watched and new cells are labelled as they come.
   */
  function labelCells(table) {
    const heads = [...table.querySelectorAll("thead th")].map(th => th.textContent.trim());
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        [...row.cells].forEach((cell, i) => { if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i] || ""); });
      }
    }
  }
  function wireTables() {
    for (const table of document.querySelectorAll("table.table")) {
      labelCells(table);
      new MutationObserver(() => labelCells(table)).observe(table, { childList: true, subtree: true });
    }
  }

  wireTheme();
  wireNav();
  wireTables();

  return {
    api, url, problemMessage, el, clear, say, stars, num, time, relative, syncClock, clock, duration, jobDuration, modeName,
    statusBadge, isFinished, waitForJob, copyFrom, followJob, renderLibraryProgress, progressNumbers, progressNote, eta, isNewerProgress,
  };
})();
