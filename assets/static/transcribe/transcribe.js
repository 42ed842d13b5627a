// dialect transcription workspace (GET /transcribe/:id). Keyboard first:
// the shortcuts listed on the page work while typing. The waveform comes
// from the server's peaks (never from decoding the audio here), and the
// audio streams with Range, so a 3-hour recording opens at once. Each
// segment's text is linted as it is typed (POST /api/v1/lint), findings
// underlined in place with their message in zh-TW and English. Drafts go
// to the server (versioned) and to IndexedDB, so nothing typed is lost
// offline or on reload. Strings: zh-TW, then English.
import * as store from './store.js';
import { $, bi, el, en } from '../dom.js';

const app = $('app');
const CLIP = app.dataset.clipId;
const DURATION = Number(app.dataset.durationS) || 0;
const CHANNELS = Math.max(1, Number(app.dataset.channels) || 1);
const API = `/api/v1/clips/${CLIP}`;
const HOP = 0.01;
const DETAIL_MAX_S = 30; // the detail view shows at most this much

const S = {
  csrf: '', segs: [], cur: 0, cursor: { segment: 0, offset: 0 }, version: 0,
  proposing: false, dirty: false, saving: false, again: false, saveTimer: 0, lintTimers: new Map(),
  view: [0, Math.min(DURATION, DETAIL_MAX_S)], overview: null, detail: null, detailKey: '',
  stopAt: null, drag: null, submitted: false,
};

// ---- small helpers -----------------------------------------------------------


function say(zh, eng, kind = '', ...extra) {
  const p = $('status-line');
  p.replaceChildren(...bi(zh, eng), ...extra);
  p.className = 'card status-line ' + kind;
  p.dataset.kind = kind;
  delete p.dataset.error;
  p.hidden = false;
}

const fmt = (s) => { const m = Math.floor(s / 60); return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`; };
const fmt3 = (s) => { const m = Math.floor(s / 60); return `${m}:${(s - m * 60).toFixed(2).padStart(5, '0')}`; };
const round3 = (x) => Math.round(x * 1000) / 1000;

// Code points ⇄ UTF-16 indices: the linter counts columns in code points.
function cpToIndex(s, cp) { let i = 0; for (const ch of s) { if (cp-- <= 0) break; i += ch.length; } return i; }
function indexToCp(s, idx) { return [...s.slice(0, idx)].length; }

class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status; this.code = e.code || ''; this.zh = e.message_zh || ''; this.en = e.message || ''; this.body = body;
  }
}

// plainError is what to tell a person about e: the server's own message
// when it sent one in both languages, otherwise zh and eng. No exception's
// text (a network failure's "Failed to fetch", a bare status) reaches the
// page: noteError puts it in the console and in the element's data-error.
function plainError(e, zh, eng) {
  return e instanceof APIError && e.zh && e.en ? [e.zh, e.en] : [zh, eng];
}

function noteError(node, e) {
  const detail = `${(e && e.name) || 'Error'}: ${(e && e.message) || e}`;
  node.dataset.error = detail;
  console.error('dialect transcription:', detail, e);
}

// sayError shows a failure on the status line (plainError) and notes its cause.
function sayError(e, zh, eng) {
  say(...plainError(e, zh, eng), 'error');
  noteError($('status-line'), e);
}

async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = S.csrf;
  if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  const r = await fetch(path, opts);
  let j = null;
  try { j = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) throw new APIError(r.status, j);
  return j;
}

// ---- segments ----------------------------------------------------------------

const plain = (s) => ({ start: round3(s.start), end: round3(s.end), channel: s.channel | 0, text: s.text || '' });
const newSeg = (s) => ({ ...plain(s), findings: [], fixed: null, linted: false, lintSeq: 0 });

function sortSegs() {
  const cur = S.segs[S.cur];
  S.segs.sort((a, b) => a.start - b.start || a.channel - b.channel);
  S.cur = Math.max(0, S.segs.indexOf(cur));
}

function segmentAt(t, channel) {
  return S.segs.findIndex((s) => t >= s.start && t < s.end && (channel === undefined || s.channel === channel));
}

// ---- rendering -----------------------------------------------------------------

function renderList() {
  const ol = $('segments');
  ol.replaceChildren(...S.segs.map((s, i) => segmentItem(s, i)));
  for (let i = 0; i < S.segs.length; i++) renderFindings(i);
  markCurrent();
  updateSubmit();
}

function segmentItem(s, i) {
  const ta = el('textarea', { rows: 1, 'data-testid': 'segment-text', 'aria-label': `第 ${i + 1} 段 segment ${i + 1}`, lang: 'nan-TW', spellcheck: 'false' });
  ta.value = s.text;
  ta.dataset.index = i;
  ta.addEventListener('input', () => onType(i, ta));
  ta.addEventListener('focus', () => { setCurrent(i, false); rememberCursor(i, ta); });
  for (const ev of ['keyup', 'click', 'select']) ta.addEventListener(ev, () => rememberCursor(i, ta));
  const play = el('button', { type: 'button', class: 'secondary small', title: '播放這段 play this segment' }, '▶');
  play.addEventListener('click', () => { setCurrent(i, true); playSegment(); });
  const head = el('div', { class: 'seg-head' },
    el('span', { class: 'seg-no' }, `#${i + 1}`),
    el('span', { class: 'seg-time', 'data-testid': 'segment-time' }, `${fmt3(s.start)} – ${fmt3(s.end)}`),
    CHANNELS > 1 ? el('span', {}, `聲道 ch ${s.channel + 1}`) : null, play);
  const li = el('li', { 'data-testid': 'segment', 'data-index': i, 'data-start': s.start, 'data-end': s.end },
    head, el('div', { class: 'editor' }, el('div', { class: 'mirror', 'aria-hidden': 'true' }), ta), el('ul', { class: 'findings', 'data-testid': 'findings' }));
  if (s.text.length > 20) requestAnimationFrame(() => grow(ta)); // short texts fit the one-line minimum
  return li;
}

