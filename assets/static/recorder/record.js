// dialect recorder page (GET /record). Consent and profile first; a room
// check; recording to 16 kHz mono 16-bit WAV in the browser; every take
// kept in IndexedDB until the server's receipt; uploads retried with
// backoff and drained on load and on "online". Strings: zh-TW, then English.
import * as store from './store.js';
import { Mic, RATE, blockLevel, loadRoomCheck, roomCheck, toPCM16, wavBlob } from './audio.js';
import * as tus from './tus.js';
import { sha256Hex } from './tus.js';
import { $, bi, el, en } from '../dom.js';

const BACKOFF = [0, 3000, 5000, 10000, 20000];
// POST /api/v1/clips takes at most 64 MiB: about 34 minutes of 16 kHz
// mono 16-bit. Prompted takes (30 s at most) go that way; monologues and
// dialogues go through tus (tus.js), up to the task's maximum. A take is
// held in memory while it records, so very long sessions are capped at
// three hours here.
const MAX_UPLOAD_S = 34 * 60;
const MAX_TUS_S = 3 * 3600;
const CHUNK_SAMPLES = RATE; // a chunk per second reaches IndexedDB

const BANDS = {
  low: ['安靜的地方', 'a quiet place'],
  medium: ['一般的地方（有些背景聲）', 'an ordinary place, with some background sound'],
  high: ['吵雜的地方', 'a noisy place'],
  too_noisy: ['太吵', 'too noisy'],
};
const BAND_SHORT = { low: ['低噪音', 'low noise'], medium: ['中噪音', 'medium noise'], high: ['高噪音', 'high noise'], too_noisy: ['太吵', 'too noisy'] };
const MODES = { prompted: ['朗讀', 'Read aloud'], monologue: ['自由講', 'Talk freely'], dialogue: ['對話', 'Dialogue'] };
const STATUS = {
  pending_review: ['已收到，等待審核', 'Received, waiting for review'],
  rejected: ['未通過自動檢查', 'Rejected by the automatic checks'],
  accepted: ['已通過審核', 'Accepted'],
};
const SEVERITY = { error: ['錯誤', 'error'], warning: ['警告', 'warning'], info: ['說明', 'note'] };

const S = {
  me: null, csrf: '', task: null, mic: null, room: null,
  rec: null, // the recording in progress
  draft: null, // the finished take not yet sent
  uploading: new Set(), draining: false, again: false, timer: 0, serverDown: false,
  meterHistory: [], clipUntil: 0,
};


// say shows a line to the speaker, in both languages. err, when given, is
// the technical cause: it goes to the console and to data-error (for
// tests and support), never into the text a speaker reads.
function say(zh, eng, kind = '', err = null) {
  const p = $('status-line');
  p.replaceChildren(...bi(zh, eng));
  p.className = 'card status-line ' + kind;
  p.hidden = false;
  noteError(p, err);
}

// noteError records err on el (data-error) and in the console, or clears it.
function noteError(el, err) {
  if (!err) { delete el.dataset.error; return; }
  const detail = `${err.name || 'Error'}: ${err.message || err}`;
  el.dataset.error = detail;
  console.error('dialect recorder:', detail, err);
}

// micProblem is the plain message for a microphone that cannot be opened,
// by the DOMException's name (getUserMedia's failures).
function micProblem(e) {
  switch (e && e.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return ['麥克風的使用權限被拒絕了：請在瀏覽器的網站設定裡允許這個網站使用麥克風，再重新整理頁面。',
        'Microphone access was refused: allow this site to use the microphone in the browser\'s site settings, then reload the page.'];
    case 'NotFoundError':
    case 'OverconstrainedError':
      return ['找不到麥克風：請接上或打開麥克風，再試一次。', 'No microphone was found: connect or switch on a microphone and try again.'];
    case 'NotReadableError':
    case 'AbortError':
      return ['麥克風無法啟動，可能正被其他程式使用（例如通話）：請關掉那些程式，再試一次。',
        'The microphone could not start; another app (a call, say) may be using it: close that app and try again.'];
    default:
      return ['無法使用麥克風：請重新整理頁面再試一次；如果還是不行，請改用最新版的 Chrome、Safari 或 Firefox。',
        'The microphone could not be used: reload the page and try again; if that fails, use an up-to-date Chrome, Safari or Firefox.'];
  }
}

