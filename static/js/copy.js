// Copy buttons for the ready-to-send messages (no inline script: CSP). The buttons stay
// hidden without JS: the readonly textarea is the fallback (select and copy by hand).
(function () {
  function selectText(area) {
    area.focus();
    area.select();
    area.setSelectionRange(0, area.value.length);
  }
  function done(button) {
    const label = button.textContent;
    button.textContent = button.dataset.copied || "✓";
    setTimeout(() => { button.textContent = label; }, 1500);
  }
  document.querySelectorAll("[data-copy]").forEach((button) => {
    const area = document.getElementById(button.dataset.copy);
    if (!area) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(
          () => done(button),
          () => { selectText(area); if (document.execCommand("copy")) done(button); },
        );
        return;
      }
      selectText(area);
      try {
        if (document.execCommand("copy")) done(button);
      } catch (e) {
        // Left selected: the user copies by hand.
      }
    });
  });
})();
