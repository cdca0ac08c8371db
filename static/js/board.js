// The waiting-area board: polls a small JSON endpoint; after a network blip it keeps the
// last data on screen and says it is retrying.
(function () {
  const root = document.getElementById("board");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const none = root.dataset.textNone;
  // "、" on a Chinese board, ", " on an English one (the page's translated separator).
  const comma = root.dataset.textListSeparator;

  function window_(w, timeId, unitsId) {
    $(timeId).textContent = w ? `${w.start}–${w.end}` : "";
    $(unitsId).textContent = w && w.units.length ? w.units.join(comma) : none;
  }

  // Office announcements, large, above everything; English text on an English board
  // when the office gave one.
  function announcements(list) {
    const box = $("announcements");
    if (!box) return;
    const english = document.documentElement.lang === "en";
    box.replaceChildren(
      ...(list || []).map((a) => {
        const p = document.createElement("p");
        p.className = "units-big announcement";
        p.textContent = english && a.text_en ? a.text_en : a.text;
        return p;
      }),
    );
    box.hidden = !list || list.length === 0;
  }

  function render(data) {
    $("clock").textContent = data.time || "--:--";
    announcements(data.announcements);
    window_(data.current, "current-time", "current-units");
    window_(data.next, "next-time", "next-units");
    $("overall").textContent = `${data.overall.done} / ${data.overall.total}`;
    const list = $("progress");
    list.replaceChildren(
      ...data.units.map((u) => {
        const li = document.createElement("li");
        const name = document.createElement("span");
        name.className = "unit-name";
        name.textContent = u.name;
        const bar = document.createElement("progress");
        bar.max = Math.max(u.total, 1);
        bar.value = u.done;
        const count = document.createElement("span");
        count.className = "count";
        count.textContent = `${u.done}/${u.total}`;
        li.append(name, bar, count);
        li.dataset.unit = u.name;
        return li;
      }),
    );
  }

  async function refresh() {
    try {
      const response = await fetch(root.dataset.url, { cache: "no-store" });
      if (!response.ok) throw new Error(response.status);
      render(await response.json());
      $("stale").hidden = true;
    } catch (err) {
      $("stale").textContent = root.dataset.textStale;
      $("stale").hidden = false;
    }
  }

  refresh();
  setInterval(refresh, 3000);
})();
