// After pairing: keep the device token in this browser, then open the station page.
(function () {
  const box = document.getElementById("pairing");
  if (!box) return;
  localStorage.setItem("capture-device-token", box.dataset.token);
  localStorage.setItem("capture-device-id", box.dataset.device);
  box.removeAttribute("data-token");
  window.location.replace(box.dataset.next);
})();