function grow(ta) { ta.style.height = 'auto'; ta.style.height = `${ta.scrollHeight + 2}px`; }

function item(i) { return $('segments').children[i]; }

// renderFindings underlines segment i's findings in place (a mirror of the
// text behind the transparent text box) and lists their messages.
function renderFindings(i) {
  const li = item(i), s = S.segs[i];
  if (!li) return;
  const text = s.text, mirror = li.querySelector('.mirror'), list = li.querySelector('.findings');
  const marks = s.findings.map((f) => {
    const from = cpToIndex(text, f.column - 1);
    return { from, to: Math.max(from + (f.text || '').length, from + 1), f };
  }).sort((a, b) => a.from - b.from);
  const parts = [];
  let at = 0;
  for (const m of marks) {
    if (m.from < at) continue;
    parts.push(text.slice(at, m.from), el('mark', { class: m.f.severity, 'data-rule': m.f.rule }, text.slice(m.from, m.to) || ' '));
    at = m.to;
  }
  parts.push(text.slice(at), '\u200b');
  mirror.replaceChildren(...parts);
  list.replaceChildren(...s.findings.map((f) => {
    const fix = f.fix !== undefined ? el('button', { type: 'button', class: 'secondary small', 'data-testid': 'fix' }, '修正 Fix (F2)') : null;
    if (fix) fix.addEventListener('click', () => applyFix(i));
    return el('li', { class: `sev-${f.severity}`, 'data-rule': f.rule },
      el('span', { class: 'rule' }, f.rule), ' ', `「${f.text}」 `, f.message_zh, ' ', en(f.message), ' ', fix);
  }));
  li.classList.toggle('has-error', s.findings.some((f) => f.severity === 'error'));
  li.dataset.errors = String(s.findings.filter((f) => f.severity === 'error').length);
  li.dataset.linted = String(s.linted);
}

function markCurrent() {
  for (const li of $('segments').children) li.classList.toggle('current', Number(li.dataset.index) === S.cur);
}

