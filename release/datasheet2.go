package release

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// NoTerms is what the datasheet says when the project set neither a
// licence nor terms of use, in zh-TW and English.
const NoTerms = "本計畫沒有為這個版本設定授權或使用條款，本資料不附帶任何授權：使用、分享或發表之前，請先向資料提供者確認。\n\n" +
	"The project set no licence or terms of use for this release. Nothing here grants a licence: ask the data provider " +
	"before you use, share or publish it."

// splitNotes describe, per format, what holds a split and what an
// "utterance" of the datasheet's tables is.
var splitNotes = map[Format]struct{ where, utts, empty string }{
	Kaldi: {"`data/train/`, `data/dev/` and `data/test/`, each a Kaldi data directory",
		"lines of the splits' `text` files, where a transcribed recording's utterances are its segments",
		"its `data/<split>/` directory is left out"},
	HuggingFace: {"`train/`, `dev/` and `test/`, each with its WAVs and `metadata.csv` (datasets names `dev` validation)",
		"rows of the splits' `metadata.csv` files, one per transcribed recording", "its directory is left out"},
	NeMo: {"`train_manifest.json`, `dev_manifest.json` and `test_manifest.json`",
		"lines of the splits' manifests, one per transcribed recording", "its manifest is left out"},
	CommonVoice: {"`train.tsv`, `dev.tsv` and `test.tsv`; `validated.tsv` holds the rows of all three",
		"rows of the splits' TSVs, one per transcribed recording", "its TSV has the header only"},
}

// layoutNotes2 describes each format's files in a LayoutSplits archive.
var layoutNotes2 = map[Format]string{
	Kaldi: "Kaldi: `wav/<utt>.wav` holds the audio, and `data/<split>/` is a Kaldi data directory per split: `wav.scp` " +
		"(paths relative to the top folder: run Kaldi from it, as from a recipe's `s5`), `text`, `utt2spk`, `spk2utt`, `utt2dur` " +
		"(seconds), `utt2dialect` (dialect region), `utt2noise` (declared noise band) and `spk2gender` (f or m) when every speaker " +
		"of the split declared female or male; a split with a speaker who declared another gender or none has no `spk2gender`, " +
		"since Kaldi knows only f and m. Every file is sorted in C-locale byte order with single-token values (white space " +
		"becomes `_`, a missing value `unknown`); utterance ids are `<speaker>-<clip id>`, so sorting by utterance also sorts by " +
		"speaker. Each directory passes `utils/validate_data_dir.sh --no-feats` under a UTF-8 locale: on a minimal system the " +
		"script finds no `C.UTF-8` locale, falls back to C and reports \"non-printable characters\" in `text`; " +
		"`localedef -i en_US -f UTF-8 en_US.UTF-8` (or any UTF-8 locale) fixes that.",
	HuggingFace: "A Hugging Face `audiofolder`: `<split>/<utt>.wav` and `<split>/metadata.csv` with the columns file_name " +
		"(relative to the CSV), utterance_id, speaker_id, transcription, duration_s, noise_band, dialect_region, age_band, " +
		"gender, mode. `datasets.load_dataset(\"audiofolder\", data_dir=\"dialect-…-hf\")` loads the splits train, " +
		"validation (from `dev/`) and test. `dialect lint --input csv --column transcription <split>/metadata.csv` lints the " +
		"transcriptions.",
	NeMo: "NeMo: `audio/<utt>.wav` and `<split>_manifest.json`, one JSON object a line with audio_filepath (relative to the " +
		"manifest), duration (seconds), text, utterance_id, speaker, noise_band, dialect_region, age_band, gender.",
	CommonVoice: "Common Voice, with the columns of its releases since Corpus 17.0: `clips/<utt>.wav` (WAV, not MP3); " +
		"`validated.tsv`, `train.tsv`, `dev.tsv`, `test.tsv`, and `invalidated.tsv` and `other.tsv` with their header only " +
		"(a release holds no rejected or unreviewed clip), each with client_id (the pseudonymous speaker id), path (relative " +
		"to clips/), sentence_id (hex SHA-256 of the sentence), sentence, sentence_domain (empty), up_votes (1: accepted by a " +
		"reviewer), down_votes (0), age (teens, twenties, … as Common Voice writes them; empty for 70_plus, which spans " +
		"several), gender (female_feminine, male_masculine, do_not_wish_to_say; empty for other), accents (the dialect " +
		"region), variant (empty), locale (the project's dialect as Common Voice spells it) and segment (empty); and " +
		"`clip_durations.tsv` (clip, duration[ms]) for every clip.",
}

