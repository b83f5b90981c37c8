// app.js — the search page: asks POST /query, shows answers highlighted in their context and
// the retrieved passages, and posts user feedback (POST /feedback) in Haystack 1.x's label
// shape. Offsets on the wire count Unicode code points (Python's str indexing, which the REST
// API and SQuAD use); JavaScript strings index UTF-16 code units, so every offset is converted
// at the boundary (cpToUnit / unitToCp). No framework, no network beyond this server.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);

// UTF-16 index of code point `cp` in `s`.
function cpToUnit(s, cp) {
  let unit = 0;
  for (let i = 0; i < cp && unit < s.length; i++) unit += s.codePointAt(unit) > 0xffff ? 2 : 1;
  return unit;
}

// Code points in s[0, unit).
function unitToCp(s, unit) {
  let cp = 0;
  for (let i = 0; i < unit; i += s.codePointAt(i) > 0xffff ? 2 : 1) cp++;
  return cp;
}

function apiHeaders() {
  const h = { "Content-Type": "application/json" };
  const key = $("#api-key").value || localStorage.getItem("needle-api-key") || "";
  if (key) h["X-API-Key"] = key;
  return h;
}

async function api(path, body) {
  const res = await fetch(path, { method: "POST", headers: apiHeaders(), body: JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    if (res.status === 401) $("#settings").open = true;
    const detail = data && data.detail ? data.detail : res.statusText;
    throw new Error(`${res.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
  return data;
}

function showMessage(text, kind) {
  const m = $("#message");
  m.textContent = text;
  m.className = kind || "";
  m.hidden = !text;
}

function docName(meta) {
  return meta && (meta.name || meta.title || meta.source) ? String(meta.name || meta.title || meta.source) : "";
}

function fmtScore(s) {
  return typeof s === "number" ? `score ${s.toFixed(3)}` : "";
}

// Fill `el` with `text`, the code points [start, end) wrapped in <mark>.
function renderHighlighted(el, text, start, end) {
  el.textContent = "";
  if (start == null || end == null || end <= start) { el.textContent = text; return; }
  const a = cpToUnit(text, start), b = cpToUnit(text, end);
  const mark = document.createElement("mark");
  mark.textContent = text.slice(a, b);
  el.append(text.slice(0, a), mark, text.slice(b));
}

async function sendFeedback(statusEl, label) {
  statusEl.className = "feedback-status";
  statusEl.textContent = "Saving…";
  try {
    const saved = await api("feedback", label);
    statusEl.textContent = "Thanks, feedback saved.";
    statusEl.classList.add("ok");
    statusEl.dataset.labelId = saved && saved.id ? saved.id : "";
  } catch (e) {
    statusEl.textContent = `Not saved: ${e.message}`;
    statusEl.classList.add("error");
  }
}

function labelFor(query, doc, answer, isCorrectAnswer, isCorrectDocument) {
  return {
    query,
    document: { id: doc.id, content: doc.content, content_type: doc.content_type || "text", meta: doc.meta || {} },
    answer,
    is_correct_answer: isCorrectAnswer,
    is_correct_document: isCorrectDocument,
    origin: "user-feedback",
  };
}

function renderAnswer(query, ans, docsById) {
  const li = $("#answer-template").content.firstElementChild.cloneNode(true);
  $(".answer-text", li).textContent = ans.answer ? ans.answer : "No answer found in these passages";
  $(".score", li).textContent = fmtScore(ans.score);
  const off = ans.offsets_in_context && ans.offsets_in_context[0];
  renderHighlighted($(".context", li), ans.context || "", off && off.start, off && off.end);
  $(".source", li).textContent = docName(ans.meta);
  const docId = ans.document_ids && ans.document_ids[0];
  const doc = docsById.get(docId) || { id: docId, content: ans.context || "", meta: ans.meta || {} };
  const status = $(".feedback-status", li);
  const answer = {
    answer: ans.answer, type: ans.type || "extractive", score: ans.score, context: ans.context,
    offsets_in_context: ans.offsets_in_context, offsets_in_document: ans.offsets_in_document,
    document_ids: ans.document_ids, meta: ans.meta,
  };
  $(".fb-correct", li).addEventListener("click", () => sendFeedback(status, labelFor(query, doc, answer, true, true)));
  $(".fb-wrong-answer", li).addEventListener("click", () => sendFeedback(status, labelFor(query, doc, answer, false, true)));
  $(".fb-wrong", li).addEventListener("click", () => sendFeedback(status, labelFor(query, doc, answer, false, false)));
  return li;
}

// The selection inside `el` as code-point offsets into `text`, or null.
function selectionOffsets(el, text) {
  const sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!el.contains(range.startContainer) || !el.contains(range.endContainer)) return null;
  const pre = document.createRange();
  pre.selectNodeContents(el);
  pre.setEnd(range.startContainer, range.startOffset);
  const a = pre.toString().length;
  const b = a + range.toString().length;
  // Leave out the whitespace a double-click or drag tends to take along.
  let s = a, e = b;
  while (s < e && /\s/.test(text[s])) s++;
  while (e > s && /\s/.test(text[e - 1])) e--;
  if (s >= e) return null;
  return { start: unitToCp(text, s), end: unitToCp(text, e), text: text.slice(s, e) };
}

function renderDocument(query, doc) {
  const li = $("#document-template").content.firstElementChild.cloneNode(true);
  $(".source", li).textContent = docName(doc.meta);
  $(".score", li).textContent = fmtScore(doc.score);
  const textEl = $(".passage-text", li);
  textEl.textContent = doc.content;
  const status = $(".feedback-status", li);
  // Keep the text selection when the button is pressed (a mousedown would otherwise clear it).
  $(".fb-span", li).addEventListener("mousedown", (e) => e.preventDefault());
  $(".fb-span", li).addEventListener("click", () => {
    const off = selectionOffsets(textEl, doc.content);
    if (!off) {
      status.className = "feedback-status error";
      status.textContent = "First select the answer inside this passage.";
      return;
    }
    const span = [{ start: off.start, end: off.end }];
    const answer = {
      answer: off.text, type: "extractive", context: doc.content,
      offsets_in_context: span, offsets_in_document: span, document_ids: [doc.id], meta: doc.meta || {},
    };
    renderHighlighted(textEl, doc.content, off.start, off.end);
    sendFeedback(status, labelFor(query, doc, answer, true, true));
  });
  $(".fb-irrelevant", li).addEventListener("click", () => sendFeedback(status, labelFor(query, doc, null, false, false)));
  return li;
}

async function search(ev) {
  ev.preventDefault();
  const query = $("#query").value.trim();
  if (!query) return;
  const key = $("#api-key").value;
  if (key) localStorage.setItem("needle-api-key", key);
  const params = {
    Retriever: { top_k: Number($("#retriever-top-k").value) || 10 },
    Reader: { top_k: Number($("#reader-top-k").value) || 3 },
  };
  showMessage("Searching…", "info");
  $("#search").disabled = true;
  try {
    const res = await api("query", { query, params });
    const docs = res.documents || [];
    const answers = res.answers || [];
    const docsById = new Map(docs.map((d) => [d.id, d]));
    $("#answers").replaceChildren(...answers.map((a) => renderAnswer(res.query, a, docsById)));
    $("#documents").replaceChildren(...docs.map((d) => renderDocument(res.query, d)));
    $("#answers-section").hidden = answers.length === 0;
    $("#documents-section").hidden = docs.length === 0;
    showMessage(answers.length || docs.length ? "" : "Nothing found.", "info");
  } catch (e) {
    showMessage(`Search failed: ${e.message}`);
  } finally {
    $("#search").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#api-key").value = localStorage.getItem("needle-api-key") || "";
  $("#search-form").addEventListener("submit", search);
});
