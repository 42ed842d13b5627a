// dialect recorder: a small tus 1.0.0 client for long takes (server/tus.go).
// Creation is idempotent on the take's client_clip_id, so a retry after a
// crash, a reload or a lost answer finds the same upload and its offset:
// only the missing bytes are sent again. The take itself stays in
// IndexedDB until the receipt arrives (store.js).
const CHUNK = 8 << 20; // bytes per PATCH

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
export async function send(t, csrf, onProgress) {
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
    const chunk = t.wav.slice(offset, Math.min(offset + CHUNK, length));
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
    if (r.status !== 204) return answer(r);
    offset = Number(r.headers.get('Upload-Offset'));
    onProgress(offset, length);
  }
  const g = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (g.ok) return { receipt: await g.json() };
  return answer(g);
}
