package browsertest

import (
	"bytes"
	"math"
	"os"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// TestRoomCheckMatchesValidator: the speaker says a few words during the
// room check (the microphone hears speech over a known noise floor). The
// page must show the band `dialect check` gives the same audio, and a
// figure within 1 dB of it — not the mean power of the whole window, which
// read -27 dBFS "too noisy" for a -65 dBFS room. One fixture per band.
func TestRoomCheckMatchesValidator(t *testing.T) {
	cases := []struct {
		name    string
		colour  string
		noiseDB float64
		band    string
	}{
		{"room-low", wavtest.White, -65, "low"},
		{"room-medium", wavtest.Pink, -48, "medium"},
		{"room-high", wavtest.Brown, -33, "high"},
	}
	for _, c := range cases {
		t.Run(c.band, func(t *testing.T) {
			e := newEnv(t)
			// The check measures 0.5–3.5 s after the microphone opens:
			// about a second of speech in two bursts inside that window.
			wav := fixture(t, c.name, 8, c.colour, c.noiseDB, [2]float64{1.0, 0.6}, [2]float64{2.3, 0.5})
			want := checkSlice(t, wav, 0.5, 3.5)
			if want.Band != c.band {
				t.Fatalf("fixture: validate puts the window in band %s (%.1f dBFS), want %s", want.Band, want.NoiseFloorDBFS, c.band)
			}
			ctx := browser(t, wav)
			signIn(t, ctx, e)
			openRecorder(t, ctx)
			consent(t, ctx)
			band, noise := roomCheck(t, ctx)
			if band != want.Band || math.Abs(noise-want.NoiseFloorDBFS) > 1 {
				failShot(t, ctx, "room check "+c.band)
				t.Fatalf("page: band %s, %.1f dBFS; dialect check on the same audio: band %s, %.2f dBFS (want the band and within 1 dB)",
					band, noise, want.Band, want.NoiseFloorDBFS)
			}
			t.Logf("%s: page %.1f dBFS, validate %.2f dBFS (%.2f s of quiet)", c.band, noise, want.NoiseFloorDBFS, want.QuietS)
		})
	}
}

// TestRoomCheckTooLittleQuiet: talking through the whole check leaves no
// second of quiet; the page shows no figure, asks for quiet, and recording
// stays off until a check could judge the room.
func TestRoomCheckTooLittleQuiet(t *testing.T) {
	e := newEnv(t)
	wav := fixture(t, "room-talk", 8, wavtest.White, -65, [2]float64{0.2, 4.5})
	if r := checkSlice(t, wav, 0.5, 3.5); r.Enough {
		t.Fatalf("fixture: validate finds %.2f s of quiet in a window of speech", r.QuietS)
	}
	ctx := browser(t, wav)
	signIn(t, ctx, e)
	openRecorder(t, ctx)
	consent(t, ctx)
	click(t, ctx, "room-check-start")
	waitFor(t, ctx, 30*time.Second, "the room check", `document.querySelector('[data-testid=room-check]').dataset.band`)
	d := eval[map[string]string](t, ctx, `Object.assign({}, document.querySelector('[data-testid=room-check]').dataset, {text: document.querySelector('[data-testid=room-check]').innerText})`)
	if d["band"] != "unknown" || d["noiseDbfs"] != "" {
		t.Fatalf("room check with speech throughout: %v; want band unknown and no figure", d)
	}
	for _, want := range []string{"安靜", "quiet"} {
		if !bytes.Contains([]byte(d["text"]), []byte(want)) {
			t.Errorf("the page does not ask for quiet (%q missing): %q", want, d["text"])
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid=record]:not(:disabled)').length`); n != 0 {
		t.Error("record is enabled after a room check that could not judge the room")
	}
}

// checkSlice runs the validator, as `dialect check` does, on the part of a
// fixture between from and to seconds.
func checkSlice(t *testing.T, path string, from, to float64) validate.Room {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const sr, hdr = 16000, 44
	pcm := b[hdr+int(from*sr)*2 : hdr+int(to*sr)*2]
	x := make([]float64, len(pcm)/2)
	for i := range x {
		x[i] = float64(int16(uint16(pcm[2*i])|uint16(pcm[2*i+1])<<8)) / 32768
	}
	wav := wavtest.Encode(wavtest.PCM16, x)
	rep, err := validate.WAV(bytes.NewReader(wav), int64(len(wav)), validate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return validate.RoomOf(rep, nil)
}
