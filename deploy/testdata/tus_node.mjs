// Runs the recorder's own tus client (assets/static/recorder/tus.js) under
// Node against a real server, as the recorder page does, for
// deploy/body_limit_test.go. Node 20 has fetch, Blob, TextEncoder, btoa and
// crypto.subtle, which is all tus.js uses; this wrapper gives fetch the
// page's origin and session cookie, and logs every PATCH.
//
//   node tus_node.mjs '{"tus": "/abs/tus.js", "base": "https://127.0.0.1:PORT",
//     "cookie": "__Host-sid=…", "csrf": "…", "wav": "/abs/take.wav",
//     "take": {"id": "…", "task_id": "…", "noise_band": "low"}, "chunk": 8388608}'
//
// It prints one JSON line: {"patches": [{"size", "status", "type"}], "result": …}.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const args = JSON.parse(process.argv[2]);
const patches = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init = {}) => {
  const headers = { ...(init.headers || {}), Cookie: args.cookie };
  const r = await realFetch(new URL(url, args.base), { ...init, headers });
  if (init.method === 'PATCH') patches.push({ size: init.body.size, status: r.status, type: r.headers.get('content-type') || '' });
  return r;
};

const tus = await import(pathToFileURL(args.tus).href);
const t = { ...args.take, wav: new Blob([readFileSync(args.wav)]) };
t.sha256 = await tus.sha256Hex(t.wav);
let result;
try {
  result = await tus.send(t, args.csrf, () => {}, args.chunk ? { chunk: args.chunk } : {});
} catch (e) {
  result = { thrown: String(e) };
}
console.log(JSON.stringify({ patches, result, chunk: tus.CHUNK, min_chunk: tus.MIN_CHUNK }));