function updateSubmit() {
  const ok = S.segs.length > 0 && S.segs.every((s) => s.linted && s.text.trim() !== '' && !s.findings.some((f) => f.severity === 'error'));
  $('submit').disabled = !ok || S.proposing;
}

function setSaveState(state, zh, eng) {
  const p = $('save-state');
  p.dataset.state = state;
  delete p.dataset.error;
  p.replaceChildren(...bi(zh, eng));
}

// ---- linting ---------------------------------------------------------------------

function onType(i, ta) {
  const s = S.segs[i];
  s.text = ta.value.replace(/[\r\n\u2028\u2029]+/g, ' ');
  if (s.text !== ta.value) ta.value = s.text;
  s.linted = false;
  grow(ta);
  renderFindings(i);
  updateSubmit();
  rememberCursor(i, ta);
  scheduleLint(i);
  changed();
}

function scheduleLint(i, delay = 300) {
  clearTimeout(S.lintTimers.get(S.segs[i]));
  const s = S.segs[i];
  S.lintTimers.set(s, setTimeout(() => lint(s), delay));
}

async function lint(s) {
  const seq = ++s.lintSeq, text = s.text;
  if (text.trim() === '') { s.findings = []; s.fixed = null; s.linted = true; refresh(s); return; }
  try {
    const r = await api('POST', '/api/v1/lint', { text });
    if (seq !== s.lintSeq) return;
    s.findings = r.findings || []; s.fixed = r.fixed !== text ? r.fixed : null; s.linted = true;
  } catch (e) {
    if (seq !== s.lintSeq) return;
    s.linted = false; // offline: submit stays off until lint is back
    setTimeout(() => { if (seq === s.lintSeq) lint(s); }, 5000);
  }
  refresh(s);
}

function refresh(s) {
  const i = S.segs.indexOf(s);
  if (i >= 0) renderFindings(i);
  updateSubmit();
}

// lintAll lints every segment with text, four requests at a time (a long
// recording has a thousand segments); empty ones need no request.
function lintAll() {
  const queue = S.segs.filter((s) => { if (s.text.trim() === '') { s.linted = true; return false; } return true; });
  const worker = async () => { for (let s; (s = queue.shift());) await lint(s); };
  for (let k = 0; k < 4; k++) worker();
  updateSubmit();
}

// applyFix applies every fixable finding of segment i (the linter's fixed text).
function applyFix(i) {
  const s = S.segs[i];
  if (!s || s.fixed === null) return;
  const ta = item(i).querySelector('textarea');
  const cp = indexToCp(ta.value, ta.selectionStart);
  s.text = s.fixed; s.fixed = null; s.findings = s.findings.filter((f) => f.fix === undefined); s.linted = false;
  ta.value = s.text;
  const at = cpToIndex(s.text, Math.min(cp, [...s.text].length));
  ta.setSelectionRange(at, at);
  renderFindings(i);
  updateSubmit();
  scheduleLint(i, 0);
  changed();
}

// ---- the current segment and the cursor ------------------------------------------

function setCurrent(i, focus) {
  if (i < 0 || i >= S.segs.length) return;
  S.cur = i;
  markCurrent();
  const s = S.segs[i];
  if (s.start < S.view[0] || s.end > S.view[1]) centerView(s.start);
  if (focus) {
    const ta = item(i).querySelector('textarea');
    ta.focus();
    item(i).scrollIntoView({ block: 'nearest' });
  }
  draw();
}

function rememberCursor(i, ta) {
  const c = { segment: i, offset: indexToCp(ta.value, ta.selectionStart) };
  if (c.segment !== S.cursor.segment || c.offset !== S.cursor.offset) { S.cursor = c; changed(true); }
}

function restoreCursor() {
  // Read the saved cursor before focusing: focus reports the caret.
  const i = Math.min(S.cursor.segment | 0, S.segs.length - 1), offset = S.cursor.offset | 0;
  if (i < 0) return;
  const ta = item(i).querySelector('textarea');
  const at = cpToIndex(ta.value, offset);
  ta.setSelectionRange(at, at);
  setCurrent(i, true);
  ta.setSelectionRange(at, at);
  S.cursor = { segment: i, offset };
  $('app').dataset.restored = `${i}:${offset}`;
}

