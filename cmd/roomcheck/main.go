//go:build js && wasm

// Command roomcheck is the validator's noise-floor estimator compiled to
// WebAssembly for the recorder page's room check. The page and the server
// must agree on what "noise" means: the page used to average all power in
// the window, so a speaker who said a word during the check read as a noisy
// room, while the validator measured the same room 40 dB quieter in the clip
// that followed. Running validate itself in the browser gives one definition,
// and keeps working when the network does not (nothing is posted).
//
// Built by `make assets` into assets/static/recorder/roomcheck.wasm;
// TestRoomcheckWasmCurrent (cmd/dialect) fails when the committed file is not
// what this source builds.
package main

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"syscall/js"

	"github.com/dialect-corpus/dialect/validate"
)

func main() {
	js.Global().Set("dialectRoomCheck", js.FuncOf(roomCheck))
	// The page waits for this flag before it offers the check.
	js.Global().Set("dialectRoomCheckReady", true)
	select {}
}

// roomCheck(pcm Uint8Array, sampleRate number[, lowMax, mediumMax, maxNoise
// number]) → JSON string. pcm holds mono 16-bit little-endian samples: the
// very bytes a take carries, so the room is measured on what the server will
// measure. The optional limits are the project's band edges in dBFS.
// encoding/json is left out on purpose: it doubles the module (4.8 MB → 2.9).
func roomCheck(_ js.Value, args []js.Value) any {
	if len(args) < 2 {
		return errJSON("roomCheck(pcm, sampleRate[, lowMax, mediumMax, maxNoise])")
	}
	pcm := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(pcm, args[0])
	cfg := validate.DefaultConfig()
	for i, p := range []*float64{&cfg.Low.MaxNoiseDBFS, &cfg.Medium.MaxNoiseDBFS, &cfg.MaxNoiseDBFS} {
		if len(args) > 2+i && args[2+i].Type() == js.TypeNumber {
			*p = args[2+i].Float()
		}
	}
	cfg.Medium.MinNoiseDBFS, cfg.High.MinNoiseDBFS, cfg.High.MaxNoiseDBFS = cfg.Low.MaxNoiseDBFS, cfg.Medium.MaxNoiseDBFS, cfg.MaxNoiseDBFS
	wav := wavBytes(pcm, args[1].Int())
	rep, err := validate.WAV(bytes.NewReader(wav), int64(len(wav)), validate.Options{Config: &cfg})
	if err != nil {
		return errJSON(err.Error())
	}
	r := validate.RoomOf(rep, &cfg)
	b := []byte(`{"noise_floor_dbfs":`)
	b = strconv.AppendFloat(b, r.NoiseFloorDBFS, 'f', 2, 64)
	b = append(b, `,"band":`...)
	b = strconv.AppendQuote(b, r.Band)
	b = append(b, `,"quiet_s":`...)
	b = strconv.AppendFloat(b, r.QuietS, 'f', 3, 64)
	b = append(b, `,"min_quiet_s":`...)
	b = strconv.AppendFloat(b, r.MinQuietS, 'f', -1, 64)
	b = append(b, `,"enough":`...)
	b = strconv.AppendBool(b, r.Enough)
	b = append(b, `,"duration_s":`...)
	b = strconv.AppendFloat(b, r.DurationS, 'f', 3, 64)
	b = append(b, `,"estimator":`...)
	b = strconv.AppendQuote(b, r.Estimator)
	return string(append(b, '}'))
}

func errJSON(msg string) string { return `{"error":` + strconv.Quote(msg) + `}` }

// wavBytes wraps mono 16-bit PCM in a RIFF/WAVE header.
func wavBytes(pcm []byte, rate int) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) } // bytes.Buffer writes cannot fail
	b.WriteString("RIFF")
	le(uint32(36 + len(pcm)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(rate))
	le(uint32(rate * 2))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(len(pcm)))
	b.Write(pcm)
	return b.Bytes()
}
