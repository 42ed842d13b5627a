package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// audioRules are the automatic audio checks of spec/audio-checks.md.
var audioRules = [][2]string{
	{"A001", "readable RIFF/WAVE file"}, {"A002", "allowed encoding"}, {"A003", "allowed sample rate"},
	{"A004", "channels for the mode"}, {"A005", "duration for the mode"}, {"A006", "not truncated"},
	{"A007", "clipping"}, {"A008", "DC offset"}, {"A009", "speech present"}, {"A010", "not too quiet"},
	{"A011", "signal-to-noise ratio for the band"}, {"A012", "noise floor within the declared band"},
	{"A013", "leading and trailing silence (prompted)"}, {"A014", "dropouts"}, {"A015", "fake stereo"},
}

// layoutNotes describes each format's files for the datasheet.
var layoutNotes = map[Format]string{
	Kaldi: "A Kaldi data directory. `wav/<utt>.wav` holds the audio; `wav.scp` (`<utt> wav/<utt>.wav`, relative to this directory), " +
		"`text` (`<utt> <transcript>`; an utterance without a transcript has the id alone), `utt2spk`, `spk2utt`, `utt2dur` (seconds), " +
		"`utt2dialect` (dialect region) and `utt2noise` (declared noise band: low, medium, high). Every file lists every utterance, " +
		"sorted in C-locale byte order; values are single tokens (white space becomes `_`, a missing value `unknown`). " +
		"Utterance ids are `<speaker>-<clip id>`, so sorting by utterance also sorts by speaker. Run Kaldi from the extracted directory, " +
		"or rewrite the relative paths of `wav.scp`.",
	HuggingFace: "A Hugging Face `audiofolder`: `data/<utt>.wav` and `metadata.csv` with the columns file_name (relative to the CSV), " +
		"utterance_id, speaker_id, transcription, duration_s, noise_band, dialect_region, age_band, gender, mode. " +
		"Load it with `datasets.load_dataset(\"audiofolder\", data_dir=\".\")`.",
	NeMo: "NeMo: `audio/<utt>.wav` and `manifest.json`, one JSON object a line with audio_filepath (relative to the manifest), " +
		"duration (seconds), text, utterance_id, speaker, noise_band, dialect_region, age_band, gender.",
	CommonVoice: "Common Voice style: `clips/<utt>.wav` (WAV, not MP3), `validated.tsv` with client_id (the pseudonymous speaker id), " +
		"path (relative to clips/), sentence, up_votes (1: accepted by a reviewer), down_votes (0), age, gender, accents (the dialect region), " +
		"locale (the project's dialect tag) and segment (empty), and `clip_durations.tsv` (clip, duration[ms]).",
}

// segmentNotes describe the files of a release with transcribed
// recordings (Utterance.Segments). They are added only to such a release,
// so the archives of every other release keep their bytes.
const (
	kaldiSegmentNotes = "This release has transcribed recordings, so the Kaldi directory is segmented: `wav.scp` is keyed by " +
		"recording, and `segments` (`<utt> <recording> <start> <end>`, seconds) cuts the utterances out of the recordings. " +
		"A transcribed recording's utterances are its segments, with ids `<recording>-<channel>-<n>` (channel and n from 1, " +
		"in time order); a recording of more than one channel is one Kaldi recording per channel, `<recording>-<channel>`, " +
		"whose `wav.scp` line extracts the channel with `sox … remix <channel> |`. Every other clip is one utterance spanning " +
		"its whole file, with the recording's id. `text`, `utt2spk`, `spk2utt`, `utt2dur`, `utt2dialect` and `utt2noise` are " +
		"keyed by utterance (segment), and `reco2dur` gives each recording's length; the directory passes Kaldi's " +
		"`utils/validate_data_dir.sh --no-feats`."
	segmentFileNotes = "Transcribed monologues and dialogues also come time-aligned, in every format of the release: " +
		"`textgrid/<utt>.TextGrid` is a Praat TextGrid (long text format, UTF-8) with one interval tier per channel, named " +
		"`channel N`, and `srt/<utt>.srt` the same segments as SubRip subtitles in time order (overlapping speech of a dialogue " +
		"shares one cue, a line per segment). Times are in whole milliseconds. `dialect lint` reads both files back with the " +
		"project's transcript rules. In the index files of the Hugging Face, NeMo and Common Voice layouts a transcribed " +
		"recording is one row, whose transcript is its segments' texts in time order on one line."
)

