// The live dashboard: every 20 s (or on "立即刷新") the page is fetched again and only the
// parts marked data-live whose content changed are replaced, so a "未到学生" list a
// coordinator has opened stays open. When the page's shape changed (a unit or a window
// added), the whole block is replaced, lists opened before staying open.
(function () {
  const root = document.getElementById("live");
  if (!root) return;
  const interval = Number(root.dataset.interval) || 20000;
  let busy = false;

  function openKeys(scope) {
    const keys = new Set();
    scope.querySelectorAll("[data-live]").forEach((el) => {
      el.querySelectorAll("details").forEach((d, i) => {
        if (d.open) keys.add(`${el.dataset.live}/${i}`);
      });
    });
    return keys;
  }

  function reopen(scope, keys) {
    scope.querySelectorAll("[data-live]").forEach((el) => {
      el.querySelectorAll("details").forEach((d, i) => {
        if (keys.has(`${el.dataset.live}/${i}`)) d.open = true;
      });
    });
  }

  function apply(doc) {
    const fresh = doc.getElementById("live");
    if (!fresh) throw new Error("no live block");
    const current = new Map();
    root.querySelectorAll("[data-live]").forEach((el) => current.set(el.dataset.live, el));
    const incoming = Array.from(fresh.querySelectorAll("[data-live]"));
    const sameShape =
      incoming.length === current.size && incoming.every((el) => current.has(el.dataset.live));
    const open = openKeys(root);
    if (!sameShape) {
      root.innerHTML = fresh.innerHTML;
      reopen(root, open);
      return;
    }
    incoming.forEach((el) => {
      const old = current.get(el.dataset.live);
      // Compare with the lists closed, as the server sends them.
      const before = old.cloneNode(true);
      before.querySelectorAll("details").forEach((d) => d.removeAttribute("open"));
      if (before.innerHTML === el.innerHTML) return;
      old.innerHTML = el.innerHTML;
      reopen(old.parentNode || root, open);
    });
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok || response.redirected) throw new Error(String(response.status));
      apply(new DOMParser().parseFromString(await response.text(), "text/html"));
      root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
    } catch (err) {
      // Signed out or offline: keep what is on screen; the next tick tries again.
    } finally {
      busy = false;
    }
  }

  root.addEventListener("click", (event) => {
    if (event.target.closest("#live-refresh")) {
      event.preventDefault();
      refresh();
    }
  });
  setInterval(refresh, interval);
})();
