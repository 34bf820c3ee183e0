// The disagreement review's view (workbench.widgets.DisagreementReview).
//
// It only gets the widget's traits, renders them, sends the supervisor's actions to
// Python (model.send) and sets the `reason` and `proposal` traits while the supervisor
// types. Python records each decision with Project.adjudicate and then updates the
// traits; the saved indicator (.wb-adj-saved) shows only when Python says so.
//
// Thread text, memos, codebook entries and decisions are untrusted: they reach the page
// through textContent only, never innerHTML.

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function button(cls, text, title) {
  const b = h("button", cls, text);
  b.type = "button";
  if (title) b.title = title;
  return b;
}

function chip(c) {
  const s = h("span", "wb-adj-chip", c.label || c.name);
  s.dataset.code = c.name;
  if (c.color) s.style.setProperty("--wb-code-color", c.color);
  return s;
}

function render({ model, el }) {
  const root = h("div", "wb-adj");
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.setAttribute("aria-label", "Disagreement review");
  el.appendChild(root);

  let localSaving = false; // a record click is on its way to Python, no answer yet

  // --- layout -------------------------------------------------------------------------
  const header = h("div", "wb-adj-header");
  const who = h("span", "wb-adj-who");
  const position = h("span", "wb-adj-position");
  const progress = h("span", "wb-adj-progress");
  header.append(who, position, progress);

  const errorBox = h("div", "wb-adj-error");
  errorBox.setAttribute("role", "alert");
  const message = h("div", "wb-adj-message");
  message.setAttribute("aria-live", "polite");

  const contextBox = h("div", "wb-adj-context");
  const unitBox = h("div", "wb-adj-unit");
  const contested = h("div", "wb-adj-contested");

  const codersTitle = h("div", "wb-adj-section", "What the coders said");
  const codersBox = h("div", "wb-adj-coders");

  const entriesTitle = h("div", "wb-adj-section", "Codebook entries involved");
  const entriesBox = h("div", "wb-adj-entries");

  const decide = h("div", "wb-adj-decide");
  const decideTitle = h("div", "wb-adj-section", "Your decision");
  const decisionNote = h("div", "wb-adj-decision");
  const codesBox = h("div", "wb-adj-codes");
  const reasonLabel = h("label", "wb-adj-label", "Reason for the decision");
  const reason = h("textarea", "wb-adj-reason");
  reason.rows = 2;
  reason.placeholder = "Why these codes (kept with the gold set)";
  reasonLabel.appendChild(reason);
  const proposalLabel = h("label", "wb-adj-label", "Proposed codebook change (discussion notes, optional)");
  const proposal = h("textarea", "wb-adj-proposal");
  proposal.rows = 2;
  proposal.placeholder = "e.g. sharpen the definition of a code, add an exclusion";
  proposalLabel.appendChild(proposal);
  const recordRow = h("div", "wb-adj-record-row");
  const record = button("wb-adj-record", "Record decision");
  const saving = h("span", "wb-adj-saving", "Saving…");
  const saved = h("span", "wb-adj-saved");
  saved.setAttribute("role", "status");
  recordRow.append(record, saving, saved);
  decide.append(decideTitle, decisionNote, codesBox, reasonLabel, proposalLabel, recordRow);

  const nav = h("div", "wb-adj-nav");
  const prev = button("wb-adj-prev", "◀ Previous");
  const next = button("wb-adj-next", "Next ▶");
  const nextUndecided = button("wb-adj-next-undecided", "Next undecided");
  const refresh = button("wb-adj-refresh", "Reload from the store");
  nav.append(prev, next, nextUndecided, refresh);

  root.append(header, errorBox, message, contextBox, unitBox, contested, codersTitle, codersBox, entriesTitle, entriesBox, decide, nav);

  // --- renderers ----------------------------------------------------------------------
  function postHeader(p, label) {
    const head = h("div", "wb-adj-post-head");
    if (label) head.appendChild(h("span", "wb-adj-post-label", label));
    head.appendChild(h("span", "wb-adj-author", p.author || "(no author)"));
    if (p.author_role) head.appendChild(h("span", "wb-adj-role", p.author_role));
    if (p.posted_at) head.appendChild(h("span", "wb-adj-time", p.posted_at));
    if (p.status && p.status !== "ok") head.appendChild(h("span", "wb-adj-post-status", p.status));
    head.appendChild(h("span", "wb-adj-unit-id", p.unit_id));
    return head;
  }

  function renderHeader() {
    who.textContent =
      "Supervisor: " + model.get("supervisor") + " · round " + model.get("round_name") + (model.get("anonymous") ? " · coders anonymous" : "");
    position.textContent = model.get("total") ? model.get("position") + " of " + model.get("total") : "0 of 0";
    progress.textContent = model.get("decided") + " / " + model.get("total") + " decided";
    message.textContent = model.get("message") || "";
  }

  function renderUnit() {
    const u = model.get("unit") || {};
    const ctx = model.get("context") || [];
    contextBox.replaceChildren();
    unitBox.replaceChildren();
    delete unitBox.dataset.unit;
    if (!u.unit_id) {
      unitBox.appendChild(h("div", "wb-adj-empty", "No disagreement to show."));
      contested.textContent = "";
      return;
    }
    ctx.forEach((p, i) => {
      const box = h("div", i === 0 ? "wb-adj-root-post" : "wb-adj-parent");
      box.dataset.unit = p.unit_id;
      if (i > 0) box.style.marginLeft = Math.min(i, 8) * 0.8 + "em";
      box.appendChild(postHeader(p, i === 0 ? (p.title ? "Thread: " + p.title : "Thread start") : "In reply to"));
      box.appendChild(h("div", "wb-adj-text", p.text || ""));
      contextBox.appendChild(box);
    });
    unitBox.dataset.unit = u.unit_id;
    unitBox.appendChild(postHeader(u, ctx.length ? "The reply in question" : "The post in question"));
    unitBox.appendChild(h("div", "wb-adj-text wb-adj-unit-text", u.text || ""));
    contested.textContent = model.get("contested") || "";
  }

  function renderCoders() {
    codersBox.replaceChildren();
    for (const c of model.get("coders") || []) {
      const box = h("div", "wb-adj-coder");
      box.dataset.coder = c.label;
      const head = h("div", "wb-adj-coder-name", c.label);
      if (c.flagged) head.appendChild(h("span", "wb-adj-flag", " ⚑ flagged for discussion"));
      box.appendChild(head);
      const codes = h("div", "wb-adj-coder-codes");
      if ((c.codes || []).length) for (const x of c.codes) codes.appendChild(chip(x));
      else codes.appendChild(h("span", "wb-adj-none", "no code"));
      box.appendChild(codes);
      if (c.memo) {
        const memo = h("div", "wb-adj-memo");
        memo.append(h("span", "wb-adj-memo-label", "Memo: "), h("span", "wb-adj-memo-text", c.memo));
        box.appendChild(memo);
      }
      codersBox.appendChild(box);
    }
  }

  function renderEntries() {
    entriesBox.replaceChildren();
    for (const e of model.get("involved") || []) {
      const box = h("div", "wb-adj-entry");
      box.dataset.code = e.name;
      const title = h("div", "wb-adj-entry-title", e.label + "  (" + e.applied_by + " of " + e.of + " coders)");
      box.appendChild(title);
      if (!e.in_codebook) box.appendChild(h("div", "wb-adj-entry-missing", "Not in the round's codebook version."));
      for (const [label, text, cls] of [
        ["Definition", e.definition, "wb-adj-definition"],
        ["Use it when", e.include, "wb-adj-include"],
        ["Do not use it when", e.exclude, "wb-adj-exclude"],
        ["Example", e.example, "wb-adj-example"],
      ]) {
        if (!text) continue;
        const row = h("div", "wb-adj-entry-row " + cls);
        row.append(h("span", "wb-adj-entry-label", label + ": "), h("span", "wb-adj-entry-text", text));
        box.appendChild(row);
      }
      entriesBox.appendChild(box);
    }
  }

  function renderCodes() {
    codesBox.replaceChildren();
    const groups = new Map();
    for (const c of model.get("codes") || []) {
      const key = c.group || "";
      if (!groups.has(key)) groups.set(key, { label: c.group_label || "", exclusive: c.exclusive, codes: [] });
      groups.get(key).codes.push(c);
    }
    for (const [, g] of groups) {
      const fs = h("fieldset", "wb-adj-group");
      if (g.label) fs.appendChild(h("legend", "", g.label + (g.exclusive ? " (choose one)" : "")));
      for (const c of g.codes) {
        const b = button("wb-adj-code");
        b.dataset.code = c.name;
        b.setAttribute("aria-pressed", "false");
        if (c.color) {
          b.style.setProperty("--wb-code-color", c.color);
          if (c.text_color) b.style.setProperty("--wb-code-text", c.text_color);
        }
        if (c.level) b.style.marginLeft = c.level * 1.2 + "em";
        b.appendChild(h("span", "wb-adj-code-label", c.label));
        b.appendChild(h("span", "wb-adj-code-count"));
        b.addEventListener("click", () => model.send({ type: "toggle", code: c.name }));
        fs.appendChild(b);
      }
      codesBox.appendChild(fs);
    }
    renderSelection();
  }

  function renderSelection() {
    const chosen = new Set(model.get("selected") || []);
    const counts = new Map((model.get("involved") || []).map((e) => [e.name, e]));
    const noUnit = !(model.get("unit") || {}).unit_id;
    for (const b of codesBox.querySelectorAll(".wb-adj-code")) {
      const on = chosen.has(b.dataset.code);
      b.classList.toggle("wb-adj-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      const e = counts.get(b.dataset.code);
      b.querySelector(".wb-adj-code-count").textContent = e ? " " + e.applied_by + "/" + e.of : "";
      b.classList.toggle("wb-adj-applied", !!e);
      b.disabled = noUnit;
    }
    record.disabled = noUnit;
  }

  function label(name) {
    const c = (model.get("codes") || []).find((x) => x.name === name);
    return c ? c.label : name;
  }

  function renderDecision() {
    const d = model.get("decision") || {};
    decisionNote.replaceChildren();
    decisionNote.hidden = !d.decided_by;
    if (!d.decided_by) return;
    decisionNote.append(
      h("span", "wb-adj-decision-label", "Decided by " + d.decided_by + (d.at ? " (" + d.at + ")" : "") + ": "),
      h("span", "wb-adj-decision-codes", (d.codes || []).map(label).join(", ") || "no code applies"),
    );
  }

  function renderTexts() {
    const r = model.get("reason") || "";
    if (reason.value !== r) reason.value = r;
    const p = model.get("proposal") || "";
    if (proposal.value !== p) proposal.value = p;
  }

  function renderStatus() {
    const status = model.get("status");
    const u = (model.get("unit") || {}).unit_id || "";
    const isSaved = !localSaving && status === "saved" && model.get("saved_unit") === u;
    saved.dataset.seq = String(model.get("saved_seq"));
    saved.dataset.unit = isSaved ? u : "";
    saved.hidden = !isSaved;
    saved.textContent = isSaved ? "✓ Decision saved " + (model.get("saved_at") || "") : "";
    saving.hidden = !localSaving;
    const err = model.get("error") || "";
    errorBox.hidden = !err;
    errorBox.textContent = err;
    record.classList.toggle("wb-adj-dirty", status === "editing");
  }

  // --- events from the supervisor -----------------------------------------------------
  reason.addEventListener("input", () => {
    model.set("reason", reason.value);
    model.save_changes();
  });
  proposal.addEventListener("input", () => {
    model.set("proposal", proposal.value);
    model.save_changes();
  });
  record.addEventListener("click", () => {
    localSaving = true;
    renderStatus();
    model.send({ type: "record", reason: reason.value, proposal: proposal.value });
  });
  prev.addEventListener("click", () => model.send({ type: "prev" }));
  next.addEventListener("click", () => model.send({ type: "next" }));
  nextUndecided.addEventListener("click", () => model.send({ type: "next_undecided" }));
  refresh.addEventListener("click", () => model.send({ type: "refresh" }));
  root.addEventListener("keydown", (ev) => {
    // typing in the review is text, not notebook commands
    const tag = ev.target && ev.target.tagName;
    if (tag === "TEXTAREA" || tag === "INPUT") {
      if (ev.key === "Escape") {
        ev.target.blur();
        root.focus({ preventScroll: true });
        ev.preventDefault();
      }
      ev.stopPropagation();
    }
  });

  // --- answers from Python ------------------------------------------------------------
  const answered = () => {
    localSaving = false;
    renderStatus();
  };
  model.on("change:saved_seq change:error_seq change:done_seq", answered);
  model.on("change:status change:saved_unit change:saved_at change:error", renderStatus);
  model.on("change:unit change:context change:contested", () => {
    renderUnit();
    renderSelection();
    renderStatus();
  });
  model.on("change:coders", renderCoders);
  model.on("change:involved", () => {
    renderEntries();
    renderSelection();
  });
  model.on("change:codes", renderCodes);
  model.on("change:selected", renderSelection);
  model.on("change:decision", renderDecision);
  model.on("change:reason change:proposal", renderTexts);
  model.on("change:supervisor change:round_name change:anonymous change:position change:total change:decided change:message", renderHeader);

  renderHeader();
  renderUnit();
  renderCoders();
  renderEntries();
  renderCodes();
  renderDecision();
  renderTexts();
  renderStatus();
}

export default { render };