const fmtTime = (s) => { s = Math.floor(s); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`; };
const fmtNum = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : String(v));

// ---- the API --------------------------------------------------------------

class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status; this.code = e.code || ''; this.zh = e.message_zh || '';
  }
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

async function loadMe() {
  S.me = await api('GET', '/api/v1/me');
  S.csrf = S.me.csrf_token;
  return S.me;
}

// ---- consent and profile ----------------------------------------------------

function needsProfile(u) { return !u.dialect_region || !u.age_band || !u.gender; }

// consentParagraphs splits the project's consent text at blank lines into
// paragraphs; one without Chinese characters is marked lang="en" (a
// bilingual text, as the demo's, has one of each), so a screen reader reads
// each in its own language.
function consentParagraphs(text) {
  return text.split(/\n\s*\n/).map((s) => s.trim()).filter(Boolean)
    .map((s) => el('p', /[\u3400-\u9fff\uf900-\ufaff]/.test(s) ? {} : { lang: 'en' }, s));
}

function showConsent() {
  const u = S.me.user;
  $('consent-text').replaceChildren(...consentParagraphs((S.me.project && S.me.project.consent_text) || ''));
  $('region').value = u.dialect_region || '';
  $('age-band').value = u.age_band || '';
  $('gender').value = u.gender || '';
  $('consent').hidden = false;
  for (const id of ['task', 'room', 'recorder']) $(id).hidden = true;
  started();
  return new Promise((resolve) => { S.consentDone = resolve; });
}

async function acceptConsent(ev) {
  ev.preventDefault();
  const err = $('consent-error');
  const profile = { dialect_region: $('region').value, age_band: $('age-band').value, gender: $('gender').value };
  if (!profile.dialect_region || !profile.age_band || !profile.gender) {
    err.replaceChildren(...bi('請填寫腔調地區、年齡層與性別。', 'Choose your dialect region, age band and gender.'));
    err.hidden = false;
    return;
  }
  try {
    await api('PUT', '/api/v1/me/profile', profile);
    if (S.me.consent_required) await api('POST', '/api/v1/consent', { consent_version: S.me.project.consent_version });
    await loadMe();
  } catch (e) {
    // The server's own message when it sent one (both languages);
    // otherwise a network failure, whose text is for the console only.
    if (e instanceof APIError && e.zh) err.replaceChildren(...bi(e.zh, e.message));
    else err.replaceChildren(...bi('無法儲存，請檢查網路連線後再試一次。', 'Could not save: check the connection and try again.'));
    noteError(err, e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  $('consent').hidden = true;
  if (S.consentDone) S.consentDone();
}

// ---- the task ---------------------------------------------------------------

async function loadTask() {
  try {
    S.task = await api('GET', '/api/v1/tasks/next');
  } catch (e) {
    if (e.code === 'consent_required') { await loadMe(); await showConsent(); return loadTask(); }
    if (e instanceof APIError && e.zh) say(e.zh, e.message, 'warn', e);
    else say('無法取得下一個任務，連線恢復後會再試。', 'Could not get the next task; will try again when the connection returns.', 'warn', e);
    S.task = null;
    started();
    return;
  }
  const t = S.task;
  const m = MODES[t.mode] || [t.mode, t.mode];
  $('task-mode').replaceChildren(...bi(m[0], m[1]));
  $('task-band').textContent = BANDS[t.noise_band][0];
  $('task-band-en').textContent = `This task needs ${BANDS[t.noise_band][1]}`;
  $('prompt').textContent = t.prompt || '';
  $('romanized').textContent = t.romanized || '';
  $('task-hint').replaceChildren(...(t.mode === 'prompted'
    ? bi('請照上面的句子念一遍。', 'Read the sentence above aloud.')
    : bi(`請用台語講這個主題，至少 ${fmtTime(t.min_duration_s)}。`, `Talk about this topic in the dialect for at least ${fmtTime(t.min_duration_s)}.`)));
  $('transcript-box').hidden = t.mode === 'prompted';
  $('marker').hidden = t.mode === 'prompted';
  $('timer-max').textContent = `/ ${fmtTime(maxSeconds())}`;
  $('task').hidden = false;
  $('room').hidden = false;
  $('recorder').hidden = false;
  renderRoom(S.room);
  setButtons();
  started();
}

// started shows the upload queue, kept out of sight (not out of the layout:
// record.html's data-starting) until the page's first state is up — the
// consent form, the task or a message — which, appearing above the queue,
// would otherwise push it down the screen: a layout shift. Then, and not
// before, it fetches the room check's estimator (0.9 MB), while the network
// is there: on a weak connection it would otherwise hold up the requests
// that show that first state.
function started() {
  delete $('app').dataset.starting;
  if (!S.roomCheckAsked && window.isSecureContext) {
    S.roomCheckAsked = true;
    loadRoomCheck().catch(() => {});
  }
}

function maxSeconds() {
  const t = S.task;
  if (!t) return 30;
  const cap = t.mode === 'prompted' || S.tus === false ? MAX_UPLOAD_S : MAX_TUS_S;
  return Math.min(t.max_duration_s || cap, cap);
}

// ---- room check ---------------------------------------------------------------

async function openMic() {
  if (S.mic) return S.mic;
  const channels = S.task && S.task.mode === 'dialogue' && S.task.format && S.task.format.channels === 2 ? 2 : 1;
  try {
    S.mic = await Mic.open(channels);
  } catch (e) {
    const [zh, eng] = micProblem(e);
    say(zh, eng, 'error', e);
    throw e;
  }
  $('recorder').dataset.trackSettings = JSON.stringify(S.mic.settings());
  S.mic.listen(onBlock);
  return S.mic;
}

async function startRoomCheck() {
  const b = $('room-check-start');
  b.disabled = true;
  $('record').disabled = true;
  const out = $('room-check');
  out.replaceChildren(...bi('量測中，請保持安靜…', 'Measuring: please stay quiet…'));
  out.removeAttribute('data-band');
  let room;
  try {
    const mic = await openMic();
    room = await roomCheck(mic, 3, S.task && S.task.noise_limits);
  } catch (e) {
    out.replaceChildren(...bi('無法完成檢查，請看上面的說明，再試一次。', 'The check could not run: see the note above and try again.'));
    noteError(out, e);
    b.disabled = false;
    return;
  }
  delete out.dataset.error;
  b.disabled = false;
  // Too little quiet to judge: no figure (it would mislead), and no
  // recording until a check could judge the room.
  S.room = room.enough ? room : null;
  renderRoom(room);
  setButtons();
}

function renderRoom(room) {
  const out = $('room-check');
  if (!room) return;
  const { band, noise_floor_dbfs: floor } = room;
  out.dataset.quietS = room.quiet_s.toFixed(2);
  if (!room.enough) {
    out.dataset.band = 'unknown';
    delete out.dataset.noiseDbfs;
    out.dataset.ok = 'false';
    out.className = 'room-check warn';
    out.replaceChildren(
      el('p', { class: 'advice', role: 'alert' },
        `聽到說話聲，安靜的時間不到 ${room.min_quiet_s} 秒，無法判斷環境噪音。請保持安靜幾秒，再檢查一次。`, ' ',
        en(`Heard speech: less than ${room.min_quiet_s} s of quiet, too little to judge the room's noise. Stay quiet for a few seconds and check again.`)),
    );
    return;
  }
  out.dataset.band = band;
  out.dataset.noiseDbfs = floor.toFixed(1);
  const need = S.task ? S.task.noise_band : band;
  const order = ['low', 'medium', 'high', 'too_noisy'];
  let advice; let ok = false;
  if (band === 'too_noisy') advice = bi('這裡太吵了，任何任務都不能用，請換到較安靜的地方。', 'Too noisy for any task: move somewhere quieter.');
  else if (band === need) { advice = bi('很好，這裡適合這個任務。', 'Good: this room suits the task.'); ok = true; }
  else if (order.indexOf(band) > order.indexOf(need)) advice = bi('這裡太吵了，請換到較安靜的地方。', 'Too noisy for this task: move somewhere quieter.');
  else if (need === 'medium') advice = bi('這個任務需要有些背景聲的地方，例如咖啡廳或客廳開著電視。', 'This task needs a noisier place, such as a café or a living room with the TV on.');
  else advice = bi('這個任務需要吵雜的地方，例如夜市、路邊或捷運站。', 'This task needs a noisy place, such as a night market, a street or a station.');
  out.dataset.ok = ok ? 'true' : 'false';
  out.className = 'room-check ' + (ok ? 'ok' : 'warn');
  out.replaceChildren(
    el('p', {}, '環境噪音 ', el('strong', {}, `${floor.toFixed(1)} dBFS`), '：', BAND_SHORT[band][0], ' ', en(`Room noise ${floor.toFixed(1)} dBFS: ${BAND_SHORT[band][1]}`)),
    el('p', {}, '這個任務需要：', BAND_SHORT[need][0], ' ', en(`This task needs: ${BAND_SHORT[need][1]}`)),
    el('p', { class: 'advice', role: ok ? null : 'alert' }, ...advice),
  );
}

