// The review page (GET /review): waveform from the server's peaks, playback,
// a time marker, and the decision sent to POST /api/v1/review/{clip_id}. The
// page itself is rendered (and escaped) by the server; this module never
// writes HTML: every string it shows goes through textContent.
import { bi } from '../dom.js';

const root = document.getElementById('review');
const clipID = root.dataset.clipId || '';
const csrf = root.dataset.csrf || '';
// This tab's id (issue 21): each tab of a reviewer holds its own clip. The
// address keeps it, so a reload shows the same clip, and the next clip is
// asked for by the same tab.
const tab = root.dataset.tab || '';
const pageURL = tab ? '/review?tab=' + encodeURIComponent(tab) : '/review';
if (tab && new URLSearchParams(window.location.search).get('tab') !== tab) {
  window.history.replaceState(null, '', pageURL);
}
const statusEl = document.getElementById('review-status');
const audio = document.getElementById('audio');
const canvas = document.getElementById('waveform');
const note = document.getElementById('note');
const markerEl = document.getElementById('marker');

let marker = null; // seconds
let busy = false;

// say shows a line in both languages (the English marked lang="en"). err,
// when given, is the technical cause: it goes to the console and to the
// line's data-error, never into what the reviewer reads.
function say(zh, en, kind, err) {
  statusEl.hidden = false;
  statusEl.className = 'card status-line ' + (kind || '');
  statusEl.replaceChildren(...(en ? bi(zh, en) : [zh]));
  if (err) {
    statusEl.dataset.error = `${err.name || 'Error'}: ${err.message || err}`;
    console.error('dialect review:', statusEl.dataset.error, err);
  } else {
    delete statusEl.dataset.error;
  }
}

function setState(s) { root.dataset.state = s; }

// ---- waveform ------------------------------------------------------------

const peaks = canvas ? (canvas.dataset.peaks || '').split(',').filter(Boolean).map(Number) : [];
const duration = canvas ? Number(canvas.dataset.duration) || 0 : 0;

function draw() {
  if (!canvas) return;
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 800;
  const h = canvas.clientHeight || 120;
  if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const mid = h / 2;
  const total = audio && isFinite(audio.duration) && audio.duration > 0 ? audio.duration : duration;
  const played = total > 0 && audio ? audio.currentTime / total : 0;
  const n = peaks.length;
  for (let x = 0; x < w; x++) {
    const i = n ? Math.min(n - 1, Math.floor(x / w * n)) : 0;
    const p = n ? peaks[i] : 0;
    const y = Math.max(1, p * (mid - 2));
    g.fillStyle = x / w < played ? '#6fc3ff' : '#8aa1b1';
    g.fillRect(x, mid - y, 1, 2 * y);
  }
  if (total > 0 && audio) {
    g.fillStyle = '#ffffff';
    g.fillRect(Math.round(played * w), 0, 1, h);
  }
  if (marker !== null && total > 0) {
    g.fillStyle = '#ff5a5f';
    g.fillRect(Math.round(marker / total * w) - 1, 0, 3, h);
  }
}

function loop() {
  draw();
  if (audio && !audio.paused) requestAnimationFrame(loop);
}

if (canvas) {
  draw();
  window.addEventListener('resize', draw);
  canvas.addEventListener('click', (ev) => {
    const total = isFinite(audio.duration) && audio.duration > 0 ? audio.duration : duration;
    if (!total) return;
    const r = canvas.getBoundingClientRect();
    audio.currentTime = Math.max(0, Math.min(total, (ev.clientX - r.left) / r.width * total));
    draw();
  });
}
if (audio) {
  audio.addEventListener('play', () => { root.dataset.playing = 'true'; requestAnimationFrame(loop); });
  audio.addEventListener('pause', () => { root.dataset.playing = 'false'; draw(); });
  audio.addEventListener('ended', () => { root.dataset.playing = 'false'; draw(); });
  audio.addEventListener('timeupdate', () => { root.dataset.currentTime = audio.currentTime.toFixed(3); });
  audio.addEventListener('loadedmetadata', draw);
}

function togglePlay() {
  if (!audio) return;
  if (audio.paused) {
    audio.play().catch((e) => say('無法播放這段錄音：請再按一次播放，不行的話請重新整理頁面。',
      'The recording could not play: press play again, or reload the page if that fails.', 'error', e));
  } else {
    audio.pause();
  }
}