// datasheet is README.md of a LayoutSplits archive. Every count in it is
// taken from the plan the index files are written from.
func (p *plan) datasheet() []byte {
	var b bytes.Buffer
	m, f := p.m, p.f
	pr := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	var total float64
	speakers := map[string]bool{}
	utts, transcribed := 0, 0
	for _, it := range p.items {
		total += it.u.DurationS
		speakers[it.u.Speaker] = true
		utts += it.utts
		if it.text != "" {
			transcribed++
		}
	}
	pr("# %s — release %d (%s)\n\n", md(m.Project), m.Number, f)
	pr("| | |\n|---|---|\n")
	pr("| release | %d (id %d) |\n", m.Number, m.ReleaseID)
	pr("| folder | `%s/` |\n", TopFolder(m, f))
	pr("| created | %s |\n", m.CreatedAt.UTC().Truncate(time.Second).Format(time.RFC3339))
	pr("| dialect | %s |\n", md(m.Dialect))
	pr("| recordings | %d (WAV files) |\n", len(p.items))
	pr("| transcribed recordings | %d |\n", transcribed)
	pr("| utterances | %d: %s |\n", utts, splitNotes[f].utts)
	pr("| speakers | %d |\n", len(speakers))
	pr("| hours | %.3f |\n", total/3600)
	pr("| consent version | %d (every speaker had accepted this version or a later one) |\n", m.ConsentVersion)
	pr("| clip manifest SHA-256 | `%s` |\n\n", m.ManifestSHA256)

	pr("## Licence and terms of use\n\n")
	if strings.TrimSpace(m.License) == "" && strings.TrimSpace(m.Terms) == "" {
		pr("%s\n\n", NoTerms)
	} else {
		lic := oneLine(m.License)
		if lic == "" {
			lic = "not set"
		}
		pr("Licence: %s\n\n", md(lic))
		if t := strings.TrimSpace(m.Terms); t != "" {
			// Terms are the project's own text, paragraphs kept, each
			// line escaped so it cannot break out into Markdown markup.
			for _, para := range strings.Split(strings.ReplaceAll(t, "\r\n", "\n"), "\n\n") {
				if para = strings.TrimSpace(para); para != "" {
					var lines []string
					for _, l := range strings.Split(para, "\n") {
						lines = append(lines, md(l))
					}
					pr("%s\n\n", strings.Join(lines, "\n"))
				}
			}
		}
	}

	p.splitSection(&b)

	pr("## Composition\n\nHours of audio by each attribute the speaker or task declared; shares are of the total.\n\n")
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
		for _, it := range p.items {
			k := oneLine(dim.key(it.u))
			if k == "" {
				k = "(not given)"
			}
			hours[k] += it.u.DurationS
			count[k]++
			if spk[k] == nil {
				spk[k] = map[string]bool{}
			}
			spk[k][it.u.Speaker] = true
		}
		pr("### %s\n\n| %s | recordings | speakers | hours | share |\n|---|---:|---:|---:|---:|\n", dim.title, strings.ToLower(dim.title))
		for _, k := range sortedKeys(hours) {
			share := 0.0
			if total > 0 {
				share = 100 * hours[k] / total
			}
			pr("| %s | %d | %d | %.3f | %.1f%% |\n", md(k), count[k], len(spk[k]), hours[k]/3600, share)
		}
		pr("\n")
	}

	pr("## Speakers and consent\n\n")
	pr("Every clip in this release comes from a speaker who had accepted the project's consent text, version %d or later, "+
		"when the release was made. A speaker who withdraws consent is left out of every later release; a published release never changes.\n\n", m.ConsentVersion)
	pr("Speaker ids are pseudonymous: the first 64 bits of HMAC-SHA-256(project secret, internal user id), in hex after `s`. " +
		"The secret belongs to the project and never leaves the server, so an id is the same person in every release of this project, " +
		"but cannot be linked to an account, to a name or across projects without it. `speakers.tsv` lists each speaker once with " +
		"their split, the dialect region, age band and gender they declared, their recordings, utterances and seconds of audio. " +
		"No names, contact details or free-text profile fields are exported.\n\n")

	// A flat list, the rule table after it: a table inside a list item
	// ends the list in some Markdown renderers, which then number the
	// next item 1 again.
	pr("## How the clips were validated\n\n")
	pr("1. Automatic audio checks on upload (the rules below, from the project's `spec/audio-checks.md`); a clip with an error finding is stored as rejected and never enters a release.\n")
	pr("2. Transcript lint (punctuation, spacing, script and length rules of `spec/transcript-rules.md`).\n")
	pr("3. Human review: every clip here was accepted by a reviewer; clips rejected at any step are not in any release.\n\n")
	pr("| rule | checks |\n|---|---|\n")
	for _, r := range audioRules {
		pr("| %s | %s |\n", r[0], r[1])
	}
	pr("\nThresholds in force when the release was made:\n\n")
	writeThresholds(pr, m)

	pr("## Files\n\nEverything is in the folder `%s/`.\n\n%s\n\n", TopFolder(m, f), layoutNotes2[f])
	pr("Transcripts in the index files are one line per recording (Kaldi: per utterance) and pass `dialect lint --strict` " +
		"with the project's rules: a recording's utterances are joined in time order, Han text without a space and romanized " +
		"neighbours with one (with the automatic width, a romanized utterance that shares a line with Han text takes ，。？！). " +
		"A long recording's line can exceed a project's maximum utterance length (T014), which is a per-utterance rule.\n\n")
	if segmented(p.itemsUtts()) {
		if f == Kaldi {
			pr("%s\n\n", strings.Replace(kaldiSegmentNotes, "so the Kaldi directory is segmented",
				"so the Kaldi directory of each split that has one is segmented", 1))
		}
		pr("%s\n\n", segmentFileNotes)
	}
	if n := len(p.untr); n > 0 {
		what := fmt.Sprintf("the %d recordings that have", n)
		if n == 1 {
			what = "the one recording that has"
		}
		pr("`untranscribed.tsv` lists %s no transcript yet (path, utterance_id, speaker_id, split, duration_s, mode): "+
			"the audio is here, but no split's index lists it, since every index line is a transcript.\n\n", what)
	}
	pr("`speakers.tsv`: speaker_id, split, dialect_region, age_band, gender, recordings, utterances, duration_s.\n\n")
	pr("Audio is the WAV exactly as recorded and checked (its SHA-256 was recorded on upload). " +
		"CSV and TSV cells are on one line (tabs and line breaks become spaces), and a cell that would start with `=`, `+`, `-` or `@` " +
		"starts with an apostrophe instead, so no spreadsheet runs it as a formula; the Kaldi `text` files and the NeMo manifests carry " +
		"transcripts unescaped, on one line.\n\n")
	pr("## Integrity\n\n`SHA256SUMS` lists every file of the folder but itself: run `sha256sum -c SHA256SUMS` in `%s/`. "+
		"The archive itself is byte-identical at every download of this release and format.\n", TopFolder(m, f))
	return b.Bytes()
}