// ---- level meter ---------------------------------------------------------------

function onBlock(chans) {
  const { dbfs: level, peak } = blockLevel(chans);
  const now = performance.now();
  const m = $('level');
  m.dataset.dbfs = level.toFixed(1);
  const shown = Math.max(-60, Math.min(0, level));
  m.setAttribute('aria-valuenow', shown.toFixed(0));
  m.firstElementChild.style.width = `${((shown + 60) / 60) * 100}%`;
  $('level-text').textContent = level <= -119 ? '−∞ dBFS' : `${level.toFixed(1)} dBFS`;
  if (peak >= 0.999) S.clipUntil = now + 2000;
  S.meterHistory.push(level);
  if (S.meterHistory.length > 40) S.meterHistory.shift();
  let warn = null;
  if (now < S.clipUntil) {
    // Each language on one line of a phone: the warning fills a slot of
    // two lines kept for it (app.css), so nothing below it moves.
    warn = ['clipping', '太大聲，聲音破掉了：請離遠一點。', 'Too loud, clipping: move back.'];
  } else if (S.rec && S.rec.samples > RATE * 3 && Math.max(...S.meterHistory) < -40) {
    warn = ['quiet', '太小聲了：請靠近麥克風。', 'Too quiet: move closer or speak up.'];
  }
  const w = $('level-warning');
  if (warn) { w.dataset.kind = warn[0]; w.replaceChildren(...bi(warn[1], warn[2])); w.hidden = false; } else { w.hidden = true; w.removeAttribute('data-kind'); }
  if (S.rec) S.rec.push(chans);
}

// ---- recording ---------------------------------------------------------------

// hold takes a Web Lock until the returned function is called: another tab
// then knows this recording or draft is alive and must not recover it.
function hold(name) {
  if (!navigator.locks) return () => {};
  let release;
  const p = new Promise((r) => { release = r; });
  navigator.locks.request(name, () => p);
  return release;
}

async function isHeld(name) {
  if (!navigator.locks) return false;
  const q = await navigator.locks.query();
  return q.held.some((l) => l.name === name) || q.pending.some((l) => l.name === name);
}

class Recording {
  constructor(mic, task) {
    this.id = crypto.randomUUID();
    this.channels = mic.channels;
    this.task = task;
    this.parts = []; // Int16Array per block, all of the take
    this.pending = []; // blocks not yet in IndexedDB
    this.pendingSamples = 0;
    this.samples = 0;
    this.seq = 0;
    this.markers = [];
    this.writes = Promise.resolve();
    this.release = hold('dialect-rec-' + this.id);
    this.started = new Date().toISOString();
    this.meta = {
      id: this.id, user: S.me.user.username, task_id: task.task_id, noise_band: task.noise_band, mode: task.mode,
      prompt: task.prompt, started_at: this.started, channels: this.channels, sample_rate: RATE, markers: [],
    };
  }