// ---- drafts ------------------------------------------------------------------------

function snapshot() { return { clip: CLIP, segments: S.segs.map(plain), cursor: S.cursor, version: S.version, saved_at: Date.now() }; }

// changed notes an edit: to IndexedDB at once, to the server after a pause.
function changed(cursorOnly = false) {
  if (S.proposing) return;
  S.dirty = true;
  store.put({ ...snapshot(), synced: false }).catch(() => {});
  clearTimeout(S.saveTimer);
  S.saveTimer = setTimeout(save, cursorOnly ? 1500 : 800);
  if (!cursorOnly) setSaveState('dirty', '尚未儲存', 'unsaved');
}

async function save(force = false) {
  if (S.saving) { S.again = true; return; }
  if (!S.dirty && !force) return;
  S.saving = true;
  const snap = snapshot();
  const edits = S.dirty;
  S.dirty = false;
  try {
    const r = await api('PUT', `${API}/transcription/draft`, { version: snap.version, segments: snap.segments, cursor: snap.cursor });
    S.version = r.version;
    $('app').dataset.version = String(S.version);
    await store.put({ ...snapshot(), synced: !S.dirty }).catch(() => {});
    setSaveState('saved', '草稿已儲存', 'draft saved');
  } catch (e) {
    S.dirty = S.dirty || edits;
    if (e instanceof APIError && e.code === 'stale_draft') {
      conflict();
    } else if (e instanceof APIError) {
      setSaveState('error', ...plainError(e, '無法儲存草稿，請稍後再試。', 'Could not save the draft; try again later.'));
      noteError($('save-state'), e);
    } else {
      setSaveState('offline', '離線：草稿存在這台裝置上，連線後會自動上傳', 'offline: kept on this device, will upload when back online');
      clearTimeout(S.saveTimer);
      S.saveTimer = setTimeout(save, 5000);
    }
  } finally {
    S.saving = false;
    if (S.again) { S.again = false; save(); }
  }
}

function conflict() {
  setSaveState('conflict', '草稿已在別處更新', 'the draft was changed elsewhere');
  const theirs = el('button', { type: 'button', class: 'secondary small' }, '載入伺服器版本 Load theirs');
  const mine = el('button', { type: 'button', class: 'secondary small' }, '保留我的 Keep mine');
  theirs.addEventListener('click', async () => { const d = await api('GET', `${API}/transcription/draft`); useDraft(d); $('status-line').hidden = true; });
  mine.addEventListener('click', async () => { const d = await api('GET', `${API}/transcription/draft`); S.version = d.version; S.dirty = true; $('status-line').hidden = true; save(); });
  say('這份草稿在別的分頁或裝置上改過了。', 'This draft was changed in another tab or device.', 'warn', ' ', theirs, ' ', mine);
}

function useDraft(d, unsynced = false) {
  loaded(); // shown now, in this task: restoreCursor focuses a segment
  S.proposing = false;
  $('proposal').hidden = true;
  S.version = d.version | 0;
  $('app').dataset.version = String(S.version);
  S.segs = (d.segments || []).map(newSeg);
  sortSegs();
  S.cursor = d.cursor || { segment: 0, offset: 0 };
  renderList();
  lintAll();
  restoreCursor();
  draw();
  if (unsynced) { S.dirty = true; setSaveState('dirty', '有未上傳的修改', 'unsent changes'); save(); } else setSaveState('saved', '草稿已載入', 'draft loaded');
}

async function propose() {
  const gap = Number($('gap').value) || 0.6;
  const r = await api('GET', `${API}/segments/proposed?gap=${gap}`);
  S.proposing = true;
  S.segs = r.segments.map(newSeg);
  S.segs.forEach((s) => { s.linted = true; });
  S.cur = 0;
  $('proposal-count').textContent = String(S.segs.length);
  $('proposal').hidden = false;
  renderList();
  draw();
}

