// Pairing a station's browser.
// - The pairing link carries its one-time code in the fragment (/station/pair/#code), which
//   the browser never sends: it goes into the form here, then out of the address bar.
// - After pairing: keep the device token in this browser, then open the station page.
(function () {
  const form = document.getElementById("pair-form");
  if (form) {
    const code = window.location.hash.slice(1);
    if (code) {
      form.elements.code.value = code;
      history.replaceState(null, "", window.location.pathname);
    }
  }
  const box = document.getElementById("pairing");
  if (!box) return;
  localStorage.setItem("capture-device-token", box.dataset.token);
  localStorage.setItem("capture-device-id", box.dataset.device);
  box.removeAttribute("data-token");
  window.location.replace(box.dataset.next);
})();