// itemsUtts is every recording's Utterance.
func (p *plan) itemsUtts() []*Utterance {
	out := make([]*Utterance, len(p.items))
	for i, it := range p.items {
		out[i] = it.u
	}
	return out
}

// splitSection says how the speakers were split and counts each split.
func (p *plan) splitSection(b *bytes.Buffer) {
	c := p.m.Split.OrDefault()
	n := splitNotes[p.f]
	fmt.Fprintf(b, "## Splits\n\n")
	fmt.Fprintf(b, "Speakers are divided into train, dev and test (%s), %d/%d/%d, with seed %d: a speaker's split is the first 8 bytes "+
		"of SHA-256(\"<seed>:<speaker id>\"), as a big-endian number, modulo 100, in [0, %d) train, [%d, %d) dev, the rest test. "+
		"It depends on nothing else, so a speaker is in the same split in every release of this project, speakers added later "+
		"move no one, and no speaker is in two splits. The split is by speaker, not by hours, so the shares of hours can differ "+
		"from the percentages, the more so the fewer the speakers. A split no speaker falls into is empty: %s.\n\n",
		n.where, c.Train, c.Dev, c.Test, c.Seed, c.Train, c.Train, c.Train+c.Dev, n.empty)
	fmt.Fprintf(b, "| split | speakers | recordings | utterances | hours |\n|---|---:|---:|---:|---:|\n")
	row := func(name string, items []*item) {
		spk := map[string]bool{}
		utts := 0
		var secs float64
		for _, it := range items {
			spk[it.u.Speaker] = true
			utts += it.utts
			secs += it.u.DurationS
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %.3f |\n", name, len(spk), len(items), utts, secs/3600)
	}
	var empty []string
	for _, s := range Splits() {
		row(s, p.bySplit[s])
		if len(p.bySplit[s]) == 0 {
			empty = append(empty, s)
		}
	}
	if len(p.untr) > 0 {
		row("untranscribed", p.untr)
	}
	fmt.Fprintf(b, "\nRecordings are WAV files; utterances are %s.\n\n", n.utts)
	if len(empty) > 0 {
		fmt.Fprintf(b, "This release has no %s split: no speaker with a transcribed recording falls into it, so %s. "+
			"Speakers are never moved to fill a split: that would move them between releases.\n\n", strings.Join(empty, " or "), n.empty)
	}
}