// ---- marker --------------------------------------------------------------

function setMarker(t) {
  marker = t;
  markerEl.textContent = t === null ? '—' : t.toFixed(2) + ' s';
  root.dataset.marker = t === null ? '' : t.toFixed(3);
  draw();
}

document.getElementById('set-marker')?.addEventListener('click', () => setMarker(audio.currentTime));
document.getElementById('clear-marker')?.addEventListener('click', () => setMarker(null));

// ---- decision --------------------------------------------------------------

const reasonButtons = [...document.querySelectorAll('button.reason')];

function rejectMode(on) {
  root.dataset.mode = on ? 'reject' : '';
}

async function decide(decision, reason, needsNote) {
  if (busy || !clipID) return;
  const text = note.value.trim();
  if (needsNote && !text) {
    reasonButtons.forEach((b) => b.classList.toggle('chosen', b.dataset.reason === reason));
    root.dataset.pendingReason = reason;
    note.focus();
    say('請在備註說明原因，然後按 Ctrl+Enter 送出', 'write a note, then press Ctrl+Enter to send', 'warn');
    return;
  }
  busy = true;
  setState('sending');
  const body = { decision, reason: reason || '', note: text };
  if (marker !== null) body.marker_s = Math.round(marker * 1000) / 1000;
  try {
    const resp = await fetch('/api/v1/review/' + encodeURIComponent(clipID), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body),
    });
    const j = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      // The server's own words when it gave them (both languages); a bare
      // status (a proxy's page, say) gets a plain line, the status noted.
      const e = j.error || {};
      if (e.message_zh && e.message) say(e.message_zh, e.message, 'error');
      else say('送出失敗，請再試一次。', 'Sending failed; try again.', 'error', new Error(`HTTP ${resp.status}`));
      setState('error');
      busy = false;
      return;
    }
    setState('sent');
    root.dataset.lastStatus = j.status || '';
    say('已送出，載入下一筆…', 'sent; loading the next clip…', 'ok');
    window.location.assign(pageURL);
  } catch (e) {
    say('網路錯誤，請再試一次。', 'Network error; try again.', 'error', e);
    setState('error');
    busy = false;
  }
}

document.getElementById('decide')?.addEventListener('submit', (ev) => {
  ev.preventDefault();
  decide('accept', '', false);
});
document.getElementById('reject-toggle')?.addEventListener('click', () => rejectMode(root.dataset.mode !== 'reject'));
for (const b of reasonButtons) {
  b.addEventListener('click', () => decide('reject', b.dataset.reason, b.dataset.needsNote === 'true'));
}

// ---- keyboard ------------------------------------------------------------

document.addEventListener('keydown', (ev) => {
  if (ev.target === note) {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      const r = root.dataset.pendingReason;
      if (r) decide('reject', r, true);
    } else if (ev.key === 'Escape') {
      note.blur();
    }
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement || ev.target instanceof HTMLSelectElement) return;
  const k = ev.key.toLowerCase();
  if (k === ' ' || k === 'spacebar') {
    ev.preventDefault();
    togglePlay();
  } else if (k === 'a') {
    ev.preventDefault();
    decide('accept', '', false);
  } else if (k === 'r') {
    ev.preventDefault();
    rejectMode(root.dataset.mode !== 'reject');
  } else if (k === 'm') {
    ev.preventDefault();
    setMarker(audio.currentTime);
  } else if (k === 'escape') {
    rejectMode(false);
  } else if (/^[1-9]$/.test(k) && root.dataset.mode === 'reject') {
    const b = reasonButtons.find((x) => x.dataset.key === k);
    if (b) {
      ev.preventDefault();
      decide('reject', b.dataset.reason, b.dataset.needsNote === 'true');
    }
  }
});

// Space on a focused button would also click it (an accept by accident):
// the page's shortcut wins.
document.addEventListener('keyup', (ev) => {
  if (ev.key === ' ' && ev.target instanceof HTMLButtonElement) ev.preventDefault();
});
for (const b of document.querySelectorAll('#review button')) {
  b.addEventListener('mouseup', () => b.blur());
}

setState(clipID ? 'ready' : 'empty');
