package release

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// indexFiles builds the format's index files. Every file lists every
// utterance, sorted by utterance id (byte order, as LC_ALL=C sort).
func indexFiles(f Format, audioDir string, m *Meta, utts []*Utterance) map[string][]byte {
	switch f {
	case Kaldi:
		return kaldiFiles(audioDir, utts)
	case HuggingFace:
		return map[string][]byte{"metadata.csv": hfMetadata(audioDir, utts)}
	case NeMo:
		return map[string][]byte{"manifest.json": nemoManifest(audioDir, utts)}
	case CommonVoice:
		return cvFiles(m, utts)
	}
	return nil
}

// kaldiFiles is a Kaldi data directory (egs/*/s5/data/<set>): wav.scp,
// text, utt2spk, spk2utt, utt2dur, plus utt2dialect and utt2noise in the
// same two-column form. The second column of utt2* files is one token:
// whitespace inside a value becomes "_", an empty value "unknown".
func kaldiFiles(audioDir string, utts []*Utterance) map[string][]byte {
	if segmented(utts) {
		return kaldiSegmentedFiles(audioDir, utts)
	}
	var scp, text, u2s, dur, dia, noise bytes.Buffer
	spk := map[string][]string{}
	for _, u := range utts {
		id := u.ID()
		fmt.Fprintf(&scp, "%s %s/%s.wav\n", id, audioDir, id)
		if t := oneLine(u.Transcript); t != "" {
			fmt.Fprintf(&text, "%s %s\n", id, t)
		} else {
			fmt.Fprintf(&text, "%s\n", id)
		}
		fmt.Fprintf(&u2s, "%s %s\n", id, u.Speaker)
		fmt.Fprintf(&dur, "%s %s\n", id, seconds(u.DurationS))
		fmt.Fprintf(&dia, "%s %s\n", id, token(u.DialectRegion))
		fmt.Fprintf(&noise, "%s %s\n", id, token(u.NoiseBand))
		spk[u.Speaker] = append(spk[u.Speaker], id)
	}
	var s2u bytes.Buffer
	for _, s := range sortedKeys(spk) {
		fmt.Fprintf(&s2u, "%s %s\n", s, strings.Join(spk[s], " "))
	}
	return map[string][]byte{"wav.scp": scp.Bytes(), "text": text.Bytes(), "utt2spk": u2s.Bytes(),
		"spk2utt": s2u.Bytes(), "utt2dur": dur.Bytes(), "utt2dialect": dia.Bytes(), "utt2noise": noise.Bytes()}
}

// kaldiSegmentedFiles is the Kaldi data directory of a release with
// transcribed recordings. wav.scp is then keyed by recording: the clip's
// utterance id (Utterance.ID), or one id per channel of a transcribed
// multi-channel recording (KaldiChannelSCP). `segments` cuts the
// utterances out of the recordings: a transcribed recording's utterances
// are its segments (SegmentID, KaldiSegments), any other clip is one
// utterance spanning the whole file whose id is the recording's. text,
// utt2spk, spk2utt, utt2dur and the other utt2* files are keyed by those
// utterance ids, and reco2dur gives each recording's length, so
// validate_data_dir.sh's rules hold: every file sorted and unique, the
// recordings of `segments` exactly those of wav.scp (and reco2dur), the
// utterances of `segments` exactly those of text and utt2spk, and
// 0 <= start < end <= the recording's duration.
func kaldiSegmentedFiles(audioDir string, utts []*Utterance) map[string][]byte {
	type row struct{ key, line string }
	files := map[string][]row{}
	add := func(file, key, format string, a ...any) {
		files[file] = append(files[file], row{key, fmt.Sprintf(format, a...)})
	}
	// addLines adds each line of b, keyed by its first field.
	addLines := func(file string, b []byte) {
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if l != "" {
				key, _, _ := strings.Cut(strings.TrimSuffix(l, "\n"), " ")
				files[file] = append(files[file], row{key, l})
			}
		}
	}
	spk := map[string][]string{}
	for _, u := range utts {
		id, path := u.ID(), audioDir+"/"+u.ID()+".wav"
		perUtt := func(utt string, d float64) {
			spk[u.Speaker] = append(spk[u.Speaker], utt)
			add("utt2spk", utt, "%s %s\n", utt, u.Speaker)
			add("utt2dur", utt, "%s %s\n", utt, seconds(d))
			add("utt2dialect", utt, "%s %s\n", utt, token(u.DialectRegion))
			add("utt2noise", utt, "%s %s\n", utt, token(u.NoiseBand))
		}
		if len(u.Segments) == 0 {
			d := recDuration(u)
			add("wav.scp", id, "%s %s\n", id, path)
			add("reco2dur", id, "%s %s\n", id, secs(d))
			add("segments", id, "%s %s 0.000 %s\n", id, id, secs(d))
			if t := oneLine(u.Transcript); t != "" {
				add("text", id, "%s %s\n", id, t)
			} else {
				add("text", id, "%s\n", id)
			}
			perUtt(id, d)
			continue
		}
		r := u.recording()
		if r.Channels > 1 {
			addLines("wav.scp", []byte(KaldiChannelSCP(&r, path)))
		} else {
			add("wav.scp", id, "%s %s\n", id, path)
		}
		segs, ids := sortedSegments(&r)
		recs := map[string]bool{}
		for i, s := range segs {
			perUtt(ids[i], round3(s.End)-round3(s.Start))
			if rec := KaldiRecordingID(&r, s.Channel); !recs[rec] {
				recs[rec] = true
				add("reco2dur", rec, "%s %s\n", rec, secs(r.DurationS))
			}
		}
		segments, text := KaldiSegments([]Recording{r})
		addLines("segments", segments)
		addLines("text", text)
	}
	out := map[string][]byte{}
	for name, rows := range files {
		slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.key, b.key) })
		var b bytes.Buffer
		for _, r := range rows {
			b.WriteString(r.line)
		}
		out[name] = b.Bytes()
	}
	var s2u bytes.Buffer
	for _, s := range sortedKeys(spk) {
		slices.Sort(spk[s])
		fmt.Fprintf(&s2u, "%s %s\n", s, strings.Join(spk[s], " "))
	}
	out["spk2utt"] = s2u.Bytes()
	return out
}

