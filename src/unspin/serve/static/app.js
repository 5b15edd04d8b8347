// unspin web page. Plain JavaScript, no build step, no third-party code.
// Safety rule: user text (typed, pasted, uploaded, or echoed back by the server) is only ever inserted with
// textContent / createTextNode / .value, never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    input: $("input"), drop: $("drop"), file: $("file"), check: $("check"), clear: $("clear"),
    status: $("status"), results: $("results"), summary: $("summary"), marked: $("marked"),
    details: $("details"), acceptAll: $("accept-all"), reset: $("reset"), restoredBox: $("restored-box"),
    restored: $("restored"), copy: $("copy"), download: $("download"), copyStatus: $("copy-status"),
    keyRow: $("key-row"), apiKey: $("api-key"), showSuspects: $("show-suspects"),
  };

  // Below this many words the engine gives no spin score (docs/json-schema.md: spin_score null).
  const MIN_WORDS_FOR_SCORE = 40;
  // what each verdict tells a reader: the same sentences as unspin.types.VERDICT_MEANING (tests check it)
  const VERDICT_MEANING = {
    spun: "strong evidence of spinning, shown by the highlighted spans",
    uncertain: "no verdict: spinning with common synonyms cannot be ruled out from this text alone",
    clean: "nearly every spun text looks more spun than this one",
  };

  // state of the last check
  let doc = null; // { text, cps: [code points], report, findings: [{f, status, choice, el}], filename }
  let selected = -1;
  let busy = false;
  let recheck = false; // asked to check again while busy

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children || []) node.append(c); // strings are appended as text nodes
    return node;
  }

  function setStatus(msg, isError) {
    els.status.textContent = msg;
    els.status.classList.toggle("error", !!isError);
  }

  function headers(json) {
    const h = json ? { "Content-Type": "application/json" } : {};
    const key = els.apiKey.value.trim();
    if (key) h["Authorization"] = "Bearer " + key;
    return h;
  }

  async function errorMessage(resp) {
    try {
      const body = await resp.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (e) { /* not JSON */ }
    return "the server answered " + resp.status + " " + resp.statusText;
  }

  function plural(n, noun) {
    return n + " " + noun + (n === 1 ? "" : "s");
  }

  function isSuspect(f) {
    return f.level === "suspect";
  }

  // indices (into doc.findings) of the findings shown: borderline suspects only while the toggle is on
  function shown() {
    const out = [];
    doc.findings.forEach((item, i) => { if (!item.suspect || els.showSuspects.checked) out.push(i); });
    return out;
  }

  // the same bands as the HTML report of `unspin check --format html` (render.py): one colour, one meaning
  function band(conf) {
    if (conf >= 0.85) return "conf-high";
    if (conf >= 0.65) return "conf-mid";
    return "conf-low";
  }

  // --- checking -----------------------------------------------------------------------------------
  async function runCheck(note) {
    const text = els.input.value;
    note = typeof note === "string" ? note : "";  // (a click passes an event: no note)
    // a paste (or Ctrl+Enter) while a check runs: check the newest text once this one is done
    if (busy) { recheck = true; return; }
    if (!text.trim()) { setStatus("Nothing to check: paste some text or drop a file first.", true); return; }
    busy = true;
    els.check.disabled = true;
    setStatus("Checking…");
    try {
      // the engine's own threshold: findings at level "finding", borderline ones at level "suspect"
      const resp = await fetch("/api/v1/check", {
        method: "POST", headers: headers(true), body: JSON.stringify({ text: text, include_replacements: true }),
      });
      if (!resp.ok) { setStatus("Could not check: " + (await errorMessage(resp)), true); return; }
      const report = await resp.json();
      showReport(text, report);
      setStatus("Done: " + countsText(report) + "." + (note ? " " + note : ""));
    } catch (e) {
      setStatus("Could not reach the server: " + e.message, true);
    } finally {
      busy = false;
      els.check.disabled = false;
      const again = recheck;
      recheck = false;
      if (els.input.value !== text) {
        // the results shown are of the text as it was: never leave them looking current
        if (again) runCheck();
        else setStatus("The text changed while it was being checked: press Check text (Ctrl+Enter) to check it again.");
      }
    }
  }

  function showReport(text, report) {
    const cps = Array.from(text); // finding offsets are Unicode code points
    // keep non-overlapping findings, the surer one first (the same rule as `unspin restore`)
    const kept = [];
    const sorted = report.findings.slice().sort((a, b) => b.confidence - a.confidence);
    for (const f of sorted) {
      if (!(f.start >= 0 && f.end > f.start && f.end <= cps.length)) continue;
      if (kept.some((g) => f.start < g.end && g.start < f.end)) continue;
      kept.push(f);
    }
    kept.sort((a, b) => a.start - b.start);
    doc = {
      text, cps, report,
      findings: kept.map((f) => ({ f, suspect: isSuspect(f), span: cps.slice(f.start, f.end).join(""),
        status: "pending", choice: 0, el: null })),
    };
    selected = -1;
    renderSummary();
    renderMarked();
    renderDetails();
    updateRestored();
    els.results.hidden = false;
    els.restoredBox.hidden = false;
  }

  // "2 findings and 1 borderline suspect", "nothing looks spun"
  function countsText(report) {
    const nSuspects = report.findings.filter(isSuspect).length;
    const nFindings = report.findings.length - nSuspects;
    if (!nFindings && !nSuspects) return "nothing looks spun";
    return plural(nFindings, "finding") + (nSuspects ? " and " + plural(nSuspects, "borderline suspect") : "");
  }

  // A scored text the engine still gives no verdict (decide.verdict_of: a short text with too few different
  // findings, or no span that stands out) says why in a note ending "; verdict uncertain". Next to a high score
  // the general meaning of "uncertain" would read as if the score were low, so that note is shown instead.
  const UNCERTAIN_DESPITE_SCORE = /;\s*verdict uncertain$/;
  function verdictReason(r, hasScore) {
    if (r.verdict !== "uncertain" || !hasScore) return null;
    const note = (r.notes || []).find((n) => UNCERTAIN_DESPITE_SCORE.test(String(n)));
    return note === undefined ? null : String(note);
  }

  function renderSummary() {
    const r = doc.report;
    const verdict = el("span", { class: "verdict-" + String(r.verdict).replace(/[^a-z]/g, ""), text: String(r.verdict) });
    const hasScore = r.spin_score !== null && r.spin_score !== undefined && isFinite(Number(r.spin_score));
    const reason = verdictReason(r, hasScore);
    const meaning = VERDICT_MEANING[r.verdict];
    const verdictNote = reason
      ? el("span", { class: "verdict-reason", text: ", despite the score: " + reason.replace(UNCERTAIN_DESPITE_SCORE, "") })
      : meaning ? el("span", { class: "muted", text: " (" + meaning + ")" }) : "";
    if (hasScore) {
      els.summary.replaceChildren(
        "Spin score ", el("span", { class: "score", text: Number(r.spin_score).toFixed(2) }),
        " on a 0–1 scale (how strongly the whole text reads as spun). Verdict: ", verdict, verdictNote, ".",
      );
    } else {
      // no number to show: say why instead (the engine gives none for short or non-English texts)
      const why = r.words < MIN_WORDS_FOR_SCORE ? "too short for a score"
        : (r.notes && r.notes.length ? r.notes[0] : "no calibrated score for this text");
      els.summary.replaceChildren(
        "No spin score (", el("span", { class: "score-why", text: why }), "). Verdict: ", verdict, verdictNote, ".",
      );
    }
    els.summary.append(" " + countsText(r).replace(/^nothing looks spun$/, "Nothing looks spun") + " in " +
      plural(r.words, "word") + ".");
    const notes = (r.notes || []).filter((n) => n !== reason);  // (the reason is shown once, by the verdict)
    if (notes.length) els.summary.append(el("br"), el("span", { class: "muted", text: notes.join(" ") }));
    const anyFinding = doc.findings.some((item) => !item.suspect);
    els.acceptAll.disabled = !anyFinding;
    els.reset.disabled = doc.findings.length === 0;
  }

  function renderMarked() {
    const parts = [];
    let pos = 0;
    doc.findings.forEach((item) => { item.el = null; });
    shown().forEach((i) => {
      const item = doc.findings[i];
      const f = item.f;
      if (f.start > pos) parts.push(doc.cps.slice(pos, f.start).join(""));
      const span = doc.cps.slice(f.start, f.end).join("");
      const b = el("button", { type: "button", class: "finding", "data-i": String(i) });
      b.addEventListener("click", () => select(i));
      b.addEventListener("keydown", (ev) => onFindingKey(ev, i));
      item.el = b;
      item.span = span;
      paintFinding(i);
      parts.push(b);
      pos = f.end;
    });
    if (pos < doc.cps.length) parts.push(doc.cps.slice(pos).join(""));
    els.marked.replaceChildren(...parts);
  }

  // the server's replacements (include_replacements): each suggestion as `unspin restore` writes it, cased like
  // the span and with its line breaks kept; the page has no rule of its own, so its restored text is restore's
  function replacementOf(item) {
    const r = (item.f.replacements || [])[item.choice];
    return r === undefined ? item.span : r;
  }

  function paintFinding(i) {
    const item = doc.findings[i];
    const b = item.el;
    if (!b) return;
    const look = item.status !== "pending" ? item.status : item.suspect ? "suspect" : band(item.f.confidence);
    b.className = "finding " + look;
    if (item.suspect) b.title = "borderline suspect (below the finding threshold)";
    if (i === selected) b.classList.add("selected");
    if (item.status === "accepted") {
      b.replaceChildren(el("del", { text: item.span }), " ", el("ins", { text: replacementOf(item) }));
    } else {
      b.replaceChildren(item.span);
    }
    const pct = Math.round(item.f.confidence * 100);
    b.setAttribute("aria-label", item.span + (item.suspect ? ": borderline suspect, " : ": possibly spun, ") +
      pct + "% confidence, " + item.status +
      (item.f.suggestions.length ? "; suggestion " + item.f.suggestions[0] : ""));
  }

  function select(i) {
    const prev = selected;
    selected = i;
    if (prev >= 0 && prev < doc.findings.length) paintFinding(prev);
    if (i >= 0) paintFinding(i);
    renderDetails();
  }

  function onFindingKey(ev, i) {
    const k = ev.key.toLowerCase();
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (k === "a") { setStatusOf(i, "accepted"); ev.preventDefault(); }
    else if (k === "r") { setStatusOf(i, "rejected"); ev.preventDefault(); }
    else if (k === "n" || k === "arrowright") { focusFinding(i, 1); ev.preventDefault(); }
    else if (k === "p" || k === "arrowleft") { focusFinding(i, -1); ev.preventDefault(); }
  }

  // move to the shown finding `step` places from finding `i` (wrapping around)
  function focusFinding(i, step) {
    if (!doc) return;
    const order = shown();
    if (!order.length) return;
    const at = order.indexOf(i);
    const n = order.length;
    const j = order[at < 0 ? 0 : (((at + step) % n) + n) % n];
    doc.findings[j].el.focus();
    select(j);
  }

  function setStatusOf(i, status) {
    const item = doc.findings[i];
    // nothing to put in its place: it can be rejected, not accepted (the Accept button is disabled too)
    if (status === "accepted" && !item.f.suggestions.length) return;
    item.status = item.status === status ? "pending" : status; // pressing again undoes
    if (selected !== i) select(i); else { paintFinding(i); renderDetails(); }
    updateRestored();
  }

  function renderDetails() {
    if (!doc || selected < 0) {
      els.details.replaceChildren(el("p", { class: "muted", text: doc && doc.findings.length ?
        "No finding selected. Click a highlighted phrase." : "Nothing to show." }));
      return;
    }
    const item = doc.findings[selected];
    const f = item.f;
    // "Finding 2 of 5" counts findings, "Borderline suspect 1 of 3" suspects: what the summary line counts
    const sameKind = shown().filter((i) => !!doc.findings[i].suspect === !!item.suspect);
    const kids = [
      el("h3", {}, [(item.suspect ? "Borderline suspect " : "Finding ") + (sameKind.indexOf(selected) + 1) +
        " of " + sameKind.length]),
      el("p", {}, [el("span", { class: "phrase", text: "“" + item.span + "”" }),
        " — " + Math.round(f.confidence * 100) + "% confidence"]),
    ];
    if (item.suspect) {
      kids.push(el("p", { class: "borderline", text: "Borderline: below the threshold for a finding; it may well " +
        "be original wording. Accept it only if the suggestion reads better." }));
    }
    if (f.suggestions.length) {
      const fs = el("fieldset", {}, [el("legend", { text: "Probably originally:" })]);
      f.suggestions.forEach((s, j) => {
        const input = el("input", { type: "radio", name: "choice", value: String(j) });
        input.checked = j === item.choice;
        input.addEventListener("change", () => {
          item.choice = j;
          paintFinding(selected);
          updateRestored();
        });
        fs.append(el("label", {}, [input, " " + s]));
      });
      kids.push(fs);
    } else {
      kids.push(el("p", { class: "muted", text: "No suggestion: the original could not be guessed." }));
    }
    if (f.evidence && f.evidence.length) {
      kids.push(el("p", { text: "Evidence:" }));
      kids.push(el("ul", {}, f.evidence.map((e) => el("li", { text: String(e) }))));
    }
    kids.push(el("p", { class: "muted", text: "Rule: " + f.rule_id + (f.detail ? " (" + f.detail + ")" : "") }));
    kids.push(el("p", { class: "state", text: "Status: " + item.status }));
    const acc = el("button", { type: "button", class: "primary", id: "accept-one", text: item.status === "accepted" ? "Undo accept" : "Accept" });
    acc.disabled = !f.suggestions.length;
    acc.addEventListener("click", () => setStatusOf(selected, "accepted"));
    const rej = el("button", { type: "button", id: "reject-one", text: item.status === "rejected" ? "Undo reject" : "Reject" });
    rej.addEventListener("click", () => setStatusOf(selected, "rejected"));
    const next = el("button", { type: "button", text: "Next" });
    next.addEventListener("click", () => focusFinding(selected, 1));
    kids.push(el("div", { class: "row" }, [acc, rej, next]));
    els.details.replaceChildren(...kids);
  }

  function applied(item) {
    return item.status === "accepted" && item.f.suggestions.length && (!item.suspect || els.showSuspects.checked);
  }

  function restoredText() {
    const out = [];
    let pos = 0;
    for (const item of doc.findings) {
      if (!applied(item)) continue;
      out.push(doc.cps.slice(pos, item.f.start).join(""), replacementOf(item));
      pos = item.f.end;
    }
    out.push(doc.cps.slice(pos).join(""));
    return out.join("");
  }

  function updateRestored() {
    if (!doc) return;
    els.restored.value = restoredText();
    const n = doc.findings.filter(applied).length;
    els.copyStatus.textContent = plural(n, "change") + " applied.";
  }

  // --- files --------------------------------------------------------------------------------------
  async function upload(file) {
    if (!file) return;
    setStatus("Reading " + file.name + "…");
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const resp = await fetch("/api/v1/extract", { method: "POST", headers: headers(false), body: form });
      if (!resp.ok) {
        // the results on screen are of another text: never leave them looking like this file's
        doc = null; selected = -1; els.results.hidden = true; els.restoredBox.hidden = true;
        setStatus("Could not read " + file.name + ": " + pageMessage(await errorMessage(resp), file.name), true);
        return;
      }
      const got = await resp.json();
      els.input.value = got.text;
      const note = got.notes && got.notes.length ? got.filename + ": " + got.notes.join(" ") : "";
      if (note) setStatus(note);
      if (got.text.trim()) await runCheck(note);  // the note ("read as cp1252") stays in the final status
      else setStatus(got.filename + ": no text found in the file.", true);
      if (doc) doc.filename = got.filename;
    } catch (e) {
      setStatus("Could not upload " + file.name + ": " + e.message, true);
    }
  }

  // the server's message names the file first; the status line already does
  function pageMessage(msg, name) {
    const m = String(msg || "");
    return m.startsWith(name + ": ") ? m.slice(name.length + 2) : m;
  }

  function wireDrop(target) {
    target.addEventListener("dragover", (ev) => { ev.preventDefault(); els.drop.classList.add("over"); });
    target.addEventListener("dragleave", () => els.drop.classList.remove("over"));
    target.addEventListener("drop", (ev) => {
      ev.preventDefault();
      els.drop.classList.remove("over");
      const f = ev.dataTransfer && ev.dataTransfer.files && ev.dataTransfer.files[0];
      if (f) upload(f);
    });
  }

  // --- copy / download ----------------------------------------------------------------------------
  async function copyRestored() {
    const text = els.restored.value;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      els.restored.select();
      document.execCommand("copy");
    }
    els.copyStatus.textContent = "Copied.";
  }

  function downloadRestored() {
    const blob = new Blob([els.restored.value], { type: "text/plain;charset=utf-8" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    const base = doc && doc.filename ? doc.filename.replace(/\.[^.]*$/, "") : "text";
    a.download = base + "-restored.txt";
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // --- wiring -------------------------------------------------------------------------------------
  els.check.addEventListener("click", runCheck);
  els.clear.addEventListener("click", () => {
    els.input.value = ""; doc = null; selected = -1;
    els.results.hidden = true; els.restoredBox.hidden = true; setStatus(""); els.input.focus();
  });
  els.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); runCheck(); }
  });
  els.input.addEventListener("paste", () => setTimeout(runCheck, 0));
  els.input.addEventListener("input", () => {
    if (doc && els.input.value !== doc.text && !busy) setStatus("The text changed: press Check text (Ctrl+Enter) to check it again.");
  });
  els.drop.addEventListener("click", () => els.file.click());
  els.drop.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); els.file.click(); }
  });
  els.file.addEventListener("change", () => { upload(els.file.files[0]); els.file.value = ""; });
  wireDrop(els.drop);
  wireDrop(els.input);
  // findings only: a borderline suspect is accepted one by one, after a look; a finding the user rejected
  // stays rejected (their decision, not a default to override)
  els.acceptAll.addEventListener("click", () => {
    if (!doc) return;
    doc.findings.forEach((item, i) => {
      if (!item.suspect && item.f.suggestions.length && item.status !== "rejected") {
        item.status = "accepted"; paintFinding(i);
      }
    });
    renderDetails();
    updateRestored();
  });
  els.showSuspects.addEventListener("change", () => {
    if (!doc) return;
    if (selected >= 0 && doc.findings[selected].suspect && !els.showSuspects.checked) selected = -1;
    renderMarked();
    renderDetails();
    updateRestored();
  });
  els.reset.addEventListener("click", () => {
    if (!doc) return;
    doc.findings.forEach((item, i) => { item.status = "pending"; item.choice = 0; paintFinding(i); });
    renderDetails();
    updateRestored();
  });
  els.copy.addEventListener("click", copyRestored);
  els.download.addEventListener("click", downloadRestored);

  fetch("/health").then((r) => r.json()).then((h) => {
    if (h.auth_required) els.keyRow.hidden = false;
  }).catch(() => {});
})();
