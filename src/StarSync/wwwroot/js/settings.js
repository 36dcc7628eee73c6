// Settings: what only this page has (the library list from Plex, the rating style's help, the secrets); loading,
// saving, messages, the Save bar, the unsaved-changes guard and "Show advanced" are settings-form.js's.
"use strict";
(() => {
  const S = window.StarSync;
  const $ = id => document.getElementById(id);

  // What each style accepts, as help beside the field; the server checks the value with everything else on Save.
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
  }

  function renderLibraries(saved, listed) {
    const node = $("libraries");
    S.clear(node);
    if (listed.ok) {
      for (const lib of listed.data.libraries || []) {
        node.append(S.el("label", { class: "check" },
          S.el("input", { type: "checkbox", name: "libraries", value: lib.title }),
          lib.title, S.el("span", { class: "muted" }, lib.excluded ? ` · not covered: ${lib.excluded}` : ` · ${S.num(lib.total)} tracks`)));
      }
      const known = new Set((listed.data.libraries || []).map(l => l.title));
      const missing = new Set([...(listed.data.missing || []), ...saved.filter(n => !known.has(n))]);
      for (const name of missing) {
        node.append(S.el("label", { class: "check missing" },
          S.el("input", { type: "checkbox", name: "libraries", value: name }),
          name, S.el("strong", {}, " · not found on the server")));
      }
      if (!node.childElementCount) node.append(S.el("span", { class: "muted" }, "The server has no music libraries."));
    } else {
      node.append(S.el("p", { class: "message error" }, S.problemMessage(listed, "Could not list the server's libraries")));
      for (const name of saved) {
        node.append(S.el("label", { class: "check" }, S.el("input", { type: "checkbox", name: "libraries", value: name }), name));
      }
    }
  }

  // A secret set in the environment wins at every start: the button could not change it, so it is off and says why.
  function pinned(name, source, variable) {
    const fromEnvironment = source === "environment";
    $("regenerate-" + name).disabled = fromEnvironment;
    $(name + "-source").textContent = fromEnvironment
      ? `Set by ${variable} in the environment: change or unset ${variable} and restart StarSync to replace it.`
      : "";
  }

  // The libraries are listed once; a save redraws nothing but the boxes' state.
  let listed = null;
  const form = S.settingsForm($("settings-form"), {
    async beforeFill(settings) {
      if (!listed) listed = await S.api("GET", "/api/v1/libraries");
      renderLibraries(settings ? settings.libraries || [] : [], listed);
    },
    afterFill(settings) {
      $("webhookUrl").value = settings.webhookUrl || "";
      $("apiKey").value = settings.apiKey || "";
      if (settings.webhookSecretSource) pinned("webhook", settings.webhookSecretSource, "WEBHOOK_SECRET");
      if (settings.apiKeySource) pinned("key", settings.apiKeySource, "API_KEY");
      applyStyle();
    },
  });

  $("ratingStyle").addEventListener("change", applyStyle);

  $("regenerate-key").addEventListener("click", async () => {
    if (!confirm("Make a new API key? Scripts using the old key stop working.")) return;
    const result = await S.api("POST", "/api/v1/settings/api-key");
    if (!result.ok) { S.toast(S.problemMessage(result, "Could not make a new key"), "error"); return; }
    $("apiKey").value = result.data.apiKey;
    S.toast("New API key made.", "ok");
  });

  $("regenerate-webhook").addEventListener("click", async () => {
    if (!confirm("Make a new webhook secret? Plex keeps sending to the old URL until you paste the new one in Plex.")) return;
    const result = await S.api("POST", "/api/v1/settings/webhook-secret");
    if (!result.ok) { S.toast(S.problemMessage(result, "Could not make a new webhook secret"), "error"); return; }
    $("webhookUrl").value = result.data.webhookUrl;
    S.toast("New webhook URL made: paste it into Plex (Account settings → Webhooks).", "ok");
  });

  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const ok = await S.copyFrom($(button.dataset.copy));
      const old = button.textContent;
      button.textContent = ok ? "Copied" : "Select and copy";
      setTimeout(() => { button.textContent = old; }, 1500);
    });
  }

  form.load();
})();