// hfMetadata is the metadata.csv of a Hugging Face audiofolder: file_name
// (relative to the CSV) first, then one column per feature.
func hfMetadata(audioDir string, utts []*Utterance) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"file_name", "utterance_id", "speaker_id", "transcription", "duration_s", "noise_band",
		"dialect_region", "age_band", "gender", "mode"})
	for _, u := range utts {
		_ = w.Write(cells(audioDir+"/"+u.ID()+".wav", u.ID(), u.Speaker, u.Transcript, seconds(u.DurationS),
			u.NoiseBand, u.DialectRegion, u.AgeBand, u.Gender, u.Mode))
	}
	w.Flush()
	return b.Bytes()
}

// nemoLine is one line of a NeMo manifest; the field order is fixed.
type nemoLine struct {
	AudioFilepath string  `json:"audio_filepath"`
	Duration      float64 `json:"duration"`
	Text          string  `json:"text"`
	UtteranceID   string  `json:"utterance_id"`
	Speaker       string  `json:"speaker"`
	NoiseBand     string  `json:"noise_band"`
	DialectRegion string  `json:"dialect_region"`
	AgeBand       string  `json:"age_band"`
	Gender        string  `json:"gender"`
}

// nemoManifest is NeMo's JSON-lines manifest (audio_filepath relative to
// the manifest, duration in seconds, text).
func nemoManifest(audioDir string, utts []*Utterance) []byte {
	var b bytes.Buffer
	for _, u := range utts {
		j, _ := json.Marshal(nemoLine{AudioFilepath: audioDir + "/" + u.ID() + ".wav", Duration: round3(u.DurationS),
			Text: oneLine(u.Transcript), UtteranceID: u.ID(), Speaker: u.Speaker, NoiseBand: u.NoiseBand,
			DialectRegion: u.DialectRegion, AgeBand: u.AgeBand, Gender: u.Gender})
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// cvFiles are Common Voice's validated.tsv (path relative to clips/) and
// clip_durations.tsv. Every clip in a release passed human review, so each
// has one up vote and no down vote.
func cvFiles(m *Meta, utts []*Utterance) map[string][]byte {
	var v, d bytes.Buffer
	writeTSV(&v, "client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accents", "locale", "segment")
	writeTSV(&d, "clip", "duration[ms]")
	for _, u := range utts {
		name := u.ID() + ".wav"
		writeTSV(&v, cells(u.Speaker, name, u.Transcript, "1", "0", u.AgeBand, u.Gender, u.DialectRegion, m.Dialect, "")...)
		writeTSV(&d, cells(name, strconv.FormatInt(int64(math.Round(u.DurationS*1000)), 10))...)
	}
	return map[string][]byte{"validated.tsv": v.Bytes(), "clip_durations.tsv": d.Bytes()}
}

// speakersTSV lists each pseudonymous speaker once, with the profile the
// clips were released under.
func speakersTSV(utts []*Utterance) []byte {
	type agg struct {
		first *Utterance
		n     int
		secs  float64
	}
	by := map[string]*agg{}
	for _, u := range utts {
		a := by[u.Speaker]
		if a == nil {
			a = &agg{first: u}
			by[u.Speaker] = a
		}
		a.n++
		a.secs += u.DurationS
	}
	var b bytes.Buffer
	writeTSV(&b, "speaker_id", "dialect_region", "age_band", "gender", "utterances", "duration_s")
	for _, s := range sortedKeys(by) {
		a := by[s]
		writeTSV(&b, cells(s, a.first.DialectRegion, a.first.AgeBand, a.first.Gender, strconv.Itoa(a.n), seconds(a.secs))...)
	}
	return b.Bytes()
}

func writeTSV(b *bytes.Buffer, cols ...string) {
	b.WriteString(strings.Join(cols, "\t"))
	b.WriteByte('\n')
}

// cells escapes every value for a CSV or TSV cell.
func cells(vals ...string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = Cell(v)
	}
	return out
}

// Cell makes s safe as a CSV or TSV cell that a spreadsheet may open: it
// becomes one line (tabs, CR, LF and other control characters turn into
// spaces, runs of spaces into one, ends trimmed), and a value that would
// then start with = + - or @ gets a leading apostrophe, so no spreadsheet
// reads it as a formula (OWASP "CSV injection"; reliability.md T-12, Z-06).
func Cell(s string) string {
	s = oneLine(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// oneLine puts s on one line: every control or separator character
// (including U+2028, U+2029 and invalid UTF-8) becomes a space, runs of
// white space collapse to one, and the ends are trimmed.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// token is a value as one Kaldi field: no white space, never empty.
func token(s string) string {
	t := strings.Join(strings.Fields(oneLine(s)), "_")
	if t == "" {
		return "unknown"
	}
	return t
}

func seconds(s float64) string { return strconv.FormatFloat(round3(s), 'f', 3, 64) }

func round3(s float64) float64 { return math.Round(s*1000) / 1000 }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