  begin() { return store.startRecording(this.meta); }

  push(chans) {
    const pcm = toPCM16(chans);
    this.parts.push(pcm);
    this.pending.push(pcm);
    this.samples += chans[0].length;
    this.pendingSamples += chans[0].length;
    if (this.pendingSamples >= CHUNK_SAMPLES) this.flush();
    if (this.samples / RATE >= maxSeconds()) stopRecording(true);
  }

  // flush writes the blocks not yet stored as one chunk. Writes are
  // chained, so chunks land in order.
  flush() {
    if (!this.pending.length) return this.writes;
    const n = this.pending.reduce((a, p) => a + p.length, 0);
    const buf = new Int16Array(n);
    let o = 0;
    for (const p of this.pending) { buf.set(p, o); o += p.length; }
    this.pending = []; this.pendingSamples = 0;
    const seq = this.seq++;
    this.writes = this.writes.then(() => store.putChunk(this.id, seq, buf.buffer)).catch((e) => {
      say('無法把錄音存到這台裝置上（儲存空間不足？）：請停止錄音，清出空間後再錄。', 'Could not save the recording on this device (storage full?): stop, free some space and record again.', 'error', e);
    });
    return this.writes;
  }

  mark() {
    const s = this.samples / RATE;
    this.markers.push(s);
    this.meta.markers = this.markers;
    store.updateRecording(this.meta).catch(() => {});
    return s;
  }

  async finish() {
    await this.flush();
    const duration = this.samples / RATE;
    const take = {
      id: this.id, user: this.meta.user, task_id: this.task.task_id, noise_band: this.task.noise_band, mode: this.task.mode,
      prompt: this.task.prompt, transcript: '', markers: this.markers, duration_s: duration, created_at: this.started,
      channels: this.channels, wav: wavBlob(this.parts, this.channels), state: 'draft', attempts: 0, next_at: 0,
    };
    await store.finishRecording(this.id, take);
    this.release();
    return take;
  }
}

async function startRecording() {
  // A take not yet sent (or still being stored) blocks a new one: only a
  // confirmed discard (discardDraft) ever removes a take.
  if (S.rec || S.draft || S.stopping || !S.task || !S.mic || !S.room || S.starting) return;
  S.starting = true;
  try {
    const r = new Recording(S.mic, S.task);
    await r.begin();
    S.rec = r;
  } finally {
    S.starting = false;
  }
  $('markers').replaceChildren();
  $('playback').hidden = true;
  document.body.classList.add('recording');
  S.tick = setInterval(tick, 250);
  tick();
  setButtons();
}

function tick() {
  if (!S.rec) return;
  $('timer').textContent = fmtTime(S.rec.samples / RATE);
  $('timer').dataset.elapsedS = (S.rec.samples / RATE).toFixed(1);
}

async function stopRecording(auto = false) {
  const r = S.rec;
  if (!r || S.stopping) return;
  S.stopping = true;
  S.rec = null;
  clearInterval(S.tick);
  document.body.classList.remove('recording');
  try {
    S.draft = await r.finish();
    S.draftRelease = hold('dialect-take-' + S.draft.id);
  } catch (e) {
    say('無法儲存這段錄音（儲存空間不足？）：請清出空間後再錄一次。', 'Could not store the take (storage full?): free some space and record it again.', 'error', e);
  } finally {
    S.stopping = false;
  }
  if (auto) say('已達這個任務的最長時間，錄音已停止。', 'The take reached the longest this task allows and stopped.', 'warn');
  $('timer').textContent = fmtTime(S.draft ? S.draft.duration_s : 0);
  const a = $('playback');
  if (S.draft) {
    if (a.src) URL.revokeObjectURL(a.src);
    a.src = URL.createObjectURL(S.draft.wav);
    a.hidden = false;
    a.dataset.durationS = S.draft.duration_s.toFixed(2);
  }
  setButtons();
}

// discardDraft deletes the take under review, after the speaker confirms.
async function discardDraft() {
  const d = S.draft;
  if (!d || !(await confirmDiscard(d)) || S.draft !== d) return;
  S.draft = null;
  if (S.draftRelease) S.draftRelease();
  await store.deleteTake(d.id);
  const a = $('playback');
  a.hidden = true;
  if (a.src) { URL.revokeObjectURL(a.src); a.removeAttribute('src'); }
  $('timer').textContent = '0:00';
  setButtons();
}

// confirmDiscard asks before a take is deleted from the device, in an
// in-page modal dialog in both languages (record.html #confirm-discard). It
// resolves true only when the speaker chooses "Discard it"; focus starts on
// "Keep it", Esc keeps the take too, and focus goes back where it was.
function confirmDiscard(take) {
  const d = $('confirm-discard');
  if (d.open) return Promise.resolve(false);
  const what = `${fmtNum(take.duration_s)} 秒 s · ${(take.prompt || '').slice(0, 40)}`;
  if (typeof d.showModal !== 'function') {
    // A browser without <dialog> (Safari before 15.4): its own confirm.
    return Promise.resolve(window.confirm(`要放棄這段錄音嗎？放棄後無法復原。\nDiscard this take? It cannot be undone.\n\n${what}`));
  }
  $('confirm-discard-take').textContent = what;
  const back = document.activeElement;
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => {
      resolve(d.returnValue === 'discard');
      if (back && back !== document.body && back.isConnected && !back.disabled) back.focus();
    }, { once: true });
    d.showModal();
  });
}

