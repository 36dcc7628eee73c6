// Settings: load, edit, validate on the server, show its messages next to the fields.
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const fields = ["libraries", "ratingStyle", "targetRating", "overrideRating", "batchSize", "batchIntervalMinutes", "writeConcurrency", "plexNotifications", "writeMode", "writeBatchSize"];

  // What each style accepts; a value that does not fit is reported, never silently changed.
  const styles = {
    "1star": { min: 0, max: 1, step: 1, help: "1 = one star (Plexamp's ★, stored as 10). 0 = the empty star, a real rating distinct from unrated." },
    "5stars": { min: 1, max: 5, step: 1, help: "Whole stars from 1 to 5." },
    "5stars_half": { min: 0.5, max: 5, step: 0.5, help: "From 0.5 to 5 in half stars." },
  };

  function applyStyle() {
    const style = styles[$("ratingStyle").value] || styles["5stars"];
    const input = $("targetRating");
    input.min = style.min; input.max = style.max; input.step = style.step;
    $("targetRating-help").textContent = style.help;
    checkTarget();
  }

  function checkTarget() {
    const style = styles[$("ratingStyle").value];
    const value = Number($("targetRating").value);
    const fits = style && $("targetRating").value !== "" && value >= style.min && value <= style.max &&
      Math.abs(value / style.step - Math.round(value / style.step)) < 1e-9;
    setError("targetRating", fits || !style ? "" : `For this style the rating must be between ${style.min} and ${style.max} in steps of ${style.step}.`);
    return fits;
  }

  function setError(field, message) {
    const node = $("error-" + field);
    if (node) node.textContent = message || "";
    const input = $(field);
    if (input && input.tagName !== "DIV") {
      if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }
  }

  function clearErrors() { for (const f of fields) setError(f, ""); }

  function fieldFor(key) {
    // Server keys may be "TargetRating", "targetRating" or "$.targetRating".
    const name = key.replace(/^\$\./, "").split(/[.[]/)[0];
    return fields.find(f => f.toLowerCase() === name.toLowerCase());
  }

  function renderLibraries(saved, listed) {
    const node = $("libraries");
    S.clear(node);
    const savedSet = new Set(saved);
    if (listed.ok) {
      for (const lib of listed.data.libraries || []) {
        node.append(S.el("label", { class: "check" },
          S.el("input", { type: "checkbox", name: "libraries", value: lib.title, checked: savedSet.has(lib.title) }),
          lib.title, S.el("span", { class: "muted" }, lib.excluded ? ` · not covered: ${lib.excluded}` : ` · ${S.num(lib.total)} tracks`)));
      }
      const known = new Set((listed.data.libraries || []).map(l => l.title));
      const missing = new Set([...(listed.data.missing || []), ...saved.filter(n => !known.has(n))]);
      for (const name of missing) {
        node.append(S.el("label", { class: "check missing" },
          S.el("input", { type: "checkbox", name: "libraries", value: name, checked: true }),
          name, S.el("strong", {}, " · not found on the server")));
      }
      if (!node.childElementCount) node.append(S.el("span", { class: "muted" }, "The server has no music libraries."));
    } else {
      node.append(S.el("p", { class: "message error" }, S.problemMessage(listed, "Could not list the server's libraries")));
      for (const name of saved) {
        node.append(S.el("label", { class: "check" }, S.el("input", { type: "checkbox", name: "libraries", value: name, checked: true }), name));
      }
    }
  }

  function fill(settings) {
    $("ratingStyle").value = settings.ratingStyle;
    $("targetRating").value = settings.targetRating;
    $("overrideRating").checked = !!settings.overrideRating;
    $("batchSize").value = settings.batchSize;
    $("batchIntervalMinutes").value = settings.batchIntervalMinutes;
    $("writeConcurrency").value = settings.writeConcurrency;
    $("plexNotifications").checked = settings.plexNotifications !== false;
    $("writeMode").value = settings.writeMode || "auto";
    $("writeBatchSize").value = settings.writeBatchSize;
    $("webhookUrl").value = settings.webhookUrl || "";
    $("apiKey").value = settings.apiKey || "";
    if (settings.webhookSecretSource) pinned("webhook", settings.webhookSecretSource, "WEBHOOK_SECRET");
    if (settings.apiKeySource) pinned("key", settings.apiKeySource, "API_KEY");
    applyStyle();
  }

  // A secret set in the environment wins at every start: the button could not change it, so it is off and says why.
  function pinned(name, source, variable) {
    const fromEnvironment = source === "environment";
    $("regenerate-" + name).disabled = fromEnvironment;
    $(name + "-source").textContent = fromEnvironment
      ? `Set by ${variable} in the environment: change or unset ${variable} and restart StarSync to replace it.`
      : "";
  }

  async function load() {
    const [settings, listed] = await Promise.all([S.api("GET", "/api/v1/settings"), S.api("GET", "/api/v1/libraries")]);
    if (!settings.ok) {
      S.say($("settings-message"), S.problemMessage(settings, "Could not load the settings"), "error");
      renderLibraries([], listed);
      return;
    }
    fill(settings.data);
    renderLibraries(settings.data.libraries || [], listed);
  }

  function intOrNull(id) { const v = $(id).value.trim(); return v === "" ? null : Number(v); }

  $("settings-form").addEventListener("submit", async e => {
    e.preventDefault();
    clearErrors();
    if (!checkTarget()) { $("targetRating").focus(); return; }
    const body = {
      libraries: [...document.querySelectorAll('input[name="libraries"]:checked')].map(i => i.value),
      ratingStyle: $("ratingStyle").value,
      targetRating: Number($("targetRating").value),
      overrideRating: $("overrideRating").checked,
      batchSize: intOrNull("batchSize"),
      batchIntervalMinutes: intOrNull("batchIntervalMinutes"),
      writeConcurrency: intOrNull("writeConcurrency"),
      plexNotifications: $("plexNotifications").checked,
      writeMode: $("writeMode").value,
      writeBatchSize: intOrNull("writeBatchSize"),
    };
    $("save").disabled = true;
    const result = await S.api("PUT", "/api/v1/settings", body);
    $("save").disabled = false;
    if (result.ok) {
      if (result.data) fill({ ...result.data, webhookUrl: $("webhookUrl").value, apiKey: $("apiKey").value, webhookSecretSource: null, apiKeySource: null });
      S.say($("settings-message"), "Saved.", "ok");
      return;
    }
    const errors = (result.problem && result.problem.errors) || {};
    const general = [];
    for (const [key, messages] of Object.entries(errors)) {
      const field = fieldFor(key);
      if (field) setError(field, messages.join(" ")); else general.push(...messages);
    }
    S.say($("settings-message"), general.length ? general.join(" ")
      : Object.keys(errors).length ? "Some settings need fixing; see the messages below each field." : S.problemMessage(result, "Could not save"), "error");
    const firstInvalid = document.querySelector('[aria-invalid="true"]');
    if (firstInvalid) firstInvalid.focus();
  });

  $("ratingStyle").addEventListener("change", applyStyle);
  $("targetRating").addEventListener("input", checkTarget);

  $("test-connection").addEventListener("click", async () => {
    const out = $("connection-result");
    S.say(out, "Testing…");
    const result = await S.api("POST", "/api/v1/settings/test-connection");
    if (!result.ok) { S.say(out, S.problemMessage(result, "Test failed"), "error"); return; }
    const r = result.data;
    S.say(out, r.ok ? `Connected to ${r.serverName}${r.version ? " (version " + r.version + ")" : ""}.` : "Not connected: " + (r.error || "no answer"), r.ok ? "ok" : "error");
  });

  $("regenerate-key").addEventListener("click", async () => {
    if (!confirm("Make a new API key? Scripts using the old key stop working.")) return;
    const result = await S.api("POST", "/api/v1/settings/api-key");
    if (!result.ok) { S.say($("settings-message"), S.problemMessage(result, "Could not make a new key"), "error"); return; }
    $("apiKey").value = result.data.apiKey;
    S.say($("settings-message"), "New API key made.", "ok");
  });

  $("regenerate-webhook").addEventListener("click", async () => {
    if (!confirm("Make a new webhook secret? Plex keeps sending to the old URL until you paste the new one in Plex.")) return;
    const result = await S.api("POST", "/api/v1/settings/webhook-secret");
    if (!result.ok) { S.say($("settings-message"), S.problemMessage(result, "Could not make a new webhook secret"), "error"); return; }
    $("webhookUrl").value = result.data.webhookUrl;
    S.say($("settings-message"), "New webhook URL made: paste it into Plex (Settings → Webhooks).", "ok");
  });

  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const ok = await S.copyFrom($(button.dataset.copy));
      const old = button.textContent;
      button.textContent = ok ? "Copied" : "Select and copy";
      setTimeout(() => { button.textContent = old; }, 1500);
    });
  }

  load();
})();
