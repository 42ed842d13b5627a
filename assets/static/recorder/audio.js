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

// noiseFloor measures samples (mono, RATE) as validate does for the noise
// floor (spec/audio-checks.md): DC removed, 20 ms frames with a 10 ms hop,
// each frame's mean power, and the floor is the mean power of the frames,
// in dBFS. The room check asks for silence, so every frame counts.
export function noiseFloor(x, rate = RATE) {
  const frame = Math.round(rate * 0.02);
  const hop = Math.round(rate * 0.01);
  if (x.length < frame) return -120;
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let sum = 0; let frames = 0;
  for (let s = 0; s + frame <= x.length; s += hop) {
    let p = 0;
    for (let i = s; i < s + frame; i++) { const v = x[i] - mean; p += v * v; }
    sum += p / frame;
    frames++;
  }
  return dbfs(sum / frames);
}

// bandOf names the noise band of a floor (spec/audio-checks.md A012).
export function bandOf(floor) {
  if (floor < -55) return 'low';
  if (floor < -40) return 'medium';
  if (floor < -25) return 'high';
  return 'too_noisy';
}

// roomCheck listens for seconds (after a settling half second) and returns
// {noise_dbfs, band}.
export function roomCheck(mic, seconds = 3) {
  return new Promise((resolve) => {
    const skip = Math.round(RATE * 0.5);
    const want = Math.round(RATE * seconds);
    const buf = new Float32Array(want);
    let seen = 0; let n = 0;
    const stop = mic.listen((chans) => {
      let x = mono(chans);
      if (seen < skip) {
        const k = Math.min(skip - seen, x.length);
        seen += k;
        x = x.subarray(k);
      }
      const k = Math.min(want - n, x.length);
      buf.set(x.subarray(0, k), n);
      n += k;
      if (n >= want) {
        stop();
        const floor = noiseFloor(buf);
        resolve({ noise_dbfs: floor, band: bandOf(floor) });
      }
    });
  });
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