async function submitDraft() {
  const d = S.draft;
  if (!d) return;
  S.draft = null;
  const transcript = d.mode === 'prompted' ? '' : $('transcript').value;
  await store.updateTake(d.id, { state: 'queued', transcript, next_at: 0, attempts: 0 });
  if (S.draftRelease) S.draftRelease();
  $('transcript').value = '';
  $('playback').hidden = true;
  $('timer').textContent = '0:00';
  setButtons();
  await renderQueue();
  drain();
}

function setButtons() {
  const recording = !!S.rec;
  const ready = !!(S.task && S.mic && S.room);
  $('record').disabled = recording || !ready || !!S.draft || !!S.stopping;
  $('stop').disabled = !recording;
  $('marker').disabled = !recording;
  $('play').disabled = recording || !S.draft;
  $('rerecord').disabled = recording || !S.draft;
  $('submit').disabled = recording || !S.draft;
  $('room-check-start').disabled = recording;
  $('recorder').dataset.state = recording ? 'recording' : S.draft ? 'review' : ready ? 'ready' : 'idle';
}

// ---- the upload queue -----------------------------------------------------------

async function renderQueue() {
  let all = [];
  try { all = await store.takes(); } catch (_) { /* shown below */ }
  const me = S.me ? S.me.user.username : document.getElementById('app').dataset.username;
  const waiting = all.filter((t) => t.state !== 'draft').sort((a, b) => a.created_at.localeCompare(b.created_at));
  const ul = $('queue');
  const now = Date.now();
  ul.replaceChildren(...waiting.map((t) => {
    let state; let text;
    if (t.user !== me) {
      state = 'other-user';
      text = bi(`屬於帳號 ${t.user}，請用該帳號登入後上傳`, `belongs to ${t.user}: sign in as ${t.user} to upload it`);
    } else if (S.uploading.has(t.id)) {
      state = 'uploading'; text = bi('上傳中…', 'uploading…');
    } else if (t.state === 'failed') {
      state = 'failed'; text = bi(`伺服器不接受：${t.error_zh || t.error || ''}`, `refused by the server: ${t.error || ''}`);
    } else if (t.attempts > 0) {
      const secs = Math.max(0, Math.ceil((t.next_at - now) / 1000));
      state = 'retrying';
      text = bi(`上傳失敗 ${t.attempts} 次，${secs} 秒後自動重試`, `upload failed ${t.attempts}×, retrying by itself in ${secs} s`);
    } else {
      state = 'waiting'; text = bi('等待上傳', 'waiting to upload');
    }
    const li = el('li', { 'data-take-id': t.id, 'data-state': state },
      el('strong', {}, '尚未上傳'), ' ', en('Not yet uploaded'), ' · ',
      `${fmtNum(t.duration_s)} 秒 s`, t.recovered ? [' · ', ...bi('找回的錄音', 'recovered')] : null, ' · ',
      el('span', { class: 'queue-prompt' }, (t.prompt || '').slice(0, 40)), el('br'), el('span', { class: 'queue-state' }, ...text));
    if (state === 'failed') {
      const retry = el('button', { type: 'button', class: 'secondary small' }, '重試 ', en('Retry'));
      retry.addEventListener('click', async () => { await store.updateTake(t.id, { state: 'queued', attempts: 0, next_at: 0 }); drain(); });
      const del = el('button', { type: 'button', class: 'secondary small' }, '刪除 ', en('Delete'));
      del.addEventListener('click', async () => {
        if (!(await confirmDiscard(t))) return;
        await store.deleteTake(t.id);
        renderQueue();
      });
      li.append(' ', retry, ' ', del);
    }
    return li;
  }));
  const n = waiting.length;
  const qs = $('queue-status');
  let line;
  if (!n) line = bi('沒有等待上傳的錄音，全部都已送達。', 'Nothing waiting: every take has reached the server.');
  else if (!navigator.onLine) line = bi(`${n} 段錄音存在這台裝置上。目前離線，恢復連線後會自動上傳。`, `${n} take(s) saved on this device. Offline: they upload by themselves when the connection returns.`);
  else if (S.serverDown) line = bi(`${n} 段錄音存在這台裝置上。暫時連不上伺服器，會自動重試，請不要清除瀏覽器資料。`, `${n} take(s) saved on this device. Cannot reach the server; retrying by itself. Do not clear the browser's data.`);
  else line = bi(`${n} 段錄音等待上傳，已存在這台裝置上。`, `${n} take(s) waiting to upload, saved on this device.`);
  qs.replaceChildren(...line);
  qs.dataset.count = String(n);
  qs.dataset.serverDown = S.serverDown ? 'true' : 'false';
}

// drain uploads every queued take of the signed-in speaker whose time has
// come, one at a time, then sleeps until the next retry is due.
async function drain() {
  if (S.draining) { S.again = true; return; }
  S.draining = true;
  clearTimeout(S.timer);
  try {
    do {
      S.again = false;
      if (!S.me) {
        try { await loadMe(); } catch (e) { S.serverDown = !(e instanceof APIError); scheduleDrain(5000); break; }
      }
      const mine = (await store.takes()).filter((t) => t.state === 'queued' && t.user === S.me.user.username)
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
      const now = Date.now();
      for (const t of mine) {
        if ((t.next_at || 0) > now) continue;
        if (await isHeld('dialect-upload-' + t.id)) continue; // another tab is on it
        const stop = await upload(t);
        if (stop) return;
      }
      const later = (await store.takes()).filter((t) => t.state === 'queued' && t.user === S.me.user.username);
      if (later.length) {
        const next = Math.min(...later.map((t) => t.next_at || 0));
        scheduleDrain(Math.max(250, next - Date.now()));
      }
    } while (S.again);
  } finally {
    S.draining = false;
    renderQueue();
  }
}

