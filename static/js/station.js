// Door station on a paired device: scans answer at once, survive network and server faults,
// and are never dropped.
//
// Every scan is written to this browser's storage first (the queue), then uploaded in
// order with its own time and a client key (the server answers a repeated key with the
// first answer). A scan leaves the queue only when the server answered it about that
// student (recorded, already, refused with a reason, needs a confirmation). A network
// fault or an unauthorised device keeps everything queued and says so; a server fault
// skips that scan for now, and a scan that keeps failing (or that the server will never
// take as sent) moves to the visible "needs attention" list instead of blocking the rest.
// Scans that need the operator (attention notes, several students of one name) wait in
// their own list until confirmed or dismissed.
// A person nobody found ("unknown") can be recorded as a walk-in (名单外人员) from a small
// form; it goes through the same queue, to its own endpoint, with its own key.
(function () {
  const root = document.getElementById("station");
  if (!root) return;
  const t = root.dataset;
  const TOKEN_KEY = "capture-device-token";
  const QUEUE_KEY = "capture-station-queue";
  const ATTENTION_KEY = "capture-station-attention";
  const PROBLEMS_KEY = "capture-station-problems";
  const INFO_KEY = "capture-station-info";
  const MAX_ATTEMPTS = 3;
  const $ = (id) => document.getElementById(id);
  const form = $("scan-form");
  const input = $("scan-input");
  const answerBox = $("answer");
  const net = $("net");
  const recent = $("recent");
  const shootingForm = $("shooting-form");
  const deviceProblem = $("device-problem");
  const walkinOffer = $("walkin-offer");
  const walkinForm = $("walkin-form");
  const walkinError = $("walkin-error");
  // A shell cached before walk-ins existed has no form: the rest works without it.
  const walkIns = Boolean(walkinOffer && walkinForm && walkinError && t.walkInUrl);
  const NUMBER_RE = /^(?=.*[0-9])[0-9A-Za-z-]{4,32}$/; // what a scan reads as a student number
  const token = localStorage.getItem(TOKEN_KEY);
  let online = navigator.onLine;
  let unauthorised = false;
  let flushing = false;
  let again = false; // a scan was queued while a flush was running
  let info = load(INFO_KEY, null);
  let shootingFor = null; // {log_id, name}: the photograph a shooting number belongs to
  let unknownCode = ""; // what was scanned when nobody was found: the walk-in form's start

  if (!token) {
    $("station-unpaired").hidden = false;
    return;
  }
  root.hidden = false;

  function load(key, fallback) {
    try {
      const value = JSON.parse(localStorage.getItem(key));
      return value === null ? fallback : value;
    } catch (err) {
      return fallback;
    }
  }

  function store(key, value) {
    localStorage.setItem(key, JSON.stringify(value));
    render();
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // also available on plain http inside the venue
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(text, onClick, className) {
    const b = el("button", className, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString("zh-CN", { hour12: false });
  }

  function api(url, body) {
    const options = {
      method: body ? "POST" : "GET",
      // No cookie goes with these requests, so the page's language is said explicitly:
      // answers in the language the operator chose, not the browser's default.
      headers: { Authorization: `Device ${token}`, "Accept-Language": document.documentElement.lang || "zh-hans" },
      credentials: "omit", // the device token is the only credential: no cookie, no CSRF
      cache: "no-store",
    };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options);
  }

  async function json(response) {
    try {
      return await response.json();
    } catch (err) {
      return {};
    }
  }

  // --- what the page shows --------------------------------------------------------------

  function render() {
    const queued = load(QUEUE_KEY, []).length;
    net.dataset.queued = String(queued);
    if (unauthorised) {
      net.className = "net offline";
      net.textContent = `${queued} ${t.textWaiting} — ${t.textUnauthorised}`;
    } else {
      net.className = "net " + (online && !queued ? "online" : "offline");
      net.textContent = `${online ? t.textOnline : t.textOffline}${queued ? ` · ${queued} ${t.textQueued}` : ""}`;
    }
    renderAttention();
    renderProblems();
  }

  function showStation() {
    if (!info) return;
    $("station-name").textContent = info.station.name;
    $("station-kind").textContent = info.station.kind_display;
    // Which session this door serves: every session has its 北门-1.
    const where = $("station-session");
    if (where && info.session) {
      where.textContent = [info.session.date, info.session.campus, info.session.place]
        .filter(Boolean)
        .join(" · ");
      where.classList.toggle("closed", !!info.session.closed);
    }
    document.title = info.station.name;
  }

  function say(outcome, lines) {
    if (walkIns) walkinOffer.hidden = true; // offered again only under its own "unknown" answer
    answerBox.className = `answer answer-${outcome}`;
    answerBox.replaceChildren(...lines.filter(Boolean).map((line) => el("p", "answer-text", line)));
  }

  function quietHint(answer) {
    // Recorded all the same: the student came outside their own time slot or session.
    if (answer.hint) answerBox.append(el("p", "answer-hint", answer.hint));
  }

  function described(scan) {
    if (scan.kind === "walk_in") return `${t.textWalkInLabel}: ${scan.student_no} ${scan.name}`;
    return `${t.textScanned}: ${scan.code || "#" + scan.capture_id}`;
  }

  function scannedLine(answer, scan) {
    const code = answer.scanned || scan.code;
    if (answer.outcome !== "red" || !code || (answer.message || "").includes(code)) return null;
    return `${t.textScanned}: ${code}`;
  }

  function hideShooting() {
    shootingFor = null;
    shootingForm.hidden = true;
    shootingForm.elements.shooting_no.value = "";
  }

  function offerShooting(answer) {
    // Only after a green "photographed", and only for that student.
    if (!info || info.station.kind !== "photographed") return;
    if (answer.outcome !== "green" || answer.status !== "photographed" || !answer.log_id) return;
    shootingFor = { log_id: answer.log_id, name: answer.student ? answer.student.name : "" };
    $("shooting-who").textContent = shootingFor.name;
    shootingForm.hidden = false;
  }

  function addRecent(entry) {
    recent.querySelectorAll("li.hint").forEach((node) => node.remove());
    const li = el("li", `answer-${entry.outcome}`);
    li.append(el("span", "time", clock(entry.occurred_at)), " ", entry.text);
    if (entry.log_id && entry.undoable) {
      recent.querySelectorAll("button.undo").forEach((b) => b.remove());
      li.dataset.log = entry.log_id;
      li.append(" ", button(t.textUndo, () => undo(entry, li), "link undo"));
    }
    recent.prepend(li);
    while (recent.children.length > 10) recent.lastElementChild.remove();
  }

  function answered(answer, scan, late) {
    const prefix = late ? `[${t.textUploaded}] ` : "";
    if (answer.outcome === "orange" || answer.outcome === "choose") {
      // The operator decides: kept until confirmed or dismissed, whatever comes next. Once
      // per scan, though two tabs of this station may both have uploaded it.
      const waiting = load(ATTENTION_KEY, []);
      if (!waiting.some((item) => item.scan.key === scan.key)) {
        waiting.push({ scan, answer });
        store(ATTENTION_KEY, waiting);
      }
    }
    if (late && answerBox.classList.contains("answer-queued")) {
      // The box still says "saved, will upload": show what the upload answered instead.
      say(answer.outcome, [prefix + answer.message, scannedLine(answer, scan)]);
      quietHint(answer);
    }
    if (!late) {
      hideShooting();
      say(answer.outcome, [prefix + answer.message, scannedLine(answer, scan)]);
      quietHint(answer);
      offerShooting(answer);
      offerWalkIn(answer, scan);
    }
    if (answer.outcome === "choose") return;
    addRecent({
      outcome: answer.outcome,
      occurred_at: scan.occurred_at,
      text:
        prefix +
        answer.message +
        (scannedLine(answer, scan) ? ` (${scan.code})` : "") +
        (answer.hint ? ` · ${answer.hint}` : ""),
      log_id: answer.outcome === "green" ? answer.log_id : null,
      undoable: answer.outcome === "green",
      name: answer.student ? answer.student.name : "",
    });
  }

  function renderAttention() {
    const list = $("attention");
    const waiting = load(ATTENTION_KEY, []);
    $("attention-wrap").hidden = !waiting.length;
    net.dataset.attention = String(waiting.length);
    list.replaceChildren(
      ...waiting.map((item, index) => {
        const li = el("li", `answer-${item.answer.outcome}`);
        li.append(el("span", "time", clock(item.scan.occurred_at)), " ", item.answer.message);
        const actions = el("div", "actions");
        if (item.answer.outcome === "orange") {
          actions.append(
            button(t.textConfirm, () => decide(index, item.answer.capture_id, true), "primary"),
          );
        } else {
          for (const c of item.answer.candidates || []) {
            actions.append(
              button(`${c.name} · ${c.unit} · …${c.student_no_tail}`, () =>
                decide(index, c.capture_id, false),
              ),
            );
          }
        }
        actions.append(button(t.textDismiss, () => dismiss(ATTENTION_KEY, index), "link"));
        li.append(actions);
        return li;
      }),
    );
  }

  function renderProblems() {
    const list = $("problems");
    const failed = load(PROBLEMS_KEY, []);
    $("problems-wrap").hidden = !failed.length;
    net.dataset.problems = String(failed.length);
    list.replaceChildren(
      ...failed.map((item, index) => {
        const li = el("li", "answer-red");
        const what = item.scan.kind === "walk_in" ? described(item.scan) : item.scan.code || "#" + item.scan.capture_id;
        li.append(el("span", "time", clock(item.scan.occurred_at)), " ", `${what} — ${item.reason}`);
        const actions = el("div", "actions");
        actions.append(
          button(t.textRetry, () => retry(index), "primary"),
          button(t.textDismiss, () => dismiss(PROBLEMS_KEY, index), "link"),
        );
        li.append(actions);
        return li;
      }),
    );
  }

  function decide(index, captureId, confirm) {
    const waiting = load(ATTENTION_KEY, []);
    const item = waiting.splice(index, 1)[0];
    store(ATTENTION_KEY, waiting);
    if (!item) return;
    // The same key: the scan the operator now confirms is the one that was scanned.
    enqueue({ ...item.scan, capture_id: captureId, confirm, attempts: 0, typed_at: Date.now() });
  }

  function dismiss(key, index) {
    const items = load(key, []);
    items.splice(index, 1);
    store(key, items);
    input.focus();
  }

  function retry(index) {
    const failed = load(PROBLEMS_KEY, []);
    const item = failed.splice(index, 1)[0];
    store(PROBLEMS_KEY, failed);
    if (item) enqueue({ ...item.scan, attempts: 0, typed_at: Date.now() });
  }

  // --- the queue ------------------------------------------------------------------------

  function enqueue(scan) {
    const queue = load(QUEUE_KEY, []);
    queue.push(scan);
    store(QUEUE_KEY, queue);
    say("queued", [online ? t.textSaved : `${t.textNetwork} (${queue.length})`]);
    flush();
  }

  function removeFromQueue(key) {
    store(
      QUEUE_KEY,
      load(QUEUE_KEY, []).filter((s) => s.key !== key),
    );
  }

  function updateInQueue(scan) {
    store(
      QUEUE_KEY,
      load(QUEUE_KEY, []).map((s) => (s.key === scan.key ? scan : s)),
    );
  }

  function toProblems(scan, reason) {
    removeFromQueue(scan.key);
    const failed = load(PROBLEMS_KEY, []);
    failed.push({ scan, reason });
    store(PROBLEMS_KEY, failed);
  }

  async function flush() {
    if (flushing) {
      again = true;
      return;
    }
    flushing = true;
    again = false;
    try {
      for (const scan of load(QUEUE_KEY, [])) {
        let response;
        const walkIn = scan.kind === "walk_in";
        try {
          const { attempts, typed_at, deferred, kind, ...body } = scan;
          response = await api(walkIn ? t.walkInUrl : t.scanUrl, body);
        } catch (err) {
          online = false; // nothing will get through now: keep everything for later
          store(QUEUE_KEY, load(QUEUE_KEY, []).map((s) => ({ ...s, deferred: true })));
          break;
        }
        online = true;
        if (response.status === 401 || response.status === 403) {
          await refusedDevice(response);
          break;
        }
        unauthorised = false;
        deviceProblem.hidden = true;
        // Shown as a late upload unless it went up at once, while the operator watches.
        const late = scan.deferred || scan.attempts > 0 || Date.now() - scan.typed_at > 8000;
        if (response.ok) {
          const answer = await json(response);
          removeFromQueue(scan.key);
          if (walkIn) walkInRecorded(answer, scan, late);
          else answered(answer, scan, late);
        } else if (walkIn && response.status === 400 && !late) {
          // What was just typed is wrong: back into the form, as typed, with the reason.
          const data = await json(response);
          removeFromQueue(scan.key);
          say("red", [data.message || `HTTP ${response.status}`]);
          openWalkIn(scan, data.message || `HTTP ${response.status}`);
        } else if (response.status === 400 || response.status === 409) {
          // The server will never take this scan as it was sent: the operator decides.
          const data = await json(response);
          toProblems(scan, data.message || `HTTP ${response.status}`);
          if (!late) say("red", [data.message || `HTTP ${response.status}`, described(scan)]);
        } else {
          const tried = { ...scan, attempts: (scan.attempts || 0) + 1 };
          if (tried.attempts >= MAX_ATTEMPTS) toProblems(tried, `HTTP ${response.status}`);
          else updateInQueue(tried);
          if (!late) say("queued", [`${t.textServerTrouble} (HTTP ${response.status})`]);
          // The next scans go on: one failing scan must not hold the others back.
        }
      }
    } finally {
      flushing = false;
      render();
      if (again && online && !unauthorised) setTimeout(flush, 0);
    }
  }

  async function refusedDevice(response) {
    // Nothing leaves the queue: the office can pair this browser again and it all goes up.
    unauthorised = true;
    const data = await json(response);
    deviceProblem.textContent = data.message || t.textUnauthorised;
    deviceProblem.hidden = false;
    const queued = load(QUEUE_KEY, []).length;
    say("red", [queued ? `${queued} ${t.textWaiting} — ${t.textUnauthorised}` : t.textUnauthorised]);
  }

  // --- walk-ins: people nobody found, recorded as typed ---------------------------------------

  function offerWalkIn(answer, scan) {
    if (!walkIns || answer.outcome !== "red" || answer.code !== "unknown") return;
    unknownCode = answer.scanned || scan.code || "";
    walkinOffer.hidden = false;
  }

  function closeWalkIn() {
    walkinForm.hidden = true;
    walkinForm.reset();
    walkinError.hidden = true;
    input.focus();
  }

  function openWalkIn(values, error) {
    // `values`: what to show again (a refused upload), else the scanned text as a start: a
    // number in the number field, a name in the name field, a pass token in neither.
    const f = walkinForm.elements;
    walkinForm.reset();
    if (values) {
      f.student_no.value = values.student_no || "";
      f.name.value = values.name || "";
      f.unit_text.value = values.unit_text || "";
    } else if (NUMBER_RE.test(unknownCode)) {
      f.student_no.value = unknownCode;
    } else if (unknownCode && !unknownCode.includes(":")) {
      f.name.value = unknownCode.slice(0, 64);
    }
    walkinError.textContent = error || "";
    walkinError.hidden = !error;
    walkinOffer.hidden = true;
    walkinForm.hidden = false;
    const first = [f.student_no, f.name, f.unit_text].find((field) => !field.value) || f.student_no;
    first.focus();
  }

  function walkInRecorded(answer, scan, late) {
    const prefix = late ? `[${t.textUploaded}] ` : "";
    if (!late || answerBox.classList.contains("answer-queued")) say("green", [prefix + answer.message]);
    addRecent({ outcome: "green", occurred_at: scan.occurred_at, text: prefix + answer.message });
  }

  if (walkIns) {
    $("walkin-open").addEventListener("click", () => openWalkIn(null, ""));
    $("walkin-cancel").addEventListener("click", closeWalkIn);
    walkinForm.addEventListener("submit", submitWalkIn);
  }

  function submitWalkIn(event) {
    event.preventDefault();
    const f = walkinForm.elements;
    const values = {
      student_no: f.student_no.value.trim(),
      name: f.name.value.trim(),
      unit_text: f.unit_text.value.trim(),
    };
    if (!values.student_no || !values.name) {
      walkinError.textContent = t.textWalkInMissing;
      walkinError.hidden = false;
      (values.student_no ? f.name : f.student_no).focus();
      return;
    }
    closeWalkIn();
    enqueue({
      kind: "walk_in",
      key: newKey(), // a fresh key: each submitted form is one person
      ...values,
      occurred_at: new Date().toISOString(),
      station: info ? info.station.id : undefined,
      attempts: 0,
      typed_at: Date.now(),
    });
    if (!online) say("queued", [t.textWalkInSaved]);
  }

  // --- undo and shooting numbers (online only: they correct what the operator sees) -------

  async function undo(entry, li) {
    if (!window.confirm(`${t.textConfirmUndo}\n${entry.name}`)) return;
    try {
      const response = await api(t.undoUrl, { log_id: entry.log_id });
      const data = await json(response);
      if (response.status === 401) unauthorised = true;
      say(response.ok ? "yellow" : "red", [data.message || `HTTP ${response.status}`]);
      if (response.ok) {
        li.classList.add("undone");
        li.querySelectorAll("button.undo").forEach((b) => b.remove());
        hideShooting();
      }
    } catch (err) {
      online = false;
    }
    render();
    input.focus();
  }

  shootingForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!shootingFor) return;
    const body = { log_id: shootingFor.log_id, shooting_no: shootingForm.elements.shooting_no.value.trim() };
    try {
      const response = await api(t.shootingUrl, body);
      const data = await json(response);
      say(response.ok ? "green" : "red", [data.message || `HTTP ${response.status}`]);
      if (response.ok) hideShooting();
    } catch (err) {
      online = false;
      render();
    }
    input.focus();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value.trim();
    input.value = "";
    input.focus();
    hideShooting();
    if (!code) return;
    const paper = $("paper-mode");
    enqueue({
      key: newKey(),
      code,
      occurred_at: new Date().toISOString(),
      station: info ? info.station.id : undefined,
      // Reading a paper sign-in sheet afterwards: the server stamps the student's window.
      ...(paper && paper.checked ? { paper: true } : {}),
      attempts: 0,
      typed_at: Date.now(),
    });
  });

  // Office announcements (zh, en when this page is English and one is given): shown from
  // the status answer, which start() reads and the poll below reads again.
  function showAnnouncements(list) {
    const box = $("announcements");
    if (!box || !Array.isArray(list)) return;
    const english = document.documentElement.lang === "en";
    box.replaceChildren(
      ...list.map((a) => {
        const p = document.createElement("p");
        p.className = "message announcement";
        p.textContent = english && a.text_en ? a.text_en : a.text;
        return p;
      }),
    );
    box.hidden = list.length === 0;
  }

  async function pollAnnouncements() {
    if (!online || unauthorised) return;
    try {
      const response = await api(t.statusUrl);
      if (response.ok) showAnnouncements((await json(response)).announcements);
    } catch (err) {
      // The scan queue reports the network; the banner keeps what it showed.
    }
  }

  async function start() {
    showStation();
    try {
      const response = await api(t.statusUrl);
      online = true;
      if (response.status === 401 || response.status === 403) {
        await refusedDevice(response);
      } else if (response.ok) {
        const data = await json(response);
        info = { station: data.station, session: data.session, device: data.device };
        localStorage.setItem(INFO_KEY, JSON.stringify(info));
        showStation();
        showAnnouncements(data.announcements);
        for (const r of data.recent.slice().reverse()) {
          addRecent({
            outcome: "green",
            occurred_at: r.occurred_at,
            text: `${r.name} · ${r.unit} · ${r.status_display}${r.action === "undo" ? ` (${t.textUndo})` : ""}`,
            log_id: r.log_id,
            undoable: r.undoable,
            name: r.name,
          });
        }
        // Only the newest scan can be undone from here, as on the live list.
        const buttons = recent.querySelectorAll("button.undo");
        buttons.forEach((b, i) => i > 0 && b.remove());
        if (recent.firstElementChild && !recent.firstElementChild.querySelector("button.undo")) {
          buttons.forEach((b) => b.remove());
        }
      }
    } catch (err) {
      online = false;
    }
    render();
    flush();
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
    render();
  });
  // Another tab of this station changed the queue or the lists: show the same.
  window.addEventListener("storage", (event) => {
    if ([QUEUE_KEY, ATTENTION_KEY, PROBLEMS_KEY].includes(event.key)) render();
  });
  if ("serviceWorker" in navigator && t.swUrl) {
    navigator.serviceWorker.register(t.swUrl, { scope: t.statusUrl.replace(/api\/status\/$/, "") }).catch(() => {});
  }
  setInterval(flush, 4000);
  setInterval(pollAnnouncements, 30000);
  start();
  input.focus();
})();