async function acceptProposal() {
  S.proposing = false;
  $('proposal').hidden = true;
  S.segs.forEach((s) => { s.linted = s.text.trim() !== '' ? false : true; });
  renderList();
  changed();
  await save();
  setCurrent(0, true);
}

// ---- splitting and merging ------------------------------------------------------------

function split() {
  const t = $('audio').currentTime;
  let i = S.cur;
  let s = S.segs[i];
  if (!s || !(t > s.start + 0.05 && t < s.end - 0.05)) {
    i = segmentAt(t);
    s = S.segs[i];
    if (!s || !(t > s.start + 0.05 && t < s.end - 0.05)) { say('播放位置不在任何段落內。', 'The playhead is not inside a segment.', 'warn'); return; }
  }
  const ta = item(i).querySelector('textarea');
  const cut = document.activeElement === ta ? ta.selectionStart : s.text.length;
  const right = newSeg({ start: t, end: s.end, channel: s.channel, text: s.text.slice(cut).trim() });
  s.end = round3(t); s.text = s.text.slice(0, cut).trim(); s.linted = false;
  S.segs.splice(i + 1, 0, right);
  S.cur = i + 1;
  S.cursor = { segment: i + 1, offset: 0 };
  renderList();
  scheduleLint(i, 0); scheduleLint(i + 1, 0);
  setCurrent(i + 1, true);
  changed();
}

function merge() {
  const i = S.cur, s = S.segs[i];
  if (!s) return;
  const j = S.segs.findIndex((x, k) => k > i && x.channel === s.channel);
  if (j < 0) { say('這是這個聲道的最後一段。', 'This is the last segment of its channel.', 'warn'); return; }
  const t = S.segs[j];
  const latin = /[A-Za-z0-9\u00C0-\u024F]$/.test(s.text) && /^[A-Za-z0-9\u00C0-\u024F]/.test(t.text);
  const offset = [...s.text].length;
  s.text = s.text && t.text ? s.text + (latin ? ' ' : '') + t.text : s.text + t.text;
  s.end = Math.max(s.end, t.end); s.start = Math.min(s.start, t.start); s.linted = false;
  S.segs.splice(j, 1);
  S.cursor = { segment: i, offset };
  renderList();
  scheduleLint(i, 0);
  setCurrent(i, true);
  const ta = item(i).querySelector('textarea');
  const at = cpToIndex(ta.value, offset);
  ta.setSelectionRange(at, at);
  changed();
}

// ---- playback -------------------------------------------------------------------------

function ensureAudio() {
  const a = $('audio');
  if (!a.src) a.src = `${API}/transcription/audio`;
  return a;
}

function togglePlay() {
  const a = ensureAudio();
  if (a.paused) { S.stopAt = null; a.play().catch(() => {}); } else a.pause();
}

function playSegment() {
  const s = S.segs[S.cur];
  if (!s) return;
  const a = ensureAudio();
  a.currentTime = s.start;
  S.stopAt = s.end;
  a.play().catch(() => {});
}

function toggleSpeed() {
  const a = ensureAudio();
  a.playbackRate = a.playbackRate === 1 ? 0.75 : 1;
  $('speed').setAttribute('aria-pressed', String(a.playbackRate !== 1));
  $('speed').dataset.rate = String(a.playbackRate);
}

function seek(t) {
  const a = ensureAudio();
  a.currentTime = Math.max(0, Math.min(DURATION, t));
  tick();
}

function tick() {
  const a = $('audio');
  const t = a.currentTime || 0;
  if (S.stopAt !== null && t >= S.stopAt) { a.pause(); S.stopAt = null; }
  $('clock').textContent = fmt(t);
  $('clock').dataset.t = t.toFixed(3);
  if (!a.paused && (t > S.view[1] || t < S.view[0])) centerView(t + (S.view[1] - S.view[0]) * 0.4);
  draw();
  if (!a.paused) requestAnimationFrame(tick);
}

