// dialect transcription drafts on this device (IndexedDB).
//
// Database "dialect-transcribe", version 1, one object store:
//
//   drafts   key clip (the clip id). {clip, segments, cursor, version, synced,
//            saved_at}: version is the server draft version the local copy is
//            based on; synced is true once the server has stored this very
//            copy. A draft edited offline stays here (synced: false) until a
//            save reaches the server.
const NAME = 'dialect-transcribe';
let dbp = null;

function open() {
  if (!dbp) {
    dbp = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('drafts', { keyPath: 'clip' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('IndexedDB blocked by another tab'));
    });
    dbp.catch(() => { dbp = null; });
  }
  return dbp;
}

async function run(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(['drafts'], mode, { durability: 'strict' });
    let out;
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    const r = fn(tx.objectStore('drafts'));
    if (r) r.onsuccess = () => { out = r.result; };
  });
}

export const get = (clip) => run('readonly', (s) => s.get(clip));
export const put = (draft) => run('readwrite', (s) => s.put(draft));
export const del = (clip) => run('readwrite', (s) => s.delete(clip));
