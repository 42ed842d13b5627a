package validate

// Room is what the recorder's room check shows: the noise floor of a few
// seconds of the room, measured by the same estimator as a clip, and the
// band it falls in. A speaker who talks through the check leaves too little
// quiet to judge; then Enough is false and the page asks for quiet instead
// of printing a figure that would mislead.
type Room struct {
	NoiseFloorDBFS float64 `json:"noise_floor_dbfs"`
	// Band is low, medium, high or too_noisy (Config's band limits).
	Band string `json:"band"`
	// QuietS is how long the estimator judged non-speech; MinQuietS is
	// what it needs to judge (spec: a second or more holds no speech).
	QuietS    float64 `json:"quiet_s"`
	MinQuietS float64 `json:"min_quiet_s"`
	Enough    bool    `json:"enough"`
	DurationS float64 `json:"duration_s"`
	Estimator string  `json:"estimator"`
}

// MinRoomQuietS is the non-speech a room check needs before its figure means
// anything: the accuracy bar of spec/audio-checks.md holds when a second or
// more of the clip holds no speech.
const MinRoomQuietS = 1.0

// RoomOf reads a room check's figures from the report of its samples.
func RoomOf(rep *Report, cfg *Config) Room {
	if cfg == nil {
		def := DefaultConfig()
		cfg = &def
	}
	m := rep.Measurements
	r := Room{MinQuietS: MinRoomQuietS, Estimator: Estimator}
	if m == nil {
		return r
	}
	r.NoiseFloorDBFS = m.NoiseFloorDBFS
	r.Band = cfg.bandOf(m.NoiseFloorDBFS)
	r.QuietS = m.NonSpeechS
	r.DurationS = rep.Format.DurationS
	r.Enough = m.NonSpeechS >= MinRoomQuietS
	return r
}
