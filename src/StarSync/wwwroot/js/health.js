// The health banner on every page (Sonarr's health badge): says when Plex is unreachable, refuses the token or is not
// set up, with a link to the fix, and holds back the buttons that need Plex (marked data-needs-plex): aria-disabled
// with the reason as their tooltip and description, so they stay focusable and say why.
"use strict";
(() => {
  const S = window.StarSync;
  const banner = document.getElementById("plex-health");
  if (!banner) return;
  const $ = id => document.getElementById(id);
  const intervalMs = 10000;

  function hold(reason, headline) {
    for (const button of document.querySelectorAll("[data-needs-plex]")) {
      const described = (button.getAttribute("aria-describedby") || "").split(" ").filter(id => id && id !== "plex-health");
      if (reason) {
        if (!button.hasAttribute("data-title")) button.setAttribute("data-title", button.getAttribute("title") || "");
        button.setAttribute("aria-disabled", "true");
        button.title = reason;
        described.push("plex-health");
      } else {
        button.removeAttribute("aria-disabled");
        if (button.hasAttribute("data-title")) {
          const old = button.getAttribute("data-title");
          if (old) button.title = old; else button.removeAttribute("title");
          button.removeAttribute("data-title");
        }
      }
      if (described.length) button.setAttribute("aria-describedby", described.join(" ")); else button.removeAttribute("aria-describedby");
    }
    for (const line of document.querySelectorAll("[data-plex-reason]")) {
      line.textContent = reason ? "Paused until StarSync can talk to Plex: " + (headline || reason) + " (see the message at the top)." : "";
      line.hidden = !reason;
    }
  }

  // A held-back button does nothing (aria-disabled does not stop clicks by itself).
  document.addEventListener("click", e => {
    const held = e.target instanceof Element && e.target.closest('[data-needs-plex][aria-disabled="true"]');
    if (held) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  function render(c) {
    if (c.ok) {
      banner.hidden = true;
      banner.dataset.state = "ok";
      hold(null);
      return;
    }
    $("plex-health-title").textContent = c.headline || "Plex is not answering.";
    $("plex-health-reason").textContent = c.error || "";
    banner.dataset.state = c.state;
    banner.hidden = false;
    hold(c.headline + " " + (c.error || ""), c.headline);
  }

  async function check() {
    const result = await S.api("GET", "/api/v1/plex/health");
    if (result.ok && result.data) render(result.data);
  }

  S.checkHealth = check;
  // The first state came with the page; make the buttons agree with it at once.
  if (!banner.hidden) hold(($("plex-health-title").textContent + " " + $("plex-health-reason").textContent).trim(), $("plex-health-title").textContent);
  check();
  setInterval(check, intervalMs);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) check(); });
})();
