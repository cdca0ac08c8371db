// The fee sheet: a tick (已缴) or a reversal (冲正) is posted in the background and only
// its row and the counts are replaced, so a coordinator ticking down a long list keeps
// their place. The form posts normally when this script does not run or the fetch fails.
// The server answers as for a normal post (redirect to the sheet), so both paths share
// one view and one service call.
(function () {
  const table = document.getElementById("fees");
  if (!table) return;
  const status = document.getElementById("fee-status");
  let fade = null;

  function swap(doc, id, keep) {
    const old = document.getElementById(id);
    const fresh = doc.getElementById(id);
    if (!old || !fresh) return false;
    const node = document.importNode(fresh, true);
    if (keep) keep(old, node);
    old.replaceWith(node);
    return true;
  }

  function say(doc) {
    if (!status) return;
    const messages = Array.from(doc.querySelectorAll(".messages .message"));
    status.replaceChildren(
      ...messages.map((m) => {
        const p = document.createElement("p");
        p.className = m.className;
        p.textContent = m.textContent;
        return p;
      }),
    );
    // The message floats over the list's bottom rows: take it away after a while.
    clearTimeout(fade);
    fade = setTimeout(() => status.replaceChildren(), 5000);
  }

  table.addEventListener("submit", async (event) => {
    const form = event.target;
    const row = form.closest("tr");
    if (!row || !row.id) return;
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    if (row.classList.contains("busy")) return;
    row.classList.add("busy");
    let answered = false;
    try {
      // getAttribute: the forms carry an input named "action", which shadows form.action.
      const url = new URL(form.getAttribute("action") || "", window.location.href);
      const response = await fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok) throw new Error(String(response.status));
      answered = true;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      // The row keeps a filter's hidden state; the unpaid list keeps its open state.
      if (!swap(doc, row.id, (old, node) => { node.hidden = old.hidden; })) {
        throw new Error("row missing");
      }
      swap(doc, "totals");
      swap(doc, "missing", (old, node) => { node.open = old.open; });
      say(doc);
    } catch (err) {
      row.classList.remove("busy");
      // Recorded but the page changed shape: show the server's page as it is now.
      if (answered) window.location.reload();
      // Not recorded: let the browser post the form itself (a tick carries its
      // idempotency key, so a tick that did arrive is not counted twice).
      else HTMLFormElement.prototype.submit.call(form);
    }
  });
})();