// datasheet is README.md: what is in the release, who is in it, how it was
// checked, and how to read and verify it (after Gebru et al., "Datasheets
// for Datasets"). Text that came from people (project name, profile
// values) is put on one line and Markdown-escaped.
func datasheet(f Format, m *Meta, utts []*Utterance) []byte {
	var b bytes.Buffer
	var total float64
	speakers := map[string]bool{}
	for _, u := range utts {
		total += u.DurationS
		speakers[u.Speaker] = true
	}
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# %s — release %d (%s)\n\n", md(m.Project), m.Number, f)
	p("| | |\n|---|---|\n")
	p("| release id | %d |\n", m.ReleaseID)
	p("| created | %s |\n", m.CreatedAt.UTC().Truncate(time.Second).Format(time.RFC3339))
	p("| dialect | %s |\n", md(m.Dialect))
	p("| utterances | %d |\n", len(utts))
	p("| speakers | %d |\n", len(speakers))
	p("| hours | %.3f |\n", total/3600)
	p("| consent version | %d (every speaker had accepted this version or a later one) |\n", m.ConsentVersion)
	p("| clip manifest SHA-256 | `%s` |\n\n", m.ManifestSHA256)

	p("## Composition\n\nHours of audio by each attribute the speaker or task declared; shares are of the total.\n\n")
	for _, dim := range []struct {
		title string
		key   func(*Utterance) string
	}{
		{"Dialect region", func(u *Utterance) string { return u.DialectRegion }},
		{"Noise band", func(u *Utterance) string { return u.NoiseBand }},
		{"Gender", func(u *Utterance) string { return u.Gender }},
		{"Age band", func(u *Utterance) string { return u.AgeBand }},
	} {
		hours, count, spk := map[string]float64{}, map[string]int{}, map[string]map[string]bool{}
		for _, u := range utts {
			k := oneLine(dim.key(u))
			if k == "" {
				k = "(not given)"
			}
			hours[k] += u.DurationS
			count[k]++
			if spk[k] == nil {
				spk[k] = map[string]bool{}
			}
			spk[k][u.Speaker] = true
		}
		p("### %s\n\n| %s | utterances | speakers | hours | share |\n|---|---:|---:|---:|---:|\n", dim.title, strings.ToLower(dim.title))
		for _, k := range sortedKeys(hours) {
			share := 0.0
			if total > 0 {
				share = 100 * hours[k] / total
			}
			p("| %s | %d | %d | %.3f | %.1f%% |\n", md(k), count[k], len(spk[k]), hours[k]/3600, share)
		}
		p("\n")
	}

	p("## Speakers and consent\n\n")
	p("Every clip in this release comes from a speaker who had accepted the project's consent text, version %d or later, "+
		"when the release was made. A speaker who withdraws consent is left out of every later release; a published release never changes.\n\n", m.ConsentVersion)
	p("Speaker ids are pseudonymous: the first 64 bits of HMAC-SHA-256(project secret, internal user id), in hex after `s`. " +
		"The secret belongs to the project and never leaves the server, so an id is the same person in every release of this project, " +
		"but cannot be linked to an account, to a name or across projects without it. `speakers.tsv` lists each speaker once with the " +
		"dialect region, age band and gender they declared, their number of utterances and seconds of audio. No names, contact details " +
		"or free-text profile fields are exported.\n\n")

	p("## How the clips were validated\n\n")
	p("1. Automatic audio checks on upload (rules of the project's `spec/audio-checks.md`); a clip with an error finding is stored as rejected and never enters a release:\n\n")
	p("   | rule | checks |\n   |---|---|\n")
	for _, r := range audioRules {
		p("   | %s | %s |\n", r[0], r[1])
	}
	p("\n2. Transcript lint (punctuation, spacing, script and length rules of `spec/transcript-rules.md`).\n")
	p("3. Human review: every clip here was accepted by a reviewer; clips rejected at any step are not in any release.\n\n")
	p("Thresholds in force when the release was made:\n\n")
	writeThresholds(p, m)

	p("## Files\n\n%s\n\n", layoutNotes[f])
	if segmented(utts) {
		if f == Kaldi {
			p("%s\n\n", kaldiSegmentNotes)
		}
		p("%s\n\n", segmentFileNotes)
	}
	p("`speakers.tsv`: speaker_id, dialect_region, age_band, gender, utterances, duration_s.\n\n")
	p("Audio is the WAV exactly as recorded and checked (its SHA-256 was recorded on upload). " +
		"CSV and TSV cells are on one line (tabs and line breaks become spaces), and a cell that would start with `=`, `+`, `-` or `@` " +
		"starts with an apostrophe instead, so no spreadsheet runs it as a formula; the Kaldi `text` file and the NeMo manifest carry " +
		"transcripts unescaped, on one line.\n\n")
	p("## Integrity\n\n`SHA256SUMS` lists every file of the archive but itself: run `sha256sum -c SHA256SUMS` in the extracted directory. " +
		"The archive itself is byte-identical at every download of this release and format.\n")
	return b.Bytes()
}

// md escapes text for a Markdown table cell.
func md(s string) string {
	s = oneLine(s)
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
		"<", "&lt;", ">", "&gt;", "#", `\#`)
	return r.Replace(s)
}

// writeThresholds writes the check and lint settings a release was made
// under, as JSON blocks; both datasheet layouts carry the same section.
func writeThresholds(p func(string, ...any), m *Meta) {
	for _, j := range []struct {
		title string
		raw   []byte
	}{
		{"Audio check thresholds", m.Validation.CheckConfig},
		{"Project overrides of the audio thresholds", m.Validation.CheckOverrides},
		{"Transcript lint settings", m.Validation.LintConfig},
		{"Project overrides of the lint settings", m.Validation.LintOverrides},
	} {
		if len(bytes.TrimSpace(j.raw)) == 0 {
			continue
		}
		var out bytes.Buffer
		if err := json.Indent(&out, j.raw, "", "  "); err != nil {
			continue
		}
		p("%s:\n\n```json\n%s\n```\n\n", j.title, strings.ReplaceAll(out.String(), "```", "` ` `"))
	}
}
