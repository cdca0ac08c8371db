// Door station: scans answer without a page reload, survive network drops, can be undone.
//
// Every scan gets a client key and its own time when it is typed. If the network is down
// (or scans are already waiting), it is queued in localStorage and uploaded in order when
// the network is back; the server records the original time, and a re-upload of a scan it
// already has returns the first answer (the key is unique server-side).
(function () {
  const root = document.getElementById("station");
  if (!root) return;
  const t = root.dataset;
  const form = document.getElementById("scan-form");
  const input = document.getElementById("scan-input");
  const answerBox = document.getElementById("answer");
  const net = document.getElementById("net");
  const recent = document.getElementById("recent");
  const shootingForm = document.getElementById("shooting-form");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const QUEUE_KEY = `capture-station-${t.station}-queue`;
  let online = navigator.onLine;
  let flushing = false;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // also available on plain http inside the venue
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function loadQueue() {
    try {
      return JSON.parse(localStorage.getItem(QUEUE_KEY)) || [];
    } catch (err) {
      return [];
    }
  }

  function saveQueue(queue) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
    showNet();
  }

  function showNet() {
    const n = loadQueue().length;
    net.className = "net " + (online && !n ? "online" : "offline");
    net.textContent = `${online ? t.textOnline : t.textOffline}${n ? ` · ${n} ${t.textQueued}` : ""}`;
    net.dataset.queued = String(n);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  }

  function button(text, onClick, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (className) b.className = className;
    b.addEventListener("click", onClick);
    return b;
  }

  function addRecent(answer, scan, late) {
    if (answer.outcome === "choose") return;
    const li = document.createElement("li");
    li.className = `answer-${answer.outcome}`;
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = new Date(scan.occurred_at).toLocaleTimeString("zh-CN", { hour12: false });
    li.append(time, " ", (late ? `[${t.textUploaded}] ` : "") + answer.message);
    if (answer.outcome === "green" && answer.log_id) {
      recent.querySelectorAll("button.undo").forEach((b) => b.remove());
      li.dataset.log = answer.log_id;
      li.append(" ", button(t.textUndo, () => undo(answer.log_id, li), "link undo"));
    }
    recent.querySelectorAll("li.hint").forEach((el) => el.remove());
    recent.prepend(li);
    while (recent.children.length > 10) recent.lastElementChild.remove();
  }

  function show(answer, scan, late) {
    answerBox.className = `answer answer-${answer.outcome}`;
    const text = document.createElement("p");
    text.className = "answer-text";
    text.textContent = (late ? `[${t.textUploaded}] ` : "") + answer.message;
    answerBox.replaceChildren(text);
    if (answer.outcome === "orange") {
      answerBox.append(
        button(t.textConfirm, () => send({ ...scan, capture_id: answer.capture_id, confirm: true }), "primary"),
      );
    }
    if (answer.outcome === "choose") {
      const list = document.createElement("ul");
      list.className = "choices";
      for (const c of answer.candidates) {
        const li = document.createElement("li");
        li.append(
          button(`${c.name} · ${c.unit} · …${c.student_no_tail}`, () =>
            send({ code: "", capture_id: c.capture_id, key: newKey(), occurred_at: scan.occurred_at }),
          ),
        );
        list.append(li);
      }
      answerBox.append(list);
    }
    addRecent(answer, scan, late);
    if (shootingForm && answer.outcome === "green") {
      shootingForm.hidden = false;
      shootingForm.elements.capture_id.value = answer.capture_id;
    }
  }

  function queue(scan) {
    const q = loadQueue();
    q.push(scan);
    saveQueue(q);
    answerBox.className = "answer answer-queued";
    const text = document.createElement("p");
    text.className = "answer-text";
    text.textContent = `${t.textNetwork} (${q.length})`;
    answerBox.replaceChildren(text);
  }

  async function send(scan) {
    if (loadQueue().length) {
      queue(scan); // keep the order: earlier scans are still waiting
      flush();
      return;
    }
    let response;
    try {
      response = await post(t.scanUrl, scan);
    } catch (err) {
      online = false;
      queue(scan);
      return;
    }
    online = true;
    showNet();
    if (!response.ok) {
      show({ outcome: "red", message: `HTTP ${response.status}` }, scan, false);
      return;
    }
    show(await response.json(), scan, false);
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      let q = loadQueue();
      while (q.length) {
        const scan = q[0];
        let response;
        try {
          response = await post(t.scanUrl, scan);
        } catch (err) {
          online = false;
          break;
        }
        online = true;
        if (response.status >= 500) break; // the server is in trouble: try again later
        if (response.ok) show(await response.json(), scan, true);
        else show({ outcome: "red", message: `HTTP ${response.status}` }, scan, true);
        q = loadQueue();
        q.shift();
        saveQueue(q);
      }
    } finally {
      flushing = false;
      showNet();
    }
  }

  async function undo(logId, li) {
    if (!window.confirm(t.textConfirmUndo)) return;
    try {
      const response = await post(t.undoUrl, { log_id: logId });
      const data = await response.json();
      answerBox.className = `answer ${data.ok ? "answer-yellow" : "answer-red"}`;
      const text = document.createElement("p");
      text.className = "answer-text";
      text.textContent = data.message;
      answerBox.replaceChildren(text);
      if (data.ok) {
        li.classList.add("undone");
        li.querySelectorAll("button.undo").forEach((b) => b.remove());
      }
    } catch (err) {
      online = false;
      showNet();
    }
    input.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    send({ code, key: newKey(), occurred_at: new Date().toISOString(), confirm: false });
  });

  if (shootingForm) {
    shootingForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        capture_id: shootingForm.elements.capture_id.value,
        shooting_no: shootingForm.elements.shooting_no.value,
      };
      try {
        const response = await post(t.shootingUrl, body);
        const data = await response.json();
        answerBox.className = `answer ${data.ok ? "answer-green" : "answer-red"}`;
        const text = document.createElement("p");
        text.className = "answer-text";
        text.textContent = data.message;
        answerBox.replaceChildren(text);
        if (data.ok) {
          shootingForm.elements.shooting_no.value = "";
          shootingForm.hidden = true;
        }
      } catch (err) {
        online = false;
        showNet();
      }
      input.focus();
    });
  }

  // The big input keeps the focus: a hand-held scanner types into whatever has it.
  input.addEventListener("blur", () =>
    setTimeout(() => {
      const active = document.activeElement;
      if (!active || active === document.body) input.focus();
    }, 150),
  );
  window.addEventListener("online", () => {
    online = true;
    flush();
  });
  window.addEventListener("offline", () => {
    online = false;
    showNet();
  });
  setInterval(flush, 4000);
  showNet();
  flush();
  input.focus();
})();
