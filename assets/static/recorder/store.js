// dialect recorder: everything the page must not lose lives in IndexedDB.
//
// Database "dialect-recorder", version 1, three object stores:
//
//   takes       key id (the take's client_clip_id, a UUID made when recording
//               starts). A finished take: {id, user, task_id, noise_band, mode,
//               prompt, transcript, markers, duration_s, created_at, wav (Blob),
//               state: "draft" | "queued" | "failed", attempts, next_at,
//               error, recovered}. A take is written here when recording stops
//               and deleted only when the server has answered with its receipt
//               (2xx), or when the speaker confirms a discard in the page's
//               dialog ("record again" on a draft, "delete" on a refused take).
//               A refused take ("failed") stays until then.
//   recordings  key id (the same UUID). A recording in progress: its task and
//               format, written when recording starts.
//   chunks      key [rec, seq]. The PCM of a recording in progress, 16-bit
//               little-endian interleaved, one chunk per second, written while
//               it runs. On stop, the take is written and its recording and
//               chunks deleted in one transaction; after a crash or a reload,
//               the next page load turns the chunks into a take (recover).
//
// Transactions ask for strict durability: a write has reached the disk when
// its promise resolves.
const NAME = 'dialect-recorder';
let dbp = null;

export function open() {
  if (!dbp) {
    dbp = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('takes', { keyPath: 'id' });
        db.createObjectStore('recordings', { keyPath: 'id' });
        db.createObjectStore('chunks', { keyPath: ['rec', 'seq'] });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('IndexedDB blocked by another tab'));
    });
    dbp.catch(() => { dbp = null; });
  }
  return dbp;
}

// run runs fn(stores...) in one transaction and resolves with fn's result
// once the transaction has committed.
async function run(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: 'strict' });
    let out;
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    Promise.resolve(fn(...names.map((n) => tx.objectStore(n)))).then((v) => { out = v; }, (e) => { try { tx.abort(); } catch (_) { /* done */ } reject(e); });
  });
}

const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

const chunkRange = (id) => IDBKeyRange.bound([id, 0], [id, Infinity]);

export const takes = () => run(['takes'], 'readonly', (s) => req(s.getAll()));
export const getTake = (id) => run(['takes'], 'readonly', (s) => req(s.get(id)));
export const putTake = (t) => run(['takes'], 'readwrite', (s) => { s.put(t); });
export const deleteTake = (id) => run(['takes'], 'readwrite', (s) => { s.delete(id); });

export async function updateTake(id, patch) {
  return run(['takes'], 'readwrite', async (s) => {
    const t = await req(s.get(id));
    if (t) s.put(Object.assign(t, patch));
    return t;
  });
}

export const startRecording = (meta) => run(['recordings'], 'readwrite', (s) => { s.put(meta); });
export const putChunk = (rec, seq, pcm) => run(['chunks'], 'readwrite', (s) => { s.put({ rec, seq, pcm }); });
export const recordings = () => run(['recordings'], 'readonly', (s) => req(s.getAll()));
export const updateRecording = (meta) => run(['recordings'], 'readwrite', (s) => { s.put(meta); });

export async function chunks(id) {
  return run(['chunks'], 'readonly', (s) => req(s.getAll(chunkRange(id))));
}

// finishRecording stores the take and forgets the recording's chunks, in
// one transaction: at every instant the audio is in one place or the other.
export function finishRecording(id, take) {
  return run(['takes', 'recordings', 'chunks'], 'readwrite', (t, r, c) => {
    if (take) t.put(take);
    r.delete(id);
    c.delete(chunkRange(id));
  });
}
