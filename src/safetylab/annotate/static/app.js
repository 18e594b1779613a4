// Workbench client: saves every answer the moment it is given, and keyboard shortcuts.
// Option keys come from the schema (data-key); n/Enter = next, p = back, s = skip, ? = help.
"use strict";
(function () {
  const main = document.querySelector("main[data-item]");
  if (!main) return;
  const item = main.dataset.item;
  const status = document.getElementById("status");
  const progress = document.getElementById("progress");

  function show(text, ok) {
    status.textContent = text;
    status.className = ok ? "ok" : "err";
  }

  async function post(url, body) {
    const r = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.detail || r.statusText);
    return data;
  }

  function valueOf(fieldset) {
    const type = fieldset.dataset.type;
    if (type === "text") return fieldset.querySelector("textarea").value;
    const checked = [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);
    return type === "multi" ? checked : (checked[0] || null);
  }

  // One request at a time, in the order the answers were given, each sending the field's value
  // as it is then: two quick keys ("q", "r") raced, and the older value could be stored last
  // (seen: a style lost in the browser test).
  let queue = Promise.resolve();
  function save(fieldset) {
    queue = queue.then(() => send(fieldset));
    return queue;
  }

  async function send(fieldset) {
    show("saving…", true);
    try {
      const data = await post("/api/answer", {item_id: item, field: fieldset.dataset.field, value: valueOf(fieldset)});
      progress.textContent = `${data.progress.done} / ${data.progress.total} done · ${data.progress.skipped} skipped`;
      show("saved", true);
      document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
    } catch (e) {
      show("not saved: " + e.message, false);
    }
  }

  document.querySelectorAll("fieldset[data-field]").forEach((fs) => {
    fs.addEventListener("change", () => save(fs));
  });

  function go(rel) {
    const a = document.querySelector(`a[rel="${rel}"]`);
    if (a) window.location.href = a.href;
  }

  document.addEventListener("keydown", async (ev) => {
    if (ev.target.tagName === "TEXTAREA") {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const opt = document.querySelector(`input[data-key="${CSS.escape(ev.key)}"]`);
    if (opt) {
      ev.preventDefault();
      opt.checked = opt.type === "checkbox" ? !opt.checked : true;
      opt.dispatchEvent(new Event("change", {bubbles: true}));
      return;
    }
    if (ev.key === "n" || ev.key === "Enter") { ev.preventDefault(); go("next"); }
    else if (ev.key === "p") { ev.preventDefault(); go("prev"); }
    else if (ev.key === "s") {
      ev.preventDefault();
      try { await post("/api/skip", {item_id: item}); go("next"); }
      catch (e) { show("not skipped: " + e.message, false); }
    } else if (ev.key === "?") {
      document.getElementById("help").toggleAttribute("hidden");
    }
  });
})();
