// dialect recorder: the microphone, the room check and the WAV encoder.
//
// The microphone goes into an AudioContext running at 16 kHz (the browser
// resamples), through an AudioWorkletNode whose input has channelCount 1
// with channelCountMode "explicit": the graph down-mixes the device's
// channels to one ((L+R)/2 for stereo). The worklet (worklet.js) posts 100 ms
// blocks of float samples; the page turns them into 16-bit PCM. No library,
// no MediaRecorder, no codec: what the browser hears is what is stored.

export const RATE = 16000;

// Mic is an open microphone. Listeners get every 100 ms block: an array of
// Float32Array, one per channel.
export class Mic {
  static async open(channels = 1) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        echoCancellation: false, noiseSuppression: false, autoGainControl: false,
        channelCount: { ideal: channels },
      },
      video: false,
    });
    const mic = new Mic();
    try {
      await mic.init(stream, channels);
    } catch (e) {
      stream.getTracks().forEach((t) => t.stop());
      throw e;
    }
    return mic;
  }

  async init(stream, channels) {
    this.stream = stream;
    this.track = stream.getAudioTracks()[0];
    const have = (this.track.getSettings && this.track.getSettings().channelCount) || 1;
    this.channels = channels === 2 && have >= 2 ? 2 : 1;
    this.ctx = new AudioContext({ sampleRate: RATE, latencyHint: 'interactive' });
    await this.ctx.audioWorklet.addModule('/assets/recorder/worklet.js');
    this.source = this.ctx.createMediaStreamSource(stream);
    this.node = new AudioWorkletNode(this.ctx, 'dialect-capture', {
      numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
      channelCount: this.channels, channelCountMode: 'explicit',
      channelInterpretation: this.channels === 1 ? 'speakers' : 'discrete',
    });
    this.listeners = new Set();
    this.node.port.onmessage = (ev) => { for (const f of this.listeners) f(ev.data); };
    this.source.connect(this.node);
    // The node must be pulled by the graph; its output is silence.
    this.node.connect(this.ctx.destination);
    if (this.ctx.state !== 'running') await this.ctx.resume();
    this.sampleRate = this.ctx.sampleRate;
    if (this.sampleRate !== RATE) throw new Error(`the browser runs audio at ${this.sampleRate} Hz, not ${RATE}`);
  }

  settings() { return this.track.getSettings ? this.track.getSettings() : {}; }

  listen(f) { this.listeners.add(f); return () => this.listeners.delete(f); }

  close() {
    this.stream.getTracks().forEach((t) => t.stop());
    this.ctx.close();
  }
}

// mono averages the channels of a block.
export function mono(chans) {
  if (chans.length === 1) return chans[0];
  const out = new Float32Array(chans[0].length);
  for (const c of chans) for (let i = 0; i < out.length; i++) out[i] += c[i] / chans.length;
  return out;
}

export const dbfs = (power) => (power > 1e-12 ? 10 * Math.log10(power) : -120);

// blockLevel is the RMS level of a block in dBFS (a full-scale square wave
// is 0 dBFS) and its peak |x|.
export function blockLevel(chans) {
  let p = 0; let peak = 0; let n = 0;
  for (const c of chans) {
    for (let i = 0; i < c.length; i++) {
      const v = c[i];
      p += v * v;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
    }
    n += c.length;
  }
  return { dbfs: dbfs(n ? p / n : 0), peak };
}

// The room check runs the validator itself: validate/ compiled to
// WebAssembly (cmd/roomcheck, built by `make assets`). The page used to
// average all the power in its window, so a word spoken during the check read
// as a noisy room while the server measured the same room 40 dB quieter in
// the clip that followed. Now both run one estimator on the same 16-bit
// samples, and the check needs no network once the page has loaded.
let engine = null;

// loadRoomCheck fetches and starts the estimator once; the page calls it on
// load so the check is ready (and cached) before the connection drops.
export function loadRoomCheck() {
  if (!engine) {
    engine = (async () => {
      await import('/assets/vendor/go/wasm_exec.js');
      const go = new globalThis.Go();
      const resp = await fetch('/assets/recorder/roomcheck.wasm');
      if (!resp.ok) throw new Error(`roomcheck.wasm: HTTP ${resp.status}`);
      // Compiled while it downloads where the browser can (application/wasm).
      const { instance } = WebAssembly.instantiateStreaming
        ? await WebAssembly.instantiateStreaming(resp, go.importObject)
        : await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
      go.run(instance); // main registers dialectRoomCheck, then blocks
      if (!globalThis.dialectRoomCheckReady) throw new Error('roomcheck.wasm did not start');
      return globalThis.dialectRoomCheck;
    })();
    engine.catch(() => { engine = null; }); // a later call tries again
  }
  return engine;
}

// measureRoom runs the validator on mono float samples at RATE and returns
// {noise_floor_dbfs, band, quiet_s, min_quiet_s, enough, duration_s}.
// limits are the project's band edges in dBFS ({low_max, medium_max,
// max}, as the task carries them) or null for the defaults.
export async function measureRoom(x, limits = null) {
  const check = await loadRoomCheck();
  const pcm = toPCM16([x]);
  const l = limits || {};
  const out = JSON.parse(check(new Uint8Array(pcm.buffer), RATE, l.low_max, l.medium_max, l.max));
  if (out.error) throw new Error(out.error);
  return out;
}

// roomCheck listens for seconds (after a settling half second) and measures
// what it heard with measureRoom.
export async function roomCheck(mic, seconds = 3, limits = null) {
  await loadRoomCheck(); // fail before asking for quiet, not after
  const buf = await new Promise((resolve) => {
    const skip = Math.round(RATE * 0.5);
    const want = Math.round(RATE * seconds);
    const b = new Float32Array(want);
    let seen = 0; let n = 0;
    const stop = mic.listen((chans) => {
      let x = mono(chans);
      if (seen < skip) {
        const k = Math.min(skip - seen, x.length);
        seen += k;
        x = x.subarray(k);
      }
      const k = Math.min(want - n, x.length);
      b.set(x.subarray(0, k), n);
      n += k;
      if (n >= want) {
        stop();
        resolve(b);
      }
    });
  });
  return measureRoom(buf, limits);
}

// toPCM16 converts float samples of each channel to interleaved 16-bit.
export function toPCM16(chans) {
  const n = chans[0].length;
  const out = new Int16Array(n * chans.length);
  for (let c = 0; c < chans.length; c++) {
    const x = chans[c];
    for (let i = 0; i < n; i++) {
      let v = Math.round(x[i] * 32768);
      if (v > 32767) v = 32767; else if (v < -32768) v = -32768;
      out[i * chans.length + c] = v;
    }
  }
  return out;
}

// wavHeader is the 44-byte header of a PCM WAV file holding dataBytes.
export function wavHeader(dataBytes, channels = 1, rate = RATE, bits = 16) {
  const b = new ArrayBuffer(44);
  const v = new DataView(b);
  const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  const block = channels * bits / 8;
  str(0, 'RIFF'); v.setUint32(4, 36 + dataBytes, true); str(8, 'WAVE');
  str(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, channels, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * block, true); v.setUint16(32, block, true); v.setUint16(34, bits, true);
  str(36, 'data'); v.setUint32(40, dataBytes, true);
  return b;
}

// wavBlob makes a WAV file of PCM parts (ArrayBuffers or typed arrays).
export function wavBlob(parts, channels = 1) {
  const bytes = parts.reduce((n, p) => n + p.byteLength, 0);
  return new Blob([wavHeader(bytes, channels), ...parts], { type: 'audio/wav' });
}
