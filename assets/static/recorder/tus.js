// dialect recorder: a small tus 1.0.0 client for long takes (server/tus.go).
// Creation is idempotent on the take's client_clip_id, so a retry after a
// crash, a reload or a lost answer finds the same upload and its offset:
// only the missing bytes are sent again. The take itself stays in
// IndexedDB until the receipt arrives (store.js).
//
// Chunk size: 768 KiB per PATCH, under nginx's default client_max_body_size
// (1 MiB), so a proxy left at its defaults passes long takes (deploy/ and
// the README's "Behind a reverse proxy"). A proxy with a smaller limit
// answers 413 (often an HTML page, not our JSON): the chunk is halved and
// the same bytes sent again, down to MIN_CHUNK; the size that passed is
// kept for the rest of the page's life. A proxy that cuts the body instead
// (Caddy's request_body answers 502 and the server keeps what arrived)
// is found by HEAD: the upload goes on from the new offset, halved too.
export const CHUNK = 768 << 10;
export const MIN_CHUNK = 256 << 10;
let learned = CHUNK;

function b64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export async function sha256Hex(blob) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Result of send: {receipt} on success, or {status, body, retryAfter} for
// an answer that is not one. Network errors throw.
async function answer(r) {
  let body = null;
  try { body = await r.json(); } catch (_) { /* no JSON */ }
  return { status: r.status, body, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
}

// send uploads take t (with t.sha256 set) and returns its receipt.
// onProgress(offset, length) reports the bytes the server holds.
// opts.chunk, if given, is the first chunk size (else the page's).
export async function send(t, csrf, onProgress, opts = {}) {
  let chunkSize = opts.chunk || learned;
  const length = t.wav.size;
  const base = { 'Tus-Resumable': '1.0.0', 'X-CSRF-Token': csrf };
  const meta = [['client_clip_id', t.id], ['task_id', t.task_id], ['noise_band', t.noise_band], ['sha256', t.sha256],
    ['transcript', t.transcript || ''], ['filetype', 'audio/wav']]
    .filter(([, v]) => v !== '').map(([k, v]) => `${k} ${b64(v)}`).join(',');
  let r = await fetch('/api/v1/uploads', {
    method: 'POST', credentials: 'same-origin',
    headers: { ...base, 'Upload-Length': String(length), 'Upload-Metadata': meta },
  });
  if (r.status !== 201) return answer(r);
  const url = r.headers.get('Location');
  let offset = Number(r.headers.get('Upload-Offset') || 0);
  onProgress(offset, length);
  for (let tries = 0; offset < length || tries === 0; tries++) {
    if (offset >= length) {
      // Everything is there: finish it again if an earlier finish failed.
      const g = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (g.ok) return { receipt: await g.json() };
      const a = await answer(g);
      if (!(a.body && a.body.error && a.body.error.code === 'upload_incomplete')) return a;
    }
    const chunk = t.wav.slice(offset, Math.min(offset + chunkSize, length));
    r = await fetch(url, {
      method: 'PATCH', credentials: 'same-origin', body: chunk,
      headers: { ...base, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    });
    if (r.status === 409) {
      // Our idea of the offset is stale: ask the server.
      const h = await fetch(url, { method: 'HEAD', credentials: 'same-origin', headers: { 'Tus-Resumable': '1.0.0' } });
      if (!h.ok) return answer(h);
      offset = Number(h.headers.get('Upload-Offset'));
      continue;
    }
    if (r.status === 413 && chunkSize > MIN_CHUNK && chunk.size > MIN_CHUNK) {
      // Too large for the server or a proxy in front of it: halve.
      chunkSize = Math.max(MIN_CHUNK, Math.floor(Math.min(chunkSize, chunk.size) / 2));
      learned = Math.min(learned, chunkSize);
      continue;
    }
    if (r.status === 413) {
      const a = await answer(r);
      if (!(a.body && a.body.error)) {
        // Not our JSON: a proxy refuses even MIN_CHUNK.
        a.body = { error: {
          code: 'proxy_too_large',
          message: `a proxy in front of the server refuses even ${MIN_CHUNK >> 10} KiB pieces of the upload (413): ask the administrator to raise its body size limit`,
          message_zh: `伺服器前的代理程式連 ${MIN_CHUNK >> 10} KiB 的上傳片段都拒收（413），請管理者調高它的上傳大小限制`,
        } };
      }
      return a;
    }
    if (r.status >= 500) {
      // A proxy may cut a body over its limit and answer 502 (Caddy's
      // request_body does) while the server kept what reached it: ask
      // where the upload stands, and go on from there in smaller pieces.
      // A server that is stopping (503 server_restarting) is often gone
      // by now: then the 5xx answer stands, and its Retry-After with it.
      const h = await fetch(url, { method: 'HEAD', credentials: 'same-origin', headers: { 'Tus-Resumable': '1.0.0' } }).catch(() => null);
      const now = h && h.ok ? Number(h.headers.get('Upload-Offset')) : offset;
      if (now > offset) {
        if (now - offset < chunk.size) {
          chunkSize = Math.max(MIN_CHUNK, Math.floor(Math.min(chunkSize, chunk.size) / 2));
          learned = Math.min(learned, chunkSize);
        }
        offset = now;
        onProgress(offset, length);
        continue;
      }
    }
    if (r.status !== 204) return answer(r);
    offset = Number(r.headers.get('Upload-Offset'));
    onProgress(offset, length);
  }
  const g = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (g.ok) return { receipt: await g.json() };
  return answer(g);
}