function scheduleDrain(ms) {
  clearTimeout(S.timer);
  S.timer = setTimeout(drain, ms);
}

// upload sends one take: long modes through tus (resumable, tus.js),
// prompted takes as one POST /api/v1/clips. It returns true when draining
// must stop (the session has ended).
async function upload(t) {
  const release = hold('dialect-upload-' + t.id);
  S.uploading.add(t.id);
  renderQueue();
  let a = null; // {status, body, retryAfter}, or null when the network failed
  try {
    a = t.mode !== 'prompted' && S.tus !== false ? await sendTus(t) : null;
    if (!a || a.fallback) a = await sendForm(t);
    // A proxy's 413 (its own page, not our JSON) on the one-piece form:
    // send the take in chunks instead, which tus.js fits under the limit.
    if (a && a.status === 413 && !(a.body && a.body.error) && S.tus !== false) {
      const b = await sendTus(t);
      if (!b.fallback) a = b;
    }
  } catch (_) {
    a = null;
  } finally {
    S.uploading.delete(t.id);
    release();
  }
  const body = a && a.body;
  if (a && a.status >= 200 && a.status < 300 && body && body.clip_id) {
    S.serverDown = false;
    await store.deleteTake(t.id); // only now: the server has the take
    showReceipt(body, t);
    if (t.task_id === (S.task && S.task.task_id) && !S.rec && !S.draft) loadTask();
    return false;
  }
  if (a && a.status === 401) {
    say('登入已過期：請重新登入，錄音會留在這台裝置上，登入後自動上傳。', 'Your session has ended: sign in again. The takes stay on this device and upload after you sign in.', 'error');
    S.me = null;
    return true;
  }
  const csrf = a && a.status === 403 && body && body.error && body.error.code === 'csrf';
  if (csrf) {
    try { await loadMe(); } catch (_) { /* retried below */ }
  }
  if (!transient(a)) {
    const e = (body && body.error) || {};
    // The server's own words when it gave them; a bare status (a proxy's
    // HTML error page, say) gets a plain line in both languages.
    const msg = e.message && e.message_zh ? [e.message_zh, e.message] : [`代碼 ${a.status}`, `status ${a.status}`];
    await store.updateTake(t.id, { state: 'failed', error: msg[1], error_zh: msg[0] });
    say(`有一段錄音被伺服器拒收：${msg[0]}`, `The server refused a take: ${msg[1]}`, 'error');
    return false;
  }
  S.serverDown = !a || a.status >= 500;
  const attempts = (t.attempts || 0) + 1;
  await store.updateTake(t.id, { attempts, next_at: Date.now() + retryDelay(attempts, a && a.retryAfter) });
  return false;
}

// TRANSIENT_STATUS and TRANSIENT_CODES are answers about the request, the
// network, the server or a proxy, never about the take: the take is sent
// again. The codes are the server's (server/errors.go, tus.go, tuslock.go).
const TRANSIENT_STATUS = [408, 413, 423, 425, 429];
const TRANSIENT_CODES = ['csrf', 'cross_origin', 'consent_required', 'rate_limited', 'too_many_uploads', 'upload_locked',
  'upload_interrupted', 'incomplete_body', 'offset_mismatch', 'upload_expired', 'server_restarting', 'busy'];

// transient says whether answer a (null: the network failed) leaves the
// take to be retried. Only a definitive answer ends an upload: the receipt
// (handled before this), or the server's own refusal of the take itself (a
// 4xx with our JSON error, such as a file that is not audio or a task that
// is not the speaker's). Every network failure, 408, 413 (a proxy's limit;
// tus.js first sends smaller pieces), 423, 425, 429, every 5xx, a 2xx
// without its receipt (a cut answer), and a proxy's own 4xx page (no JSON
// error: it says nothing about the take) are transient.
function transient(a) {
  if (!a) return true;
  const code = a.body && a.body.error && a.body.error.code;
  if (code === 'take_too_large') return false; // sendForm: it can never fit
  if (a.status < 400 || a.status >= 500 || TRANSIENT_STATUS.includes(a.status)) return true;
  return !code || TRANSIENT_CODES.includes(code);
}

// retryDelay is the wait before a take's next try: BACKOFF by the number of
// failures so far, never sooner than the server's Retry-After (seconds),
// plus up to half again at random, so that a class of phones whose uploads
// a restart cut do not all come back in the same instant.
function retryDelay(attempts, retryAfterS) {
  const wait = Math.max(BACKOFF[Math.min(attempts, BACKOFF.length - 1)], (retryAfterS > 0 ? retryAfterS : 0) * 1000);
  return Math.round(wait * (1 + Math.random() / 2));
}

