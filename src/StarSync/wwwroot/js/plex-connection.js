// Settings → Plex connection: load, reveal the token, test with the form's values before saving, save.
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);
  const form = $("plex-connection");
  if (!form) return;
  const variables = { plexUrl: "PLEX_URL", plexToken: "PLEX_TOKEN" };

  function setError(field, message) {
    $("error-" + field).textContent = message || "";
    if (message) $(field).setAttribute("aria-invalid", "true"); else $(field).removeAttribute("aria-invalid");
  }

  // The environment wins over Settings: such a field is read-only and says where to change it.
  function source(field, from) {
    const pinned = from === "environment";
    $(field).readOnly = pinned;
    $(field + "-source").textContent = pinned
      ? `Set by ${variables[field]} in the environment (or .env), which wins over this field: change or unset ${variables[field]} and restart StarSync to change it here.`
      : from === "settings.json" ? "Saved in settings.json." : "Not set yet.";
  }

  function fill(data) {
    $("plexUrl").value = data.url || "";
    $("plexToken").value = data.token || "";
    source("plexUrl", data.urlSource);
    source("plexToken", data.tokenSource);
    form.dataset.configured = data.configured ? "true" : "false";
  }

  async function load() {
    const result = await S.api("GET", "/api/v1/plex");
    if (!result.ok) { S.say($("plex-test-result"), S.problemMessage(result, "Could not load the Plex connection"), "error"); return; }
    fill(result.data);
  }

  $("plexToken-reveal").addEventListener("click", () => {
    const input = $("plexToken");
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    $("plexToken-reveal").setAttribute("aria-pressed", String(show));
    $("plexToken-reveal").textContent = show ? "Hide token" : "Show token";
  });

  function showLibraries(names) {
    const list = $("plex-test-libraries");
    S.clear(list);
    list.hidden = !names;
    if (!names) return;
    list.append(S.el("li", {}, names.length ? "Music libraries: " + names.join(", ") + "." : "This server has no music library yet."));
  }

  $("plex-test").addEventListener("click", async () => {
    const out = $("plex-test-result");
    setError("plexUrl", ""); setError("plexToken", "");
    showLibraries(null);
    S.say(out, "Testing…");
    $("plex-test").disabled = true;
    const result = await S.api("POST", "/api/v1/plex/test", { url: $("plexUrl").value, token: $("plexToken").value });
    $("plex-test").disabled = false;
    if (!result.ok) { S.say(out, S.problemMessage(result, "Test failed"), "error"); return; }
    const r = result.data;
    S.say(out, r.ok ? r.message : "Not connected: " + r.message, r.ok ? "ok" : "error");
    out.dataset.state = r.state;
    if (r.ok) showLibraries(r.musicLibraries || []);
  });

  form.addEventListener("submit", async e => {
    e.preventDefault();
    setError("plexUrl", ""); setError("plexToken", "");
    showLibraries(null);
    const out = $("plex-test-result");
    $("plex-save").disabled = true;
    const result = await S.api("PUT", "/api/v1/plex", { url: $("plexUrl").value, token: $("plexToken").value });
    $("plex-save").disabled = false;
    if (result.ok) {
      fill(result.data);
      $("plex-connection-title").textContent = "Plex connection";
      S.say(out, "Saved. StarSync uses this connection from now on.", "ok");
      if (window.StarSync.checkHealth) window.StarSync.checkHealth();
      return;
    }
    const errors = (result.problem && result.problem.errors) || {};
    const general = [];
    for (const [key, messages] of Object.entries(errors)) {
      if (key === "plexUrl" || key === "plexToken") setError(key, messages.join(" ")); else general.push(...messages);
    }
    S.say(out, general.length ? general.join(" ") : Object.keys(errors).length ? "Not saved: see the messages below the fields." : S.problemMessage(result, "Could not save"), "error");
    const invalid = form.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
  });

  load();
})();