// ---- the waveform ------------------------------------------------------------------------

function sizeCanvas(c) {
  const w = Math.max(100, Math.round(c.clientWidth * (window.devicePixelRatio || 1)));
  const h = Math.round(c.clientHeight * (window.devicePixelRatio || 1));
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  return [w, h];
}

async function loadOverview() {
  const [w] = sizeCanvas($('overview'));
  const count = Math.min(4000, w);
  S.overview = await api('GET', `${API}/peaks?count=${count}`);
  app.dataset.peaksLoaded = 'true';
  draw();
}

function centerView(t) {
  const len = Math.min(DURATION, DETAIL_MAX_S);
  let v0 = Math.max(0, t - len / 2);
  v0 = Math.min(v0, Math.max(0, DURATION - len));
  S.view = [v0, v0 + len];
  loadDetail();
}

let detailTimer = 0;
function loadDetail() {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(async () => {
    const [w] = sizeCanvas($('wave'));
    const hops = (S.view[1] - S.view[0]) / HOP;
    const per = Math.max(1, Math.floor(hops / w));
    const from = Math.floor(S.view[0] / HOP / per);
    const count = Math.min(8192, Math.ceil(hops / per) + 2);
    const key = `${per}:${from}:${count}`;
    if (key === S.detailKey) return;
    S.detailKey = key;
    try { S.detail = await api('GET', `${API}/peaks?per=${per}&from=${from}&count=${count}`); } catch (_) { S.detailKey = ''; }
    draw();
  }, 80);
}

function drawPeaks(ctx, p, w, h, t0, t1) {
  if (!p) return;
  const lanes = p.channels.length;
  const laneH = h / lanes;
  ctx.fillStyle = '#5b6770';
  const span = p.per * p.hop_s;
  p.channels.forEach((ch, c) => {
    const mid = laneH * c + laneH / 2;
    for (let k = 0; k < ch.min.length; k++) {
      const t = (p.from + k) * span;
      const x = ((t - t0) / (t1 - t0)) * w;
      const x2 = ((t + span - t0) / (t1 - t0)) * w;
      if (x2 < 0 || x > w) continue;
      const y0 = mid - (ch.max[k] / 128) * (laneH / 2), y1 = mid - (ch.min[k] / 128) * (laneH / 2);
      ctx.fillRect(x, y0, Math.max(1, x2 - x), Math.max(1, y1 - y0));
    }
  });
}

function drawSegments(ctx, w, h, t0, t1, handles) {
  const laneH = h / CHANNELS;
  S.segs.forEach((s, i) => {
    const x0 = ((s.start - t0) / (t1 - t0)) * w, x1 = ((s.end - t0) / (t1 - t0)) * w;
    if (x1 < 0 || x0 > w) return;
    const y = laneH * s.channel;
    const err = s.findings.some((f) => f.severity === 'error');
    ctx.fillStyle = i === S.cur ? 'rgba(11,92,173,.22)' : err ? 'rgba(163,22,27,.14)' : 'rgba(23,100,58,.12)';
    ctx.fillRect(x0, y, x1 - x0, laneH);
    if (handles) {
      ctx.fillStyle = i === S.cur ? '#0b5cad' : '#17643a';
      ctx.fillRect(x0 - 1, y, 3, laneH);
      ctx.fillRect(x1 - 2, y, 3, laneH);
    }
  });
}

function draw() {
  const t = $('audio').currentTime || 0;
  for (const [id, p, t0, t1, handles] of [['overview', S.overview, 0, DURATION, false], ['wave', S.detail, S.view[0], S.view[1], true]]) {
    const c = $(id);
    const [w, h] = sizeCanvas(c);
    const ctx = c.getContext('2d');
    ctx.clearRect(0, 0, w, h);
    if (t1 <= t0) continue;
    drawSegments(ctx, w, h, t0, t1, handles);
    drawPeaks(ctx, p, w, h, t0, t1);
    if (!handles) { // the detail window on the overview
      ctx.strokeStyle = '#0b5cad';
      ctx.strokeRect((S.view[0] / DURATION) * w, 0.5, ((S.view[1] - S.view[0]) / DURATION) * w, h - 1);
    }
    ctx.fillStyle = '#a3161b';
    ctx.fillRect(((t - t0) / (t1 - t0)) * w - 1, 0, 2, h);
  }
}

