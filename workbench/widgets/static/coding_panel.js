// The coding panel's view (workbench.widgets.CodingPanel).
//
// It only gets the widget's traits, renders them, sends the coder's actions to Python
// (model.send) and sets the `memo` and `filters` traits. Python records every action in
// the store and then updates the traits; "Saved" is shown only when it says so.
//
// Thread text is untrusted: it reaches the page through textContent only, never
// innerHTML, so markup in a post shows as text and runs nothing.

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

function render({ model, el }) {
  const root = h("div", "wb-panel");
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.setAttribute("aria-label", "Coding panel");
  el.appendChild(root);

  const send = (msg) => model.send(msg);
  let localSaving = false; // a click is on its way to Python, no answer yet
  let localPending = ""; // the code clicked, until Python answers
  let rootExpanded = false;
  let justOpened = ""; // the post the coder asked to open: focused once Python shows it
  let infoCode = "";

  // --- layout -------------------------------------------------------------------------
  const header = h("div", "wb-header");
  const who = h("span", "wb-coder");
  const position = h("span", "wb-position");
  const progressBox = h("span", "wb-progress");
  const progressBar = h("progress", "wb-progress-bar");
  const progressText = h("span", "wb-progress-text");
  progressBox.append(progressBar, progressText);
  const saved = h("span", "wb-saved");
  saved.setAttribute("role", "status");
  header.append(who, position, progressBox, saved);

  const errorBox = h("div", "wb-error");
  errorBox.setAttribute("role", "alert");
  const errorText = h("span", "wb-error-text");
  const retry = button("wb-retry", "Try again");
  errorBox.append(errorText, retry);

  const breakBox = h("div", "wb-break");
  const breakText = h("span", "", "You have been coding for a while. Time for a short break?");
  const breakTaken = button("wb-break-taken", "Thanks, I've had a break");
  breakBox.append(breakText, breakTaken);

  const message = h("div", "wb-message");
  message.setAttribute("aria-live", "polite");

  const contextBox = h("div", "wb-context");
  const unitBox = h("div", "wb-unit");

  const codesBox = h("div", "wb-codes");
  const details = h("div", "wb-code-details");

  const tools = h("div", "wb-tools");
  const memoLabel = h("label", "wb-memo-label", "Memo");
  const memo = h("textarea", "wb-memo");
  memo.rows = 2;
  memo.placeholder = "Notes on this unit (saved when you press Save memo, Ctrl+Enter, or move on)";
  memoLabel.appendChild(memo);
  const saveMemo = button("wb-save-memo", "Save memo");
  const memoState = h("span", "wb-memo-state");
  const flag = button("wb-flag", "Flag for discussion");
  const undo = button("wb-undo", "Undo (u)");
  tools.append(memoLabel, saveMemo, memoState, flag, undo);

  const nav = h("div", "wb-nav");
  const prev = button("wb-prev", "◀ Previous (k)");
  const next = button("wb-next", "Next (j) ▶");
  const nextUncoded = button("wb-next-uncoded", "Next uncoded (n)");
  const jumpInput = h("input", "wb-jump-input");
  jumpInput.type = "text";
  jumpInput.placeholder = "unit id";
  jumpInput.setAttribute("aria-label", "Go to unit id");
  const jump = button("wb-jump", "Go");
  nav.append(prev, next, nextUncoded, jumpInput, jump);

  const filters = h("div", "wb-filters");
  const threadLabel = h("label", "", "Thread ");
  const threadSelect = h("select", "wb-filter-thread");
  threadLabel.appendChild(threadSelect);
  const uncodedLabel = h("label");
  const uncodedBox = h("input", "wb-filter-uncoded");
  uncodedBox.type = "checkbox";
  uncodedLabel.append(uncodedBox, document.createTextNode(" uncoded only"));
  const flaggedLabel = h("label");
  const flaggedBox = h("input", "wb-filter-flagged");
  flaggedBox.type = "checkbox";
  flaggedLabel.append(flaggedBox, document.createTextNode(" flagged only"));
  filters.append(h("span", "wb-filters-title", "Show:"), threadLabel, uncodedLabel, flaggedLabel);

  const counts = h("div", "wb-counts");
  const help = h("div", "wb-keys-help");

  root.append(header, errorBox, breakBox, message, contextBox, unitBox, codesBox, details, tools, nav, filters, counts, help);

  // --- helpers ------------------------------------------------------------------------
  function keepFocus(fn) {
    return () => {
      const had = root.contains(document.activeElement);
      fn();
      if (had && !root.contains(document.activeElement)) root.focus({ preventScroll: true });
    };
  }

  function hidden() {
    const u = model.get("unit") || {};
    return !!u.hidden;
  }

  function act(msg) {
    if (msg.type === "toggle" || msg.type === "flag" || msg.type === "undo") {
      localSaving = true;
      if (msg.type === "toggle") localPending = msg.code;
      renderStatus();
      renderCodeState();
    }
    send(msg);
  }

  function toggle(code) {
    if (hidden()) return;
    act({ type: "toggle", code });
  }

  function postHeader(p, label) {
    const head = h("div", "wb-post-head");
    if (label) head.appendChild(h("span", "wb-post-label", label));
    head.appendChild(h("span", "wb-author", p.author || "(no author)"));
    if (p.author_role) head.appendChild(h("span", "wb-role", p.author_role));
    if (p.posted_at) head.appendChild(h("span", "wb-time", p.posted_at));
    if (p.status && p.status !== "ok") head.appendChild(h("span", "wb-post-status", p.status));
    head.appendChild(h("span", "wb-unit-id", p.unit_id));
    return head;
  }

  // Python decides what is hidden; the page only asks it to open one post.
  function openPost(unitId) {
    justOpened = unitId;
    send({ type: "open_warning", unit_id: unitId });
  }

  function openButton(p, cls, text, what) {
    const b = button(cls, text);
    b.dataset.unit = p.unit_id;
    b.setAttribute(
      "aria-label",
      "Show " + what + " (" + p.unit_id + "), hidden behind the content warning: " + (p.warning || []).join(", "),
    );
    b.addEventListener("click", () => openPost(p.unit_id));
    return b;
  }

  function hiddenNote(p, what) {
    const note = h("div", "wb-hidden-post");
    note.appendChild(h("span", "wb-hidden-text", "Hidden behind the content warning (" + (p.warning || []).join(", ") + ")."));
    note.appendChild(openButton(p, "wb-open-post", "Show " + what, what));
    return note;
  }

  function focusOpened() {
    if (!justOpened) return;
    const box = root.querySelector(
      ".wb-context [data-unit='" + CSS.escape(justOpened) + "'], .wb-unit[data-unit='" + CSS.escape(justOpened) + "']",
    );
    if (box && !box.querySelector(".wb-open-post, .wb-open-warning")) {
      justOpened = "";
      box.tabIndex = -1;
      box.focus({ preventScroll: true });
    }
  }

  // --- renderers ----------------------------------------------------------------------
  const renderUnit = keepFocus(() => {
    const u = model.get("unit") || {};
    const ctx = model.get("context") || [];
    contextBox.replaceChildren();
    unitBox.replaceChildren();
    if (!u.unit_id) {
      unitBox.appendChild(h("div", "wb-empty", "No unit to show."));
      return;
    }
    ctx.forEach((p, i) => {
      const box = h("div", i === 0 ? "wb-root-post" : "wb-parent");
      box.dataset.unit = p.unit_id;
      if (i > 0) box.style.marginLeft = Math.min(i, 8) * 0.8 + "em";
      box.appendChild(postHeader(p, i === 0 ? (p.title ? "Thread: " + p.title : "Thread start") : "In reply to"));
      if (p.hidden) {
        box.appendChild(hiddenNote(p, i === 0 ? "the thread's first post" : "the post it replies to"));
      } else if (i === 0) {
        const full = p.text || "";
        const short = p.excerpt || "";
        const text = h("div", "wb-post-text wb-excerpt", rootExpanded ? full : short);
        box.appendChild(text);
        if (short !== full) {
          const more = button("wb-expand", rootExpanded ? "Show less" : "Show the whole post");
          more.setAttribute("aria-expanded", rootExpanded ? "true" : "false");
          more.addEventListener("click", () => {
            rootExpanded = !rootExpanded;
            renderUnit();
          });
          box.appendChild(more);
        }
      } else {
        box.appendChild(h("div", "wb-post-text", p.text || ""));
      }
      contextBox.appendChild(box);
    });
    unitBox.dataset.unit = u.unit_id;
    unitBox.appendChild(postHeader(u, ctx.length ? "The reply to code" : "The post to code"));
    if (u.hidden) {
      const warn = h("div", "wb-warning");
      warn.setAttribute("role", "note");
      warn.appendChild(h("strong", "", "Content warning: "));
      warn.appendChild(h("span", "wb-warning-terms", (u.warning || []).join(", ")));
      warn.appendChild(
        h("p", "", "This post may be distressing. Open it when you are ready, or skip to the next unit."),
      );
      const open = openButton(u, "wb-open-warning", "Show this post", "the post to code");
      const skip = button("wb-skip", "Skip for now");
      skip.addEventListener("click", () => send({ type: "next" }));
      warn.append(open, skip);
      unitBox.appendChild(warn);
    } else {
      unitBox.appendChild(h("div", "wb-post-text wb-unit-text", u.text || ""));
    }
    codesBox.classList.toggle("wb-disabled", !!u.hidden);
    focusOpened();
  });

  const renderCodes = keepFocus(() => {
    codesBox.replaceChildren();
    const groups = new Map();
    for (const c of model.get("codes") || []) {
      const key = c.group || "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
    for (const [name, list] of groups) {
      const fs = h("fieldset", "wb-group");
      fs.dataset.group = name;
      const exclusive = list[0].exclusive;
      fs.dataset.exclusive = exclusive ? "true" : "false";
      const title = name ? list[0].group_label || name : "Codes";
      fs.appendChild(h("legend", "", title + (exclusive ? " (choose one)" : " (any that apply)")));
      for (const c of list) {
        const wrap = h("span", "wb-code-wrap");
        wrap.style.marginLeft = c.level * 1.2 + "em";
        const b = button("wb-code");
        b.dataset.code = c.name;
        b.setAttribute("aria-pressed", "false");
        if (c.color) {
          b.style.setProperty("--wb-code-color", c.color);
          if (c.text_color) b.style.setProperty("--wb-code-text", c.text_color);
        }
        if (c.level) b.appendChild(h("span", "wb-child-mark", "↳ "));
        b.appendChild(h("span", "wb-code-label", c.label));
        if (c.shortcut) b.appendChild(h("kbd", "wb-shortcut", c.shortcut));
        b.title = [
          c.definition,
          c.include ? "Use it when: " + c.include : "",
          c.exclude ? "Do not use it when: " + c.exclude : "",
          c.example ? "Example: " + c.example : "",
        ]
          .filter(Boolean)
          .join("\n\n") || c.label;
        b.addEventListener("click", () => toggle(c.name));
        const info = button("wb-info", "?", "What does “" + c.label + "” mean?");
        info.dataset.code = c.name;
        info.addEventListener("click", () => {
          infoCode = infoCode === c.name ? "" : c.name;
          renderDetails();
        });
        wrap.append(b, info);
        fs.appendChild(wrap);
      }
      codesBox.appendChild(fs);
    }
    renderCodeState();
    renderDetails();
    renderHelp();
  });

  function renderCodeState() {
    const applied = new Set(model.get("applied") || []);
    const pending = (model.get("pending") || {}).code || localPending;
    for (const b of codesBox.querySelectorAll(".wb-code")) {
      const on = applied.has(b.dataset.code);
      b.classList.toggle("wb-applied", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.classList.toggle("wb-pending", b.dataset.code === pending);
      b.disabled = hidden();
    }
  }

  function renderDetails() {
    details.replaceChildren();
    const c = (model.get("codes") || []).find((x) => x.name === infoCode);
    details.hidden = !c;
    if (!c) return;
    details.dataset.code = c.name;
    details.appendChild(h("div", "wb-details-title", c.label + (c.shortcut ? "  [" + c.shortcut + "]" : "")));
    const rows = [
      ["Definition", c.definition],
      ["Use it when", c.include],
      ["Do not use it when", c.exclude],
      ["Example", c.example],
    ];
    for (const [label, text] of rows) {
      if (!text) continue;
      const row = h("div", "wb-details-row");
      row.append(h("span", "wb-details-label", label + ": "), h("span", "wb-details-text", text));
      details.appendChild(row);
    }
    const close = button("wb-details-close", "Close");
    close.addEventListener("click", () => {
      infoCode = "";
      renderDetails();
    });
    details.appendChild(close);
  }

  function renderHelp() {
    const keys = (model.get("codes") || []).filter((c) => c.shortcut).map((c) => c.shortcut + " " + c.label);
    help.textContent =
      "Keys (click the panel first): " +
      keys.join(" · ") +
      (keys.length ? " · " : "") +
      "j/→ next · k/p/← previous · n next uncoded · u undo · Esc leaves a text box";
  }

  function renderStatus() {
    const status = model.get("status");
    saved.dataset.seq = String(model.get("saved_seq"));
    if (localSaving) {
      saved.dataset.status = "saving";
      saved.textContent = "Saving…";
    } else if (status === "error") {
      saved.dataset.status = "error";
      saved.textContent = "✗ Not saved";
    } else if (status === "saved") {
      saved.dataset.status = "saved";
      saved.textContent = "✓ Saved " + (model.get("saved_at") || "");
    } else {
      saved.dataset.status = "idle";
      saved.textContent = "";
    }
    const err = model.get("error") || "";
    errorBox.hidden = !err;
    errorText.textContent = err;
    retry.hidden = !model.get("pending") || !Object.keys(model.get("pending")).length;
  }

  function renderHeader() {
    who.textContent = "Coder: " + model.get("coder") + (model.get("round_name") ? " · round " + model.get("round_name") : "");
    const f = model.get("filters") || {};
    const filtered = f.thread || f.uncoded || f.flagged;
    position.textContent = model.get("total")
      ? model.get("position") + " of " + model.get("total") + (filtered ? " (filtered)" : "")
      : "0 of 0";
    progressBar.max = Math.max(1, model.get("queue_total"));
    progressBar.value = model.get("coded");
    progressText.textContent = model.get("coded") + " / " + model.get("queue_total") + " coded";
    message.textContent = model.get("message") || "";
    breakBox.hidden = !model.get("break_due");
    undo.disabled = !model.get("undo_label");
    undo.title = model.get("undo_label") || "Nothing to undo";
    flag.setAttribute("aria-pressed", model.get("flagged") ? "true" : "false");
    flag.classList.toggle("wb-flagged", !!model.get("flagged"));
    flag.textContent = model.get("flagged") ? "⚑ Flagged for discussion" : "⚐ Flag for discussion";
  }

  function renderCounts() {
    const c = model.get("code_counts") || {};
    counts.replaceChildren(h("span", "wb-counts-title", "Your codes so far: "));
    for (const code of model.get("codes") || []) {
      const item = h("span", "wb-count");
      item.dataset.code = code.name;
      item.textContent = code.label + " " + (c[code.name] || 0);
      counts.appendChild(item);
    }
  }

  function renderMemo() {
    const value = model.get("memo") || "";
    if (memo.value !== value) memo.value = value;
    const dirty = value !== (model.get("memo_saved") || "");
    memoState.textContent = dirty ? "memo not saved yet" : "";
    memoState.classList.toggle("wb-dirty", dirty);
  }

  function renderFilters() {
    const f = model.get("filters") || {};
    const threads = model.get("threads") || [];
    if (threadSelect.options.length !== threads.length + 1) {
      threadSelect.replaceChildren();
      const all = h("option", "", "all threads");
      all.value = "";
      threadSelect.appendChild(all);
      for (const t of threads) {
        const o = h("option", "", t.title ? t.title + " (" + t.thread_id + ")" : t.thread_id);
        o.value = t.thread_id;
        threadSelect.appendChild(o);
      }
    }
    threadSelect.value = f.thread || "";
    uncodedBox.checked = !!f.uncoded;
    flaggedBox.checked = !!f.flagged;
  }

  function setFilters() {
    model.set("filters", {
      thread: threadSelect.value,
      uncoded: uncodedBox.checked,
      flagged: flaggedBox.checked,
    });
    model.save_changes();
  }

  function doSaveMemo() {
    model.set("memo", memo.value);
    model.save_changes();
    send({ type: "memo", text: memo.value });
  }

  // --- events from the coder ----------------------------------------------------------
  retry.addEventListener("click", () => act({ type: "retry" }));
  breakTaken.addEventListener("click", () => send({ type: "break_taken" }));
  memo.addEventListener("input", () => {
    model.set("memo", memo.value);
    model.save_changes();
  });
  saveMemo.addEventListener("click", doSaveMemo);
  flag.addEventListener("click", () => act({ type: "flag", on: !model.get("flagged") }));
  undo.addEventListener("click", () => act({ type: "undo" }));
  prev.addEventListener("click", () => send({ type: "prev" }));
  next.addEventListener("click", () => send({ type: "next" }));
  nextUncoded.addEventListener("click", () => send({ type: "next_uncoded" }));
  const doJump = () => {
    if (jumpInput.value.trim()) send({ type: "jump", unit_id: jumpInput.value.trim() });
  };
  jump.addEventListener("click", doJump);
  threadSelect.addEventListener("change", setFilters);
  // a large project lists its threads only when the coder first looks at them
  const wantThreads = () => {
    if (!(model.get("threads") || []).length) send({ type: "load_threads" });
  };
  threadSelect.addEventListener("focus", wantThreads);
  threadSelect.addEventListener("mousedown", wantThreads);
  uncodedBox.addEventListener("change", setFilters);
  flaggedBox.addEventListener("change", setFilters);

  root.addEventListener("keydown", (ev) => {
    const tag = ev.target && ev.target.tagName;
    if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT") {
      if (ev.key === "Escape") {
        ev.target.blur();
        root.focus({ preventScroll: true });
        ev.preventDefault();
      } else if (tag === "TEXTAREA" && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        doSaveMemo();
        ev.preventDefault();
      } else if (ev.target === jumpInput && ev.key === "Enter") {
        doJump();
        ev.preventDefault();
      }
      ev.stopPropagation(); // typing here is text, not notebook commands
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const keys = model.get("nav_keys") || {};
    const navAction = keys[ev.key] || (ev.key.length === 1 ? keys[ev.key.toLowerCase()] : undefined);
    let handled = true;
    if (navAction === "undo") act({ type: "undo" });
    else if (navAction) send({ type: navAction });
    else {
      const key = ev.key.length === 1 ? ev.key.toLowerCase() : "";
      const code = key && (model.get("codes") || []).find((c) => c.shortcut && c.shortcut.toLowerCase() === key);
      if (code) toggle(code.name);
      else handled = false;
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  });

  // --- answers from Python ------------------------------------------------------------
  const answered = () => {
    localSaving = false;
    localPending = "";
  };
  model.on("change:saved_seq", () => {
    answered();
    renderStatus();
    renderCodeState();
  });
  model.on("change:error_seq change:done_seq", () => {
    answered();
    renderStatus();
    renderCodeState();
  });
  model.on("change:status change:error change:pending change:saved_at", () => {
    renderStatus();
    renderCodeState();
  });
  model.on("change:unit", () => {
    rootExpanded = false;
    answered();
    renderUnit();
    renderCodeState();
    renderStatus();
  });
  model.on("change:context change:warning change:warning_open", renderUnit);
  model.on("change:applied", renderCodeState);
  model.on("change:codes", () => {
    renderCodes();
    renderCounts();
  });
  model.on("change:code_counts", renderCounts);
  model.on("change:memo change:memo_saved", renderMemo);
  model.on("change:filters change:threads", () => {
    renderFilters();
    renderHeader();
  });
  model.on(
    "change:coder change:round_name change:position change:total change:coded change:queue_total " +
      "change:message change:break_due change:undo_label change:flagged",
    renderHeader,
  );

  let timer = null;
  const schedule = () => {
    if (timer) clearInterval(timer);
    timer = model.get("break_minutes") > 0 ? setInterval(() => send({ type: "tick" }), 30000) : null;
  };
  model.on("change:break_minutes", schedule);
  schedule();

  renderCodes();
  renderUnit();
  renderHeader();
  renderStatus();
  renderCounts();
  renderMemo();
  renderFilters();

  return () => {
    if (timer) clearInterval(timer);
  };
}

export default { render };
