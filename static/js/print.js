// Print button on print-friendly pages (no inline script: CSP).
document.querySelectorAll("[data-print]").forEach((button) =>
  button.addEventListener("click", () => window.print()),
);
