// Loaded in <head>, before the first paint, so a pinned theme never flashes the other one. "auto" (the default)
// leaves the choice to the system's prefers-color-scheme; app.js wires the Theme menu in the footer.
"use strict";
(() => {
  let theme = "auto";
  try { theme = localStorage.getItem("starsync-theme") || "auto"; } catch { /* storage blocked: stay on auto */ }
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
})();
