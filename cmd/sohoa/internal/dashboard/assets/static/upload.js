// The upload page of sohoa serve: files go up in chunks (resuming where
// the server says it holds bytes to), then each file's documents are
// followed through the pipeline by server-sent events.
(function () {
  "use strict";
  const page = document.getElementById("upload-page");
  const csrf = page.dataset.csrf;
  const chunk = parseInt(page.dataset.chunk, 10) || 4 << 20;
  const maxSize = parseInt(page.dataset.max, 10) || 0;
  const unitSel = document.getElementById("unit");
  const splitSel = document.getElementById("split");
  const pagesLabel = document.getElementById("pages-label");
  const pagesInput = document.getElementById("split-pages");
  const filesInput = document.getElementById("files");
  const folderInput = document.getElementById("folder");
  const drop = document.getElementById("drop");
  const startBtn = document.getElementById("start");
  const clearBtn = document.getElementById("clear");
  const summary = document.getElementById("summary");
  const queueBody = document.querySelector("#queue tbody");
  const results = document.getElementById("results");
  const resultsBody = results.querySelector("tbody");

  const entries = []; // {file, name, row, state}
  let running = false;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function size(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(1) + " GB";
    if (n >= 1e6) return (n / 1e6).toFixed(1) + " MB";
    if (n >= 1e3) return Math.round(n / 1e3) + " KB";
    return n + " B";
  }

  function ignored(name) {
    const base = name.split("/").pop();
    const lower = base.toLowerCase();
    return base.startsWith(".") || base.startsWith("~$") || lower === "thumbs.db" || lower === "desktop.ini" ||
      lower.endsWith(".part") || lower.endsWith(".tmp");
  }

  function splitRule() {
    const v = splitSel.value;
    if (v === "pages") return "pages:" + Math.max(1, parseInt(pagesInput.value, 10) || 1);
    return v;
  }

  splitSel.addEventListener("change", () => { pagesLabel.hidden = splitSel.value !== "pages"; });

  function refreshStart() {
    const waiting = entries.filter((e) => e.state === "queued").length;
    // The unit is read when Upload is pressed, not watched here: a
    // choice made any way (keyboard, script) counts.
    startBtn.disabled = running || waiting === 0 || page.dataset.enabled !== "true";
    const done = entries.filter((e) => e.state === "done").length;
    const failed = entries.filter((e) => e.state === "failed").length;
    summary.textContent = entries.length ? `${entries.length} tệp / files · ${done} xong / done · ${failed} lỗi / failed` : "";
    if (entries.length && entries.every((e) => e.state === "done" || e.state === "failed")) {
      page.dataset.state = "done";
    } else if (running) {
      page.dataset.state = "running";
    }
  }

  function add(file, name) {
    name = name || file.webkitRelativePath || file.name;
    if (ignored(name)) return;
    if (entries.some((e) => e.name === name && e.file.size === file.size && e.file.lastModified === file.lastModified)) return;
    const row = el("tr", { "data-file": name, "data-state": "queued" });
    row.append(el("td", { class: "name" }, name), el("td", {}, size(file.size)));
    const up = el("td", { class: "up" });
    const bar = el("progress", { max: String(file.size || 1), value: "0" });
    const upText = el("span", { class: "muted" }, "chờ / waiting");
    up.append(bar, " ", upText);
    const proc = el("td", { class: "proc" });
    row.append(up, proc);
    queueBody.append(row);
    const entry = { file, name, row, bar, upText, proc, state: "queued" };
    if (maxSize && file.size > maxSize) {
      fail(entry, `lớn hơn mức cho phép ${size(maxSize)} (over the ${size(maxSize)} limit)`);
    } else if (file.size === 0) {
      fail(entry, "tệp rỗng (empty file)");
    }
    entries.push(entry);
  }

  function setState(entry, state, text) {
    entry.state = state;
    entry.row.dataset.state = state;
    if (text !== undefined) entry.upText.textContent = text;
    refreshStart();
  }

  function fail(entry, msg) {
    setState(entry, "failed", "✗ " + msg);
    entry.row.classList.add("failed");
  }

  filesInput.addEventListener("change", () => { for (const f of filesInput.files) add(f); filesInput.value = ""; refreshStart(); });
  folderInput.addEventListener("change", () => { for (const f of folderInput.files) add(f); folderInput.value = ""; refreshStart(); });
  clearBtn.addEventListener("click", () => {
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i].state === "queued" || entries[i].state === "failed" || entries[i].state === "done") {
        entries[i].row.remove();
        entries.splice(i, 1);
      }
    }
    refreshStart();
  });

  // Drag and drop: files, and folders walked (webkitGetAsEntry).
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    const items = ev.dataTransfer.items;
    const walks = [];
    if (items && items.length && items[0].webkitGetAsEntry) {
      for (const it of items) {
        const entry = it.webkitGetAsEntry();
        if (entry) walks.push(walk(entry, ""));
      }
      await Promise.all(walks);
    } else {
      for (const f of ev.dataTransfer.files) add(f);
    }
    refreshStart();
  });

  function walk(entry, prefix) {
    return new Promise((resolve) => {
      if (entry.isFile) {
        entry.file((f) => { add(f, prefix + f.name); resolve(); }, () => resolve());
        return;
      }
      if (!entry.isDirectory) { resolve(); return; }
      const reader = entry.createReader();
      const all = [];
      const next = () => reader.readEntries(async (batch) => {
        if (!batch.length) {
          for (const e of all) await walk(e, prefix + entry.name + "/");
          resolve();
          return;
        }
        all.push(...batch);
        next();
      }, () => resolve());
      next();
    });
  }

  // request sends one API request; it resolves with {status, body} and
  // rejects only when the network failed (status 0).
  function request(method, url, body, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      for (const k in headers || {}) xhr.setRequestHeader(k, headers[k]);
      if (onProgress) xhr.upload.onprogress = (ev) => onProgress(ev.loaded);
      xhr.onload = () => {
        let parsed = null;
        try { parsed = JSON.parse(xhr.responseText); } catch (e) { parsed = { error: xhr.responseText }; }
        resolve({ status: xhr.status, body: parsed || {} });
      };
      xhr.onerror = () => reject(new Error("network"));
      xhr.ontimeout = () => reject(new Error("timeout"));
      xhr.send(body);
    });
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // upload sends one file, resuming after breaks, then follows it.
  async function upload(entry, unit, split) {
    const file = entry.file;
    setState(entry, "uploading", "đang tải / uploading");
    const start = JSON.stringify({ name: entry.name, size: file.size, unit, split, last_modified: file.lastModified });
    let wait = 1000;
    let st = null;
    let tries = 0; // failures in a row
    const retry = async (msg) => {
      if (++tries > 12) return false;
      setState(entry, "uploading", `${msg} — thử lại sau ${wait / 1000}s (retrying)`);
      await sleep(wait);
      wait = Math.min(wait * 2, 30000);
      st = null; // ask the server where it stands
      return true;
    };
    for (;;) {
      let res;
      try {
        if (!st) {
          res = await request("POST", "/api/uploads", start, { "Content-Type": "application/json" });
        } else {
          const end = Math.min(st.offset + chunk, file.size);
          const from = st.offset;
          res = await request("PATCH", "/api/uploads/" + st.id, file.slice(from, end),
            { "Upload-Offset": String(from), "Content-Type": "application/offset+octet-stream" },
            (loaded) => { entry.bar.value = from + loaded; });
        }
      } catch (e) {
        if (await retry("mất kết nối (connection lost)")) continue;
        fail(entry, "mất kết nối, chọn lại tệp để tải tiếp (connection lost: choose the file again to go on)");
        return;
      }
      const b = res.body;
      if (res.status === 200 || res.status === 201) {
        wait = 1000;
        tries = 0;
        st = b;
        entry.bar.value = st.offset;
        entry.upText.textContent = `${size(st.offset)} / ${size(file.size)}`;
        if (st.complete) break;
        continue;
      }
      if (res.status === 409 && st && typeof b.offset === "number") {
        st.offset = b.offset; // the server holds this much: go on from there
        continue;
      }
      if ((res.status === 409 || res.status === 503 || res.status === 400 && st || res.status >= 500 && res.status !== 507) &&
          await retry(b.error || "HTTP " + res.status)) {
        continue;
      }
      fail(entry, b.error || ("HTTP " + res.status));
      return;
    }
    entry.bar.value = file.size;
    setState(entry, "stored", st.recorded_before ? "↺ đã nhập trước đây (recorded before)" : "✓ đã lưu / stored");
    for (const d of st.documents || []) showDoc(d);
    await followSlot();
    try {
      await follow(entry, st);
    } finally {
      releaseFollowSlot();
    }
  }

  // A browser keeps about six connections to a server: a folder of files
  // each followed by its own event stream would leave none for the
  // uploads. A few are followed at a time; the others wait their turn.
  const maxFollowed = 3;
  let followed = 0;
  const followWaiters = [];
  function followSlot() {
    if (followed < maxFollowed) {
      followed++;
      return Promise.resolve();
    }
    return new Promise((resolve) => followWaiters.push(resolve));
  }
  function releaseFollowSlot() {
    const next = followWaiters.shift();
    if (next) next(); // the slot passes on
    else followed--;
  }

  // follow listens to the upload's events until its documents are final.
  function follow(entry, st) {
    return new Promise((resolve) => {
      let es = null;
      const open = () => {
        es = new EventSource(st.events);
        es.addEventListener("stored", (ev) => {
          const d = JSON.parse(ev.data);
          if (d.duplicate_of) entry.proc.textContent = `trùng với hồ sơ #${d.duplicate_of} (same bytes as #${d.duplicate_of})`;
          else entry.proc.textContent = "đang xử lý / processing";
        });
        es.addEventListener("split", (ev) => {
          const d = JSON.parse(ev.data);
          entry.proc.textContent = `tách thành ${d.documents} văn bản (split into ${d.documents} documents)`;
          entry.row.dataset.documents = d.documents;
        });
        es.addEventListener("record", (ev) => showDoc(JSON.parse(ev.data)));
        es.addEventListener("pages", (ev) => {
          const d = JSON.parse(ev.data);
          const row = resultsBody.querySelector(`tr[data-record-id="${d.record}"]`);
          if (row) setPages(row, d.done, d.total);
        });
        es.addEventListener("store", (ev) => {
          const d = JSON.parse(ev.data);
          entry.proc.textContent = d.problem ? "⚠ kho lưu trữ không trả lời, đang chờ (the store is not answering: waiting) — " + d.problem : "đang xử lý / processing";
        });
        es.addEventListener("end", (ev) => {
          const d = JSON.parse(ev.data);
          es.close();
          entry.proc.textContent = d.processing ? `xong: ${d.documents} văn bản (done: ${d.documents} documents)` :
            `đã xếp hàng ${d.documents} văn bản cho sohoa worker (queued for sohoa worker)`;
          setState(entry, "done");
          resolve();
        });
        es.onerror = () => {
          if (es.readyState === EventSource.CLOSED) setTimeout(open, 3000);
        };
      };
      open();
    });
  }

  function setPages(row, done, total) {
    const cell = row.querySelector(".pages");
    cell.textContent = "";
    const bar = el("progress", { max: String(total || 1), value: String(Math.min(done, total || 1)) });
    cell.append(bar, " " + done + "/" + (total || "?"));
  }

  function showDoc(d) {
    let row = resultsBody.querySelector(`tr[data-record-id="${d.id}"]`);
    if (!row) {
      row = el("tr", { "data-record-id": String(d.id) });
      row.append(el("td", { class: "id" }), el("td", { class: "source" }), el("td", { class: "type" }),
        el("td", { class: "number" }), el("td", { class: "status" }), el("td", { class: "pages" }));
      const rows = Array.from(resultsBody.children);
      const after = rows.find((r) => parseInt(r.dataset.recordId, 10) > d.id);
      resultsBody.insertBefore(row, after || null);
      results.dataset.count = String(resultsBody.children.length);
    }
    row.dataset.status = d.status;
    row.dataset.final = String(d.final);
    const link = el("a", { href: d.url, class: "record-link" }, "#" + d.id);
    row.querySelector(".id").replaceChildren(link);
    let src = d.source;
    if (d.first_page) src += d.first_page === d.last_page ? ` p. ${d.first_page}` : ` pp. ${d.first_page}–${d.last_page}`;
    row.querySelector(".source").textContent = src;
    row.querySelector(".type").textContent = d.type_name || d.doc_type || "—";
    row.querySelector(".number").textContent = d.number || "—";
    const status = row.querySelector(".status");
    status.className = "status rs-" + d.status;
    status.textContent = d.status_label + (d.duplicate_of ? ` (#${d.duplicate_of})` : "");
    status.title = d.error || "";
    setPages(row, d.pages_done, d.pages);
  }

  startBtn.addEventListener("click", async () => {
    if (running) return;
    const unit = unitSel.value;
    const split = splitRule();
    if (!unit) {
      summary.textContent = "Hãy chọn đơn vị trước (choose the unit first)";
      unitSel.focus();
      return;
    }
    running = true;
    page.dataset.state = "running";
    refreshStart();
    const followers = [];
    for (const entry of entries) {
      if (entry.state !== "queued") continue;
      // Files go up one at a time; their processing is followed alongside.
      const p = upload(entry, unit, split).catch((e) => fail(entry, String(e)));
      followers.push(p);
      await waitStored(entry);
    }
    await Promise.all(followers);
    running = false;
    refreshStart();
  });

  // waitStored resolves once entry is no longer uploading.
  function waitStored(entry) {
    return new Promise((resolve) => {
      const check = () => (entry.state === "uploading" ? setTimeout(check, 200) : resolve());
      check();
    });
  }

  refreshStart();
  page.dataset.ready = "true";
})();
