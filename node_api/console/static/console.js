// Recourse console: the only script of our own (served from 'self'; no inline script anywhere).
// Evidence check: SHA-256 of each chosen file, computed in this browser with WebCrypto; the file never
// leaves the machine. crypto.subtle.digest has no incremental form, so each file is read whole
// (file.arrayBuffer()) and hashed in one call, one file at a time (memory: the largest file, once).
"use strict";

function hex(buffer) {
  return "0x" + Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256File(file) {
  return hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
}

async function hashInto(input) {
  const target = document.getElementById(input.dataset.hashInto);
  const names = document.getElementById("names");
  const status = document.getElementById("hash-status");
  const submit = document.getElementById("check");
  const files = Array.from(input.files || []);
  if (!target || files.length === 0) return;
  if (!window.crypto || !crypto.subtle) {
    status.textContent = "WebCrypto is unavailable: open the console over https or on 127.0.0.1.";
    return;
  }
  submit.disabled = true;
  const digests = [];
  const labels = [];
  try {
    for (let i = 0; i < files.length; i++) {
      status.textContent = `${status.dataset.hashing} ${i + 1}/${files.length}`;
      digests.push(await sha256File(files[i]));
      labels.push(files[i].webkitRelativePath || files[i].name);
    }
    target.value = digests.join("\n");
    names.value = labels.join("\n");
    status.textContent = `${files.length} × SHA-256 ✓`;
    document.body.dataset.hashed = String(files.length);
  } catch (err) {
    status.textContent = String(err);
  } finally {
    submit.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[type=file][data-hash-into]").forEach((input) => {
    input.addEventListener("change", () => hashInto(input));
  });
  const digests = document.getElementById("digests");
  if (digests) digests.addEventListener("input", () => { document.getElementById("names").value = ""; });
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
});

// Auction room: a countdown in block time. The page (and every live update) carries the lot's end and the
// chain's time when it was rendered; the countdown runs from there on the local clock and jumps when an
// extension moves the end (the live update replaces the element with its new data-ends-at).
function tickCountdowns() {
  document.querySelectorAll("time[data-ends-at]").forEach((el) => {
    const endsAt = Number(el.dataset.endsAt);
    if (!endsAt) return;
    if (!el.dataset.offset || el.dataset.seenChainTime !== el.dataset.chainTime) {
      el.dataset.offset = String(Number(el.dataset.chainTime) - Date.now() / 1000);
      el.dataset.seenChainTime = el.dataset.chainTime;
    }
    const left = Math.floor(endsAt - (Date.now() / 1000 + Number(el.dataset.offset)));
    if (left <= 0) {
      el.textContent = el.dataset.ended;
      return;
    }
    const h = Math.floor(left / 3600);
    const m = Math.floor((left % 3600) / 60);
    const s = left % 60;
    el.textContent = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  tickCountdowns();
  setInterval(tickCountdowns, 1000);
  document.body.addEventListener("htmx:afterSwap", tickCountdowns);
});
