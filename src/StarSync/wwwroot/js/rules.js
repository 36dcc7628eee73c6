// Rating rules editor: add, reorder, edit, remove; preview per rule; the server validates and its messages are shown
// at the field they name ("rules[2].when.playsAtLeast"). Text goes in through textContent only.
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const list = $("rule-list");
  let rules = [];
  let counts = {};
  let style = "5stars";
  let example = [];
  let plexLibraries = null; // music libraries Plex has; null when Plex could not be asked
  let librariesProblem = null;
  // When the previewed signals were read: the server's age in seconds at the answer, plus the time since on this page.
  let signals = null;

  // Conditions as the editor shows them: [key, label, kind].
  const conditions = [
    ["playsAtLeast", "Plays at least", "int"], ["playsAtMost", "Plays at most", "int"],
    ["skipsAtLeast", "Skips at least", "int"], ["skipsAtMost", "Skips at most", "int"],
    ["lastPlayedOlderThanDays", "Last played more than N days ago", "int"], ["lastPlayedWithinDays", "Played within N days", "int"],
    ["neverPlayed", "Never played", "bool"], ["addedWithinDays", "Added within N days", "int"],
    ["durationUnderSeconds", "Shorter than N seconds", "int"], ["durationOverSeconds", "Longer than N seconds", "int"],
    ["albumGenres", "Album genre (any of, comma-separated)", "list"], ["albumMoods", "Album mood (any of)", "list"],
    ["albumStyles", "Album style (any of)", "list"], ["live", "Live album", "bool"], ["compilation", "Compilation", "bool"],
    ["artistContains", "Artist contains", "text"], ["albumContains", "Album contains", "text"],
  ];

  function errorNode(path) { return S.el("p", { class: "field-error", "data-error": path }); }

  function field(path, label, input) {
    input.id = "f-" + path.replace(/[^a-zA-Z0-9]/g, "-");
    input.dataset.field = path;
    return S.el("div", {}, S.el("label", { for: input.id }, label), input, errorNode(path));
  }

  function triSelect(value) {
    const select = S.el("select", {},
      S.el("option", { value: "" }, "any"), S.el("option", { value: "true" }, "yes"), S.el("option", { value: "false" }, "no"));
    select.value = value === true ? "true" : value === false ? "false" : "";
    return select;
  }

  function render() {
    S.clear(list);
    rules.forEach((rule, i) => list.append(renderRule(rule, i)));
    $("rules-mode").textContent = rules.length === 1 && rules[0].name === "Default" && Object.keys(rules[0].when || {}).length === 0
      ? "default rule" : rules.length + " rules";
  }

  function renderRule(rule, i) {
    const p = `rules[${i}]`;
    const when = rule.when || {};
    const then = rule.then || { kind: "fixed" };
    const name = S.el("input", { type: "text", class: "rule-name", value: rule.name || "", "aria-label": `Rule ${i + 1} name`, maxlength: 60 });
    name.dataset.field = p + ".name";
    name.addEventListener("input", () => { rules[i].name = name.value; });
    const count = counts[rule.name];
    const head = S.el("div", { class: "rule-head" },
      S.el("span", { class: "rule-no" }, String(i + 1) + "."), name,
      S.el("span", { class: "badge rule-count", title: "unrated tracks this rule takes (last preview)", hidden: count === undefined }, count === undefined ? "" : S.num(count) + " tracks"),
      S.el("button", { type: "button", class: "btn btn-quiet", "aria-label": `Move rule ${i + 1} up`, disabled: i === 0, onclick: () => move(i, -1) }, "↑"),
      S.el("button", { type: "button", class: "btn btn-quiet", "aria-label": `Move rule ${i + 1} down`, disabled: i === rules.length - 1, onclick: () => move(i, 1) }, "↓"),
      S.el("button", { type: "button", class: "btn btn-danger", "aria-label": `Remove rule ${i + 1}`, onclick: () => { rules.splice(i, 1); render(); edited(); } }, "Remove"));

    const grid = S.el("div", { class: "rule-grid" }, libraryChoice(rule, i, p + ".libraries"));
    for (const [key, label, kind] of conditions) {
      const path = `${p}.when.${key}`;
      let input;
      if (kind === "bool") input = triSelect(when[key]);
      else if (kind === "int") input = S.el("input", { type: "number", min: 0, step: 1, inputmode: "numeric", value: when[key] ?? "" });
      else input = S.el("input", { type: "text", value: kind === "list" ? (when[key] || []).join(", ") : (when[key] ?? "") });
      input.addEventListener(kind === "bool" ? "change" : "input", () => setCondition(i, key, kind, input.value));
      grid.append(field(path, label, input));
    }

    const kind = S.el("select", {}, S.el("option", { value: "fixed" }, "Rate"), S.el("option", { value: "inherit" }, "Inherit from album / artist"),
      S.el("option", { value: "unrated" }, "Leave unrated"));
    kind.value = then.kind || "fixed";
    const value = S.el("input", { type: "number", step: style === "5stars_half" ? 0.5 : 1, min: style === "1star" ? 0 : style === "5stars" ? 1 : 0.5, max: style === "1star" ? 1 : 5, value: then.value ?? "" });
    const minRated = S.el("input", { type: "number", min: 1, step: 1, value: then.minRated ?? 3 });
    const prior = S.el("input", { type: "number", min: 0, step: 0.5, value: then.priorWeight ?? 2 });
    const valueField = field(p + ".then.value", "Stars", value);
    const minField = field(p + ".then.minRated", "At least K hand ratings", minRated);
    const priorField = field(p + ".then.priorWeight", "Prior weight", prior);
    function syncThen() {
      const k = kind.value;
      rules[i].then = k === "fixed" ? { kind: k, value: value.value === "" ? null : Number(value.value) }
        : k === "inherit" ? { kind: k, minRated: Number(minRated.value || 3), priorWeight: Number(prior.value || 2) } : { kind: k };
      valueField.hidden = k !== "fixed";
      minField.hidden = priorField.hidden = k !== "inherit";
    }
    for (const input of [kind, value, minRated, prior]) input.addEventListener("input", syncThen);
    kind.addEventListener("change", syncThen);
    const thenRow = S.el("div", { class: "rule-then" }, field(p + ".then.kind", "Then", kind), valueField, minField, priorField);
    syncThen();
    return S.el("li", { class: "rule", "data-rule": i }, head, errorNode(p + ".name"), errorNode(p), grid, thenRow);
  }

  // The scope: one checkbox per music library Plex has, plus any saved name Plex does not have (ticked, marked, so it
  // can be unticked; the server's message at the field names it). None ticked = every library the job rates.
  function libraryChoice(rule, i, path) {
    const chosen = rule.libraries || [];
    const same = (a, b) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;
    const known = plexLibraries || [];
    const names = [...known, ...chosen.filter(c => !known.some(k => same(k, c)))];
    const box = S.el("fieldset", { class: "library-choice", "data-field": path, tabindex: "-1" },
      S.el("legend", {}, "Libraries"));
    names.forEach((name, n) => {
      const unknown = !known.some(k => same(k, name));
      const input = S.el("input", { type: "checkbox", id: `f-${path.replace(/[^a-zA-Z0-9]/g, "-")}-${n}`, value: name });
      input.checked = chosen.some(c => same(c, name));
      input.addEventListener("change", () => {
        const now = (rules[i].libraries || []).filter(c => !same(c, name));
        if (input.checked) now.push(name);
        rules[i].libraries = now;
        hint.textContent = now.length ? "" : "None ticked: every library StarSync rates.";
      });
      box.append(S.el("label", { class: "check" + (unknown ? " unknown" : ""), for: input.id }, input,
        unknown ? `${name} (not in Plex)` : name));
    });
    const hint = S.el("p", { class: "muted" }, chosen.length ? "" : "None ticked: every library StarSync rates.");
    box.append(hint);
    if (plexLibraries === null) box.append(S.el("p", { class: "muted" }, `Plex's libraries could not be listed (${librariesProblem || "no answer"}).`));
    return S.el("div", { class: "rule-libraries" }, box, errorNode(path));
  }

  function splitList(text) { return text.split(",").map(s => s.trim()).filter(s => s.length); }

  function setCondition(i, key, kind, raw) {
    const when = rules[i].when = rules[i].when || {};
    const text = raw.trim();
    if (text === "") { delete when[key]; return; }
    if (kind === "bool") when[key] = text === "true";
    else if (kind === "int") when[key] = Number(text);
    else if (kind === "list") when[key] = splitList(text);
    else when[key] = text;
  }

  function move(i, by) {
    const [rule] = rules.splice(i, 1);
    rules.splice(i + by, 0, rule);
    render();
    edited();
  }

  function clearErrors() {
    for (const node of document.querySelectorAll("#rules [data-error]")) node.textContent = "";
    for (const node of document.querySelectorAll("#rules [aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  // Puts each server message at the field it names; what has no field goes to the message line.
  function showErrors(result, what, focus = true) {
    clearErrors();
    const errors = (result.problem && result.problem.errors) || {};
    const general = [];
    for (const [key, messages] of Object.entries(errors)) {
      const node = document.querySelector(`#rules [data-error="${CSS.escape(key)}"]`);
      const input = document.querySelector(`#rules [data-field="${CSS.escape(key)}"]`);
      if (node) node.textContent = messages.join(" "); else general.push(...messages);
      if (input) input.setAttribute("aria-invalid", "true");
    }
    S.say($("rules-message"), general.length ? general.join(" ")
      : Object.keys(errors).length ? `${what}: some rules need fixing; see the messages at the fields.` : S.problemMessage(result, what), "error");
    const first = document.querySelector('#rules [aria-invalid="true"]');
    if (first && focus) first.focus();
  }

  async function load() {
    const result = await S.api("GET", "/api/v1/rules");
    if (!result.ok) { S.say($("rules-message"), S.problemMessage(result, "Could not load the rules"), "error"); return; }
    style = result.data.ratingStyle;
    rules = result.data.rules;
    example = result.data.example;
    plexLibraries = result.data.libraries ?? null;
    librariesProblem = result.data.librariesProblem ?? null;
    render();
    // Saved rules that name a library Plex does not have: said at the field.
    const errors = result.data.errors || {};
    if (Object.keys(errors).length) showErrors({ problem: { errors } }, "Saved rules");
  }

  function renderPreview(data) {
    const out = $("rule-preview-out");
    S.clear(out);
    counts = {};
    for (const library of data.libraries) {
      const rows = library.rules.map(rule => {
        counts[rule.name] = (counts[rule.name] || 0) + rule.count;
        return S.el("tr", {},
          S.el("td", {}, `${rule.index + 1}. ${rule.name}`),
          S.el("td", { class: "num" }, S.num(rule.count)),
          S.el("td", {}, S.el("div", { class: "hist" }, rule.histogram.map(b => S.el("span", {}, `${b.label} × ${S.num(b.count)}`)))),
          S.el("td", {}, rule.sample.length === 0 ? S.el("span", { class: "muted" }, "–") : S.el("details", {},
            S.el("summary", {}, `${rule.sample.length} examples`),
            S.el("ul", { class: "sample" }, rule.sample.map(s => S.el("li", {}, `${s.artist || "?"} – ${s.title}: ${s.result} (${s.signals.join("; ")})`))))));
      });
      out.append(S.el("div", { class: "preview-lib" },
        S.el("h3", {}, `${library.library}: ${S.num(library.unrated)} unrated tracks, ${S.num(library.unmatched)} taken by no rule`),
        S.el("table", {}, S.el("thead", {}, S.el("tr", {}, S.el("th", {}, "Rule"), S.el("th", {}, "Tracks"), S.el("th", {}, "Resulting values"), S.el("th", {}, "Sample"))),
          S.el("tbody", {}, rows))));
    }
    const cached = data.libraries.length > 0 && data.libraries.every(l => l.fromCache);
    out.append(S.el("p", { class: "muted" }, `Nothing was written. Preview took ${S.num(data.elapsedMs)} ms` +
      (cached ? " (from the signals already read, in memory)." : " (read from Plex).")));
    updateCounts();
  }

  // The per-rule badges, in place: re-rendering the list would take the field being typed in away from under the cursor.
  function updateCounts() {
    rules.forEach((rule, i) => {
      const badge = list.querySelector(`li[data-rule="${i}"] .rule-count`);
      if (!badge) return;
      const count = counts[rule.name];
      badge.hidden = count === undefined;
      badge.textContent = count === undefined ? "" : S.num(count) + " tracks";
    });
  }

  $("rule-add").addEventListener("click", () => {
    rules.push({ name: "Rule " + (rules.length + 1), libraries: [], when: {}, then: { kind: "fixed", value: style === "1star" ? 1 : 3 } });
    render();
    edited();
    list.lastElementChild.querySelector(".rule-name").focus();
  });
  $("rule-example").addEventListener("click", () => { rules = structuredClone(example); render(); });
  $("rule-default").addEventListener("click", async () => {
    const result = await S.api("PUT", "/api/v1/rules", { rules: null });
    if (!result.ok) { showErrors(result, "Could not reset"); return; }
    rules = result.data.rules; render();
    S.say($("rules-message"), "Back to the default rule (the rating and override settings above).", "ok");
  });
  // "Signals read 40 s ago": a preview after the first is evaluated from the signals kept on the server; Refresh reads
  // Plex again. The age is counted on from the server's answer, so this page needs no clock agreement with the server.
  function ago(seconds) {
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${Math.floor(seconds)} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    return `${Math.floor(seconds / 3600)} h ${Math.floor(seconds % 3600 / 60)} min ago`;
  }

  function showSignals() {
    if (!signals) return;
    $("rule-signals-age").textContent = "Signals read " + ago(signals.age + (performance.now() - signals.at) / 1000);
  }
  setInterval(showSignals, 5000);

  function renderSignals(data) {
    const line = $("rule-signals");
    const note = $("rule-signals-note");
    if (!data.signalsReadAt) { line.hidden = note.hidden = true; signals = null; return; }
    signals = { age: data.signalsAgeSeconds, at: performance.now() };
    line.hidden = false;
    showSignals();
    const notKept = data.libraries.filter(l => l.notKept);
    note.hidden = notKept.length === 0;
    note.textContent = notKept.map(l => `${l.library}: not kept between previews (${l.notKept}), so each preview reads it from Plex again.`).join(" ");
  }

  // Once every library's signals are kept, a preview costs milliseconds, so it follows the edit by itself ("Update as
  // I edit"): 400 ms after the last change, one at a time; a change during a preview asks for one more after it.
  let kept = false;
  let running = false;
  let again = false;
  let timer = 0;
  let autoError = false;

  async function preview(refresh, auto) {
    if (running) { again = true; return; }
    running = true;
    clearTimeout(timer);
    if (!auto) { clearErrors(); S.say($("rules-message"), refresh ? "Reading the libraries from Plex again…" : "Previewing…"); }
    $("rule-preview").disabled = $("rule-refresh").disabled = true;
    const result = await S.api("POST", "/api/v1/rules/preview", refresh ? { rules, refresh: true } : { rules });
    $("rule-preview").disabled = $("rule-refresh").disabled = false;
    running = false;
    if (!result.ok) {
      // While typing, the message goes to its field but the cursor stays where it is.
      showErrors(result, "Preview failed", !auto);
      autoError = auto;
    } else {
      // An update while editing says nothing on the message line (it may hold "Rules saved."), unless it clears its own error.
      if (auto) clearErrors();
      if (!auto) S.say($("rules-message"), "Preview ready (nothing saved yet).", "ok");
      else if (autoError) S.say($("rules-message"), "");
      autoError = false;
      renderPreview(result.data);
      renderSignals(result.data);
      kept = result.data.libraries.every(l => l.fromCache || !l.notKept);
    }

    if (again) { again = false; preview(false, true); }
  }

  function edited() {
    if (!kept || !$("rule-live").checked) return;
    if (running) { again = true; return; }
    clearTimeout(timer);
    timer = setTimeout(() => preview(false, true), 400);
  }

  list.addEventListener("input", edited);
  list.addEventListener("change", edited);
  $("rule-preview").addEventListener("click", () => preview(false, false));
  $("rule-refresh").addEventListener("click", () => preview(true, false));
  $("rule-save").addEventListener("click", async () => {
    clearErrors();
    const result = await S.api("PUT", "/api/v1/rules", { rules });
    if (!result.ok) { showErrors(result, "Rules not saved"); return; }
    rules = result.data.rules; render();
    S.say($("rules-message"), "Rules saved.", "ok");
  });

  load();
})();