// Dragging a boundary on the detail view; a click elsewhere seeks there.
function waveTime(ev) {
  const r = $('wave').getBoundingClientRect();
  return S.view[0] + ((ev.clientX - r.left) / r.width) * (S.view[1] - S.view[0]);
}

function onWaveDown(ev) {
  const r = $('wave').getBoundingClientRect();
  const t = waveTime(ev);
  const px = (S.view[1] - S.view[0]) / r.width;
  const lane = Math.min(CHANNELS - 1, Math.floor(((ev.clientY - r.top) / r.height) * CHANNELS));
  let best = null;
  S.segs.forEach((s, i) => {
    if (s.channel !== lane) return;
    for (const edge of ['start', 'end']) {
      const d = Math.abs(s[edge] - t) / px;
      if (d <= 8 && (!best || d < best.d)) best = { i, edge, d };
    }
  });
  if (best) {
    S.drag = best;
    $('wave').setPointerCapture(ev.pointerId);
    ev.preventDefault();
    return;
  }
  seek(t);
  const i = segmentAt(t, lane);
  if (i >= 0) setCurrent(i, false);
}

function onWaveMove(ev) {
  if (!S.drag) return;
  const s = S.segs[S.drag.i];
  const t = Math.max(0, Math.min(DURATION, waveTime(ev)));
  const same = S.segs.filter((x) => x.channel === s.channel && x !== s);
  if (S.drag.edge === 'start') {
    const prev = same.filter((x) => x.end <= s.start + 1e-9).reduce((m, x) => Math.max(m, x.end), 0);
    s.start = round3(Math.max(prev, Math.min(t, s.end - 0.05)));
  } else {
    const next = same.filter((x) => x.start >= s.end - 1e-9).reduce((m, x) => Math.min(m, x.start), DURATION);
    s.end = round3(Math.min(next, Math.max(t, s.start + 0.05)));
  }
  const li = item(S.drag.i);
  li.querySelector('[data-testid=segment-time]').textContent = `${fmt3(s.start)} – ${fmt3(s.end)}`;
  li.dataset.start = s.start; li.dataset.end = s.end;
  draw();
}

function onWaveUp() {
  if (!S.drag) return;
  S.drag = null;
  sortSegs();
  renderList();
  changed();
}

function onOverviewDown(ev) {
  const r = $('overview').getBoundingClientRect();
  const t = ((ev.clientX - r.left) / r.width) * DURATION;
  centerView(t);
  seek(t);
}

// ---- keys ------------------------------------------------------------------------------

function onKey(ev) {
  const k = ev.key, ctrl = ev.ctrlKey || ev.metaKey;
  let done = true;
  if (k === 'Escape' || k === 'F9') togglePlay();
  else if (k === 'F4' || (ctrl && k === 'Enter')) playSegment();
  else if (k === 'F8') toggleSpeed();
  else if (k === 'F2') applyFix(S.cur);
  else if (ctrl && k === 'ArrowDown') { setCurrent(Math.min(S.cur + 1, S.segs.length - 1), true); seek(S.segs[S.cur].start); }
  else if (ctrl && k === 'ArrowUp') { setCurrent(Math.max(S.cur - 1, 0), true); seek(S.segs[S.cur].start); }
  else if (ctrl && (k === 'b' || k === 'B')) split();
  else if (ctrl && (k === 'm' || k === 'M')) merge();
  else if (ctrl && (k === 's' || k === 'S')) { clearTimeout(S.saveTimer); save(true); }
  else done = false;
  if (done) ev.preventDefault();
}

// ---- submit ----------------------------------------------------------------------------