// sendForm posts the take as multipart, text fields first, audio last.
async function sendForm(t) {
  if (t.wav.size > 64 << 20) {
    return { status: 413, body: { error: { code: 'take_too_large', message: 'the take is larger than 64 MiB and the server has no resumable upload', message_zh: '錄音超過 64 MiB，伺服器不支援續傳' } } };
  }
  const fd = new FormData();
  fd.append('client_clip_id', t.id);
  fd.append('task_id', t.task_id);
  fd.append('noise_band', t.noise_band);
  fd.append('transcript', t.transcript || '');
  fd.append('audio', new File([t.wav], `${t.id}.wav`, { type: 'audio/wav' }));
  const r = await fetch('/api/v1/clips', { method: 'POST', body: fd, credentials: 'same-origin', headers: { 'X-CSRF-Token': S.csrf, Accept: 'application/json' } });
  let body = null;
  try { body = await r.json(); } catch (_) { /* a cut body: retried */ }
  return { status: r.status, body, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
}

// sendTus uploads through tus; a server without it falls back to the form.
async function sendTus(t) {
  if (!t.sha256) {
    t.sha256 = await sha256Hex(t.wav);
    await store.updateTake(t.id, { sha256: t.sha256 });
  }
  const a = await tus.send(t, S.csrf, (offset, length) => {
    const li = $('queue').querySelector(`[data-take-id="${t.id}"] .queue-state`);
    if (li) li.replaceChildren(...bi(`上傳中 ${Math.floor((offset / length) * 100)}%`, `uploading ${Math.floor((offset / length) * 100)}%`));
  });
  if (a.receipt) return { status: 200, body: a.receipt };
  if (a.status === 405 || (a.status === 404 && !(a.body && a.body.error && a.body.error.code !== 'not_found'))) {
    S.tus = false; // no resumable upload on this server
    return { fallback: true };
  }
  return a;
}

// ---- the receipt ---------------------------------------------------------------

function showReceipt(r, take) {
  const box = $('receipt');
  const st = STATUS[r.status] || [r.status, r.status];
  box.dataset.status = r.status;
  box.dataset.clipId = r.clip_id;
  box.className = 'receipt receipt-' + r.status;
  const kids = [
    el('p', { class: 'receipt-status' }, el('strong', {}, st[0]), ' ', en(st[1])),
    el('p', { class: 'receipt-take' }, `${(take.prompt || '').slice(0, 60)} · ${fmtNum(take.duration_s)} 秒 s`),
  ];
  const m = r.measurements;
  if (m) {
    kids.push(el('p', { class: 'receipt-measures' },
      `噪音 ${fmtNum(m.noise_floor_dbfs)} dBFS · 語音 ${fmtNum(m.speech_level_dbfs)} dBFS · 訊噪比 ${fmtNum(m.snr_db)} dB`, ' ',
      en(`noise ${fmtNum(m.noise_floor_dbfs)} dBFS · speech ${fmtNum(m.speech_level_dbfs)} dBFS · SNR ${fmtNum(m.snr_db)} dB`)));
  }
  const findings = r.findings || [];
  if (findings.length) {
    kids.push(el('ul', { class: 'findings' }, ...findings.map((f) => {
      const sev = SEVERITY[f.severity] || [f.severity, f.severity];
      // The figure and threshold as the server wrote them, in the unit of
      // the rule and in both languages ("1.21%", "低於 -55 dBFS"); a
      // transcript finding has neither.
      const figure = f.measured_text || f.threshold_text ? [el('br'), el('span', { class: 'figure' },
        `量測值 ${f.measured_text_zh || '—'} · 標準 ${f.threshold_text_zh || '—'}`, ' ',
        en(`measured ${f.measured_text || '—'} · threshold ${f.threshold_text || '—'}`))] : null;
      return el('li', { class: 'sev-' + f.severity, 'data-rule': f.rule, 'data-severity': f.severity },
        el('code', {}, f.rule), ' ', el('strong', {}, sev[0]), ' ', f.message_zh || '', el('br'),
        en(`${sev[1]}: ${f.message || ''}`), figure);
    })));
  } else {
    kids.push(el('p', {}, ...bi('自動檢查沒有發現問題。', 'The automatic checks found nothing to fix.')));
  }
  if (r.status === 'rejected') kids.push(el('p', { class: 'advice' }, ...bi('請依照上面的說明，再錄一次。', 'Please record the take again, following the notes above.')));
  box.replaceChildren(...kids);
  $('receipt-box').hidden = false;
}

// ---- recovery after a crash or a reload --------------------------------------------

async function recover() {
  let found = 0; let seconds = 0;
  for (const r of await store.recordings()) {
    if (await isHeld('dialect-rec-' + r.id)) continue; // still recording in another tab
    const parts = (await store.chunks(r.id)).map((c) => c.pcm);
    const bytes = parts.reduce((n, p) => n + p.byteLength, 0);
    const duration = bytes / 2 / (r.channels || 1) / RATE;
    const take = duration >= 0.5 ? {
      id: r.id, user: r.user, task_id: r.task_id, noise_band: r.noise_band, mode: r.mode, prompt: r.prompt, transcript: '',
      markers: r.markers || [], duration_s: duration, created_at: r.started_at, channels: r.channels || 1,
      wav: wavBlob(parts, r.channels || 1), state: 'queued', attempts: 0, next_at: 0, recovered: true,
    } : null;
    await store.finishRecording(r.id, take);
    if (take) { found++; seconds += duration; }
  }
  // Takes stopped but never sent (the tab closed before "send"): queue
  // them rather than lose them; a take keeps its id, so it is stored once.
  for (const t of await store.takes()) {
    if (await isHeld('dialect-take-' + t.id)) continue;
    if (t.state === 'draft') { await store.updateTake(t.id, { state: 'queued', recovered: true }); found++; seconds += t.duration_s; }
    else if (t.state === 'queued' && t.next_at) await store.updateTake(t.id, { next_at: 0 });
  }
  if (found) {
    say(`找回 ${found} 段中斷的錄音（共 ${fmtNum(seconds)} 秒），已排入上傳。`, `Recovered ${found} interrupted take(s) (${fmtNum(seconds)} s in all); they are queued for upload.`, 'ok');
  }
}

// ---- start ---------------------------------------------------------------------------

// CONTROLS are what takes its own keys when focused: Space and Enter press
// a button or follow a link, a field types, a select opens, the player
// plays, a scrolling box scrolls.
const CONTROLS = 'button, a[href], input, textarea, select, audio, video, summary, dialog, [role=button], [role=link], [tabindex]:not([tabindex="-1"])';

// onKey is the space-bar shortcut: start or stop recording. It acts only
// when focus is on the page itself, never on a focused control (which the
// browser then activates), never under the discard dialog, and never
// starts a take while one is not yet sent.
function onKey(ev) {
  if (ev.code !== 'Space' && ev.key !== ' ') return;
  if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
  const t = ev.target;
  if (t && t !== document.body && t !== document.documentElement && (t.isContentEditable || (t.closest && t.closest(CONTROLS)))) return;
  if ($('recorder').hidden || $('confirm-discard').open) return;
  ev.preventDefault();
  if (ev.repeat) return;
  if (S.rec) stopRecording();
  else if (S.draft) {
    say('這段錄音還沒送出：請按「送出」，或按「重錄」放棄它，才能錄下一段。',
      'This take has not been sent: press Send, or Record again to discard it, before recording the next one.', 'warn');
  } else if (!$('record').disabled) startRecording();
}

// insecure shows, before anything else, that this address cannot record:
// browsers give the microphone (and Web Locks, crypto.randomUUID, the
// AudioWorklet) only to a secure context, so without one getUserMedia is
// not even there and every step after consent would fail. It names the
// https:// address of this page (same host and path) to open instead.
function insecure() {
  if (window.isSecureContext) return false;
  const url = `https://${location.host}${location.pathname}`;
  const a = $('https-link');
  a.href = url;
  a.textContent = url;
  $('insecure').hidden = false;
  for (const id of ['consent', 'task', 'room', 'recorder']) $(id).hidden = true;
  started();
  document.body.dataset.recorderReady = 'insecure';
  return true;
}

async function main() {
  if (insecure()) {
    // The queue stays in view (empty, normally: nothing can be recorded here).
    try { await store.open(); } catch (_) { /* renderQueue shows an empty queue */ }
    await renderQueue();
    return;
  }
  setTimeout(started, 5000); // whatever happens, the queue shows
  $('consent-form').addEventListener('submit', acceptConsent);
  $('room-check-start').addEventListener('click', startRoomCheck);
  $('record').addEventListener('click', startRecording);
  $('stop').addEventListener('click', () => stopRecording());
  $('play').addEventListener('click', () => { const a = $('playback'); a.currentTime = 0; a.play().catch(() => {}); });
  $('rerecord').addEventListener('click', discardDraft);
  $('submit').addEventListener('click', submitDraft);
  $('marker').addEventListener('click', () => {
    if (!S.rec) return;
    const s = S.rec.mark();
    $('markers').append(el('li', {}, `分段 ${fmtTime(s)} `, en(`section at ${fmtTime(s)}`)));
  });
  document.addEventListener('keydown', onKey, true);
  window.addEventListener('online', () => { S.serverDown = false; renderQueue(); drain(); });
  window.addEventListener('offline', renderQueue);
  // Save what is in memory when the tab goes away; the rest is on disk.
  window.addEventListener('pagehide', () => { if (S.rec) S.rec.flush(); });
  document.addEventListener('visibilitychange', () => { if (document.hidden && S.rec) S.rec.flush(); });
  setInterval(() => { if ($('queue').querySelector('[data-state="retrying"]')) renderQueue(); }, 1000);

  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  try {
    await store.open();
    await recover();
  } catch (e) {
    say('這個瀏覽器無法在裝置上保存錄音（私密瀏覽？），請換一般視窗。', 'This browser cannot keep recordings on the device (private mode?): use a normal window.', 'error', e);
  }
  await renderQueue();
  await start();
}

// start signs the page in (GET /api/v1/me), asks for consent and profile
// when needed, and loads the task. Without the server it tries again
// later; the queue is shown and kept meanwhile.
async function start() {
  try {
    await loadMe();
  } catch (e) {
    S.serverDown = !(e instanceof APIError);
    if (e.status === 401) say('登入已過期，請重新登入。', 'Your session has ended: sign in again.', 'error');
    else say('連不上伺服器，錄音會留在這台裝置上，連線恢復後自動上傳。', 'Cannot reach the server; takes stay on this device and upload when it is back.', 'warn');
    started();
    renderQueue();
    if (e.status !== 401) setTimeout(start, 5000);
    return;
  }
  $('status-line').hidden = true;
  drain();
  if (S.me.consent_required || needsProfile(S.me.user)) await showConsent();
  await loadTask();
  document.body.dataset.recorderReady = 'true';
}

main();
