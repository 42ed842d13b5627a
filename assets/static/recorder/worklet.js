// dialect recorder: the capture worklet. It runs on the audio thread of an
// AudioContext at 16 kHz, gets the microphone already down-mixed by the
// graph (channelCount 1, "speakers" interpretation: (L+R)/2), and posts the
// samples to the page in blocks of 100 ms. It writes nothing to its output.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate / 10); // 100 ms
    this.bufs = null;
    this.n = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    if (!this.bufs || this.bufs.length !== input.length) {
      this.bufs = input.map(() => new Float32Array(this.size));
      this.n = 0;
    }
    const len = input[0].length;
    let off = 0;
    while (off < len) {
      const k = Math.min(len - off, this.size - this.n);
      for (let c = 0; c < input.length; c++) this.bufs[c].set(input[c].subarray(off, off + k), this.n);
      this.n += k;
      off += k;
      if (this.n === this.size) {
        this.port.postMessage(this.bufs, this.bufs.map((b) => b.buffer));
        this.bufs = input.map(() => new Float32Array(this.size));
        this.n = 0;
      }
    }
    return true;
  }
}

registerProcessor('dialect-capture', Capture);
