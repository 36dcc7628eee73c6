// The Settings form, driven by data- attributes so that a new field needs markup only:
//   data-setting="key"            a field; key = the API's field name (GET fills it, PUT sends it when changed,
//                                 errors and the value's source are keyed by it). Inputs, selects and checkboxes;
//                                 data-kind="list" on a container = the checked boxes inside it, as an array.
//                                 A readonly field, or one whose source says it is not editable, is never sent.
//   data-advanced                 hidden until "Show advanced settings" (#show-advanced) is on; remembered in this
//                                 browser, and shown by itself when a field inside has an error.
//   form data-load / data-save    the GET and PUT URLs.
// The server checks the whole form in one pass and answers 400 with every field's message (ValidationProblem
// "errors" keyed by field); each is shown at its field (aria-invalid, aria-describedby) and all in the toast.
// The Save bar counts unsaved changes; leaving the page with some asks first.
"use strict";
(() => {
  const S = window.StarSync;
  const ADVANCED_KEY = "starsync-show-advanced";

  // ---- Toast: fixed on screen wherever the page is scrolled; role alert for errors, status otherwise ----------
  let toast = null;
  let toastTimer = 0;
  function toastNode() {
    if (toast) return toast;
    toast = S.el("div", { id: "toast", class: "toast", role: "status", hidden: true },
      S.el("div", { class: "toast-body" }),
      S.el("button", { type: "button", class: "btn btn-quiet toast-close", "aria-label": "Dismiss message", onclick: hideToast }, "✕"));
    document.body.append(toast);
    return toast;
  }

  function hideToast() {
    clearTimeout(toastTimer);
    if (toast) { toast.hidden = true; S.clear(toast.querySelector(".toast-body")); }
  }

  /** Shows a message: showToast("Saved.", "ok") or showToast("Not saved…", "error", [{ text, onclick }]). */
  function showToast(text, tone, items) {
    const node = toastNode();
    clearTimeout(toastTimer);
    node.setAttribute("role", tone === "error" ? "alert" : "status");
    node.className = "toast" + (tone ? " toast-" + tone : "");
    const body = node.querySelector(".toast-body");
    S.clear(body);
    body.append(S.el("p", { class: "toast-title" }, text));
    if (items && items.length) {
      body.append(S.el("ul", { class: "toast-list" }, items.map(item => S.el("li", {},
        item.onclick ? S.el("a", { href: "#" + item.target, onclick: e => { e.preventDefault(); item.onclick(); } }, item.text) : item.text))));
    }
    node.hidden = false;
    // A success fades by itself; an error stays until dismissed or fixed.
    if (tone === "ok") toastTimer = setTimeout(hideToast, 8000);
  }

  S.toast = showToast;

  // ---- Fields -------------------------------------------------------------------------------------------------
  function kindOf(node) {
    if (node.dataset.kind === "list") return "list";
    if (node.type === "checkbox") return "bool";
    if (node.type === "number") return "number";
    return "text";
  }

  function read(field) {
    const node = field.node;
    switch (field.kind) {
      case "list": return [...node.querySelectorAll('input[type="checkbox"]:checked')].map(i => i.value);
      case "bool": return node.checked;
      // An emptied field is sent as null: the server says it is required, it never keeps the old value silently.
      case "number": return node.value.trim() === "" || isNaN(node.valueAsNumber) ? null : node.valueAsNumber;
      default: return node.value === "" ? null : node.value;
    }
  }

  function write(field, value) {
    const node = field.node;
    if (field.kind === "list") {
      const wanted = new Set(value || []);
      for (const box of node.querySelectorAll('input[type="checkbox"]')) box.checked = wanted.has(box.value);
    } else if (field.kind === "bool") node.checked = !!value;
    else node.value = value === null || value === undefined ? "" : String(value);
  }

  function controls(field) {
    return field.kind === "list" ? [...field.node.querySelectorAll("input")] : [field.node];
  }

  function describe(node, ...ids) {
    const now = (node.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    for (const id of ids) if (!now.includes(id)) now.push(id);
    node.setAttribute("aria-describedby", now.join(" "));
  }

  function makeField(node) {
    const key = node.dataset.setting;
    const kind = kindOf(node);
    const wrap = node.closest(".field") || node.closest("fieldset") || node.parentElement;
    const error = document.getElementById("error-" + key) || wrap.appendChild(S.el("p", { class: "field-error", id: "error-" + key }));
    const source = document.getElementById("source-" + key) || error.parentNode.insertBefore(S.el("p", { class: "source", id: "source-" + key }), error);
    // A list of boxes is described on its group; a single control on itself.
    describe(kind === "list" ? (node.closest("fieldset") || node) : node, "source-" + key, "error-" + key);
    return { key, kind, node, wrap, error, source, fixed: node.readOnly === true, editable: true, initial: undefined };
  }

  /** Wires the form. hooks.beforeFill(data) runs before values are set (e.g. to draw a list's boxes); hooks.afterFill(data) after. */
  function settingsForm(form, hooks = {}) {
    const fields = [...form.querySelectorAll("[data-setting]")].map(makeField);
    const bar = { count: document.getElementById("unsaved-count"), save: document.getElementById("save"), discard: document.getElementById("discard") };
    const advanced = document.getElementById("show-advanced");
    let loaded = null;
    let leaving = false;

    const sendable = f => f.editable && !f.fixed;
    const changed = () => fields.filter(f => sendable(f) && JSON.stringify(read(f)) !== f.initial);

    function updateBar() {
      const n = changed().length;
      bar.count.textContent = n === 0 ? "No unsaved changes" : n === 1 ? "1 unsaved change" : `${n} unsaved changes`;
      bar.count.classList.toggle("dirty", n > 0);
      bar.save.disabled = n === 0;
      bar.discard.disabled = n === 0;
    }

    function setError(field, message) {
      field.error.textContent = message || "";
      for (const c of controls(field)) {
        if (message) c.setAttribute("aria-invalid", "true"); else c.removeAttribute("aria-invalid");
      }
    }

    function clearErrors() { for (const f of fields) setError(f, ""); }

    function showAdvanced(show, remember) {
      if (advanced) advanced.checked = show;
      for (const node of document.querySelectorAll("[data-advanced]")) node.hidden = !show;
      if (remember) { try { localStorage.setItem(ADVANCED_KEY, show ? "1" : "0"); } catch { /* storage blocked */ } }
    }

    async function fill(data) {
      loaded = data;
      if (hooks.beforeFill) await hooks.beforeFill(data);
      const sources = data.sources || {};
      for (const f of fields) {
        if (f.key in data) write(f, data[f.key]);
        const source = sources[f.key];
        f.source.textContent = source ? source.text : "";
        f.source.dataset.source = source ? source.source : "";
        f.editable = !source || source.editable !== false;
        // A value another source decides is shown, never editable here.
        if (!f.editable) for (const c of controls(f)) { if (c.tagName === "INPUT" && c.type !== "checkbox") c.readOnly = true; else c.disabled = true; }
        f.wrap.classList.toggle("overridden", !f.editable);
        f.initial = JSON.stringify(read(f));
      }
      if (hooks.afterFill) hooks.afterFill(data);
      updateBar();
    }

    function fieldFor(key) {
      // Server keys are the API's field names ("batchSize"); a nested one ("libraries[0]") belongs to its field.
      const name = key.replace(/^\$\./, "").split(/[.[]/)[0];
      return fields.find(f => f.key === name) || fields.find(f => f.key.toLowerCase() === name.toLowerCase());
    }

    async function save() {
      const body = {};
      for (const f of changed()) body[f.key] = read(f);
      if (!Object.keys(body).length) return;
      clearErrors();
      bar.save.disabled = true;
      const result = await S.api("PUT", form.dataset.save, body);
      if (result.ok) {
        await fill(result.data);
        showToast("Saved.", "ok");
        return;
      }
      updateBar();
      const errors = (result.problem && result.problem.errors) || {};
      const items = [];
      let opened = false;
      for (const [key, messages] of Object.entries(errors)) {
        const field = fieldFor(key);
        const text = messages.join(" ");
        if (!field) { items.push({ text, order: fields.length }); continue; }
        setError(field, text);
        if (field.wrap.closest("[data-advanced]")) opened = true;
        items.push({ text, order: fields.indexOf(field), target: field.error.id, onclick: () => controls(field)[0].focus() });
      }
      items.sort((a, b) => a.order - b.order); // as the page lists them
      if (!items.length) { showToast(S.problemMessage(result, "Not saved"), "error"); return; }
      if (opened) showAdvanced(true, false);
      const n = items.length;
      showToast(`Not saved: ${n === 1 ? "1 setting needs" : n + " settings need"} fixing.`, "error", items);
      const first = form.querySelector('[aria-invalid="true"]');
      if (first) first.focus();
    }

    form.addEventListener("submit", e => { e.preventDefault(); save(); });
    form.addEventListener("input", updateBar);
    form.addEventListener("change", updateBar);
    bar.discard.addEventListener("click", async () => {
      clearErrors();
      hideToast();
      if (loaded) await fill(loaded);
    });

    // Leaving with unsaved changes asks first: links in the app through a confirm, anything else through the browser.
    window.addEventListener("beforeunload", e => {
      if (leaving || !changed().length) return;
      e.preventDefault();
      e.returnValue = "";
    });
    document.addEventListener("click", e => {
      const link = e.target instanceof Element ? e.target.closest("a[href]") : null;
      if (!link || link.target === "_blank" || link.origin !== location.origin || e.defaultPrevented) return;
      if (link.pathname === location.pathname && link.hash) return;
      const n = changed().length;
      if (!n) return;
      if (confirm(`You have ${n === 1 ? "1 unsaved change" : n + " unsaved changes"} on this page. Leave and lose ${n === 1 ? "it" : "them"}?`)) leaving = true;
      else e.preventDefault();
    });

    let remembered = false;
    try { remembered = localStorage.getItem(ADVANCED_KEY) === "1"; } catch { /* storage blocked */ }
    showAdvanced(remembered, false);
    if (advanced) advanced.addEventListener("change", () => showAdvanced(advanced.checked, true));

    async function load() {
      const result = await S.api("GET", form.dataset.load);
      if (!result.ok) {
        showToast(S.problemMessage(result, "Could not load the settings"), "error");
        if (hooks.beforeFill) await hooks.beforeFill(null);
        return;
      }
      await fill(result.data);
    }

    updateBar();
    return { load, fill, fields };
  }

  S.settingsForm = settingsForm;
})();
