// Keyboard for the review page (qa_app/review_admin.py): a approve, e edit, r reject, s skip,
// j/k next/previous, m raw text, ? the list. Keys typed into a field are the field's, except
// Esc (leave the field) and Ctrl+Enter (submit the edit form). No library, no build step.
"use strict";

(function () {
  const root = document.querySelector(".review");
  if (!root) {
    return;
  }
  const dialog = document.getElementById("shortcuts");
  const editPanel = document.getElementById("edit-panel");

  function submit(id) {
    const form = document.getElementById(id);
    if (form) {
      form.requestSubmit();
    }
  }

  function go(url) {
    if (url) {
      window.location.assign(url);
    }
  }

  function toggleRaw() {
    const raw = root.classList.toggle("show-raw");
    const button = document.getElementById("toggle-raw");
    if (button) {
      button.setAttribute("aria-pressed", String(raw));
    }
  }

  function showShortcuts() {
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
  }

  function openEditor() {
    if (!editPanel) {
      return;
    }
    editPanel.open = true;
    const first = editPanel.querySelector("textarea");
    if (first) {
      first.focus();
    }
  }

  function inField(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  const keys = {
    a: () => submit("approve-form"),
    e: openEditor,
    r: () => {
      const reason = document.getElementById("reject-reason");
      if (reason) {
        reason.focus();
      }
    },
    s: () => submit("skip-form"),
    j: () => (root.dataset.followingUrl ? go(root.dataset.followingUrl) : submit("skip-form")),
    k: () => go(root.dataset.previousUrl),
    m: toggleRaw,
    "?": showShortcuts,
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) {
      return;
    }
    if (inField(event.target)) {
      if (event.key === "Escape") {
        event.target.blur();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
        event.preventDefault();
        event.target.form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || (dialog && dialog.open)) {
      return;
    }
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  const rawButton = document.getElementById("toggle-raw");
  if (rawButton) {
    rawButton.addEventListener("click", toggleRaw);
  }
  const keysButton = document.getElementById("show-shortcuts");
  if (keysButton) {
    keysButton.addEventListener("click", showShortcuts);
  }
})();