async function submit() {
  $('submit').disabled = true;
  await save();
  try {
    const r = await api('POST', `${API}/transcription`, { segments: S.segs.map(plain) });
    S.submitted = true;
    app.dataset.submitted = String(r.id);
    say(r.applied ? '已送出，逐字稿會和錄音一起審核。' : '已送出，等待逐字稿審核。',
      r.applied ? 'Submitted: the transcription is reviewed with the recording.' : 'Submitted: waiting for review of the transcription.', 'ok');
  } catch (e) {
    if (e instanceof APIError && e.code === 'transcript_errors') {
      const byseg = new Map();
      for (const f of (e.body.error.finding || [])) { if (!byseg.has(f.segment)) byseg.set(f.segment, []); byseg.get(f.segment).push(f); }
      for (const [i, fs] of byseg) { if (S.segs[i]) { S.segs[i].findings = fs; renderFindings(i); } }
      if (byseg.size) setCurrent([...byseg.keys()][0], true);
    }
    sayError(e, '無法送出，請檢查網路連線後再試一次。', 'Could not submit: check the connection and try again.');
    updateSubmit();
  }
}

// ---- start -----------------------------------------------------------------------------

async function start() {
  $('clip-length').textContent = fmt(DURATION);
  const me = await api('GET', '/api/v1/me');
  S.csrf = me.csrf_token;
  const overview = loadOverview().catch((e) => sayError(e, '無法載入波形，請重新整理頁面。', 'Could not load the waveform: reload the page.'));
  centerView(0);
  let server = null;
  try { server = await api('GET', `${API}/transcription/draft`); } catch (e) {
    sayError(e, '無法載入伺服器上的草稿，請檢查網路連線後重新整理頁面。', 'Could not load the draft from the server: check the connection and reload the page.');
  }
  const local = await store.get(CLIP).catch(() => null);
  if (local && !local.synced && (!server || local.version === server.version)) {
    useDraft(local, true);
  } else if (server && server.version > 0) {
    if (local && !local.synced && local.version < server.version) {
      say('這台裝置上有較舊、未上傳的草稿；已載入伺服器上較新的版本。', 'This device had an older unsent draft; the newer server draft is loaded.', 'warn');
    }
    useDraft(server);
  } else {
    await propose();
  }
  loaded();
  await overview;
  app.dataset.ready = 'true';
}

// loaded shows the proposal, the segments and the help, kept out of sight
// (not out of the layout: transcribe.html's data-loading) until the
// segments are in: filling in above the help and the submit button, they
// would otherwise push them down the screen, a layout shift.
function loaded() { delete app.dataset.loading; }
setTimeout(loaded, 10000); // whatever happens, the page shows

$('play').addEventListener('click', togglePlay);
$('replay').addEventListener('click', playSegment);
$('speed').addEventListener('click', toggleSpeed);
$('split').addEventListener('click', split);
$('merge').addEventListener('click', merge);
$('submit').addEventListener('click', submit);
$('accept-proposed').addEventListener('click', acceptProposal);
$('repropose').addEventListener('click', () => propose().catch((e) => sayError(e, '無法建議段落，請再試一次。', 'Could not propose segments; try again.')));
$('wave').addEventListener('pointerdown', onWaveDown);
$('wave').addEventListener('pointermove', onWaveMove);
$('wave').addEventListener('pointerup', onWaveUp);
$('wave').addEventListener('pointercancel', onWaveUp);
$('overview').addEventListener('pointerdown', onOverviewDown);
document.addEventListener('keydown', onKey, true);
const audio = $('audio');
for (const ev of ['play', 'seeked', 'pause']) audio.addEventListener(ev, () => { $('play').dataset.playing = String(!audio.paused); tick(); });
window.addEventListener('online', () => { if (S.dirty) save(); });
window.addEventListener('resize', () => { S.detailKey = ''; loadDetail(); draw(); });
start().catch((e) => { loaded(); sayError(e, '無法載入此頁，請檢查網路連線後重新整理。', 'Could not load this page: check the connection and reload.'); });
