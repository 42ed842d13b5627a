package releasetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// topFolder is the one folder a LayoutSplits archive unpacks into
// (spec/api.md): dialect-<project>-r<release>-<format>/.
var topFolder = regexp.MustCompile(`^dialect-[a-z0-9-]+-r[1-9][0-9]*-(kaldi|hf|nemo|cv)/$`)

// splitNames are the splits, in order.
var splitNames = []string{"train", "dev", "test"}

// CVColumns are the columns of Common Voice's clip TSVs since Corpus 17.0,
// in order (written here independently of the release package).
var CVColumns = []string{"client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes", "down_votes",
	"age", "gender", "accents", "variant", "locale", "segment"}

// Common Voice's age and gender values (common-voice/common-voice
// web/src/stores/demographics.ts), "" for not given.
var (
	cvAges    = []string{"", "teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies", "eighties", "nineties"} //nolint:misspell // Common Voice's own spelling of the value
	cvGenders = []string{"", "male_masculine", "female_feminine", "intersex", "transgender", "non-binary", "do_not_wish_to_say"}
)

// verifySplits checks a LayoutSplits archive (its names already made
// relative to a.Top): SHA256SUMS; the audio where the format keeps it;
// every split's index by the format's rules (a Kaldi data directory per
// split, an audiofolder split directory, a NeMo manifest, the Common Voice
// TSVs); every recording in exactly one split's index or in
// untranscribed.tsv; no speaker in two splits; speakers.tsv's split,
// recordings and utterances equal to what the files hold.
func (a *Archive) verifySplits(format string) error {
	if err := a.checkSums(); err != nil {
		return err
	}
	for _, need := range []string{"README.md", "speakers.tsv"} {
		if _, ok := a.Files[need]; !ok {
			return fmt.Errorf("no %s", need)
		}
	}
	for name, b := range a.Files {
		if !strings.HasSuffix(name, ".wav") {
			continue
		}
		dir, file, _ := strings.Cut(name, "/")
		ok := strings.Count(name, "/") == 1
		switch format {
		case "kaldi":
			ok = ok && dir == "wav"
		case "nemo":
			ok = ok && dir == "audio"
		case "cv":
			ok = ok && dir == "clips"
		case "hf":
			ok = ok && (slices.Contains(splitNames, dir) || dir == "untranscribed")
		}
		if !ok {
			return fmt.Errorf("%s: audio outside the format's audio folder", name)
		}
		id := strings.TrimSuffix(file, ".wav")
		if _, dup := a.Audio[id]; dup {
			return fmt.Errorf("%s: utterance %s twice", name, id)
		}
		a.Audio[id], a.AudioPath[id] = b, name
	}
	if err := a.checkSegmentFiles(); err != nil {
		return err
	}
	var err error
	switch format {
	case "kaldi":
		err = a.splitsKaldi()
	case "hf":
		err = a.splitsHF()
	case "nemo":
		err = a.splitsNeMo()
	case "cv":
		err = a.splitsCV()
	}
	if err != nil {
		return err
	}
	if err := a.checkUntranscribed(); err != nil {
		return err
	}
	for id := range a.Audio {
		if a.Split[id] == "" {
			return fmt.Errorf("%s is in no split's index and not in untranscribed.tsv", a.AudioPath[id])
		}
	}
	return a.checkSpeakersSplits()
}

// assign puts utterance id in split, once, with its speaker, whose
// utterances n adds to.
func (a *Archive) assign(id, split, speaker string, n int) error {
	if _, ok := a.Audio[id]; !ok {
		return fmt.Errorf("%s index names %s, not in the archive", split, id)
	}
	if prev := a.Split[id]; prev != "" {
		return fmt.Errorf("%s is in %s and in %s", id, prev, split)
	}
	if !strings.HasPrefix(id, speaker+"-") {
		return fmt.Errorf("%s: speaker %q is not its prefix", id, speaker)
	}
	a.Split[id], a.Speaker[id] = split, speaker
	a.Utterances[speaker] += n
	return nil
}

// scpAudio matches a wav.scp value and gives the audio file it reads.
var scpAudio = regexp.MustCompile(`^(?:sox )?wav/([^ /]+)\.wav(?: -t wav - remix [1-9][0-9]* \|)?$`)

// splitsKaldi checks data/<split>/ as Kaldi data directories
// (checkKaldi), each over the audio its wav.scp names, and spk2gender.
func (a *Archive) splitsKaldi() error {
	for name := range a.Files {
		if rest, ok := strings.CutPrefix(name, "data/"); ok {
			if dir, _, _ := strings.Cut(rest, "/"); !slices.Contains(splitNames, dir) {
				return fmt.Errorf("%s: data/ holds only train, dev and test", name)
			}
		}
	}
	for _, s := range splitNames {
		prefix := "data/" + s + "/"
		sub := &Archive{Files: map[string][]byte{}, Audio: map[string][]byte{}, Speaker: map[string]string{}}
		for name, b := range a.Files {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				sub.Files[rest] = b
			} else if strings.HasPrefix(name, "textgrid/") {
				sub.Files[name] = b
			}
		}
		if _, ok := sub.Files["wav.scp"]; !ok {
			if len(sub.Files) > 0 && hasPrefix(a.Files, prefix) {
				return fmt.Errorf("kaldi: %s has no wav.scp", prefix)
			}
			continue
		}
		for _, l := range lines(sub.Files["wav.scp"]) {
			_, v, _ := strings.Cut(l, " ")
			if m := scpAudio.FindStringSubmatch(v); m != nil {
				b, ok := a.Audio[m[1]]
				if !ok {
					return fmt.Errorf("kaldi: %swav.scp: %q is not in the archive", prefix, v)
				}
				sub.Audio[m[1]] = b
			}
		}
		if err := sub.checkKaldi(); err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		perSpeaker := map[string]int{}
		for _, l := range lines(sub.Files["utt2spk"]) {
			_, spk, _ := strings.Cut(l, " ")
			perSpeaker[spk]++
		}
		for id, spk := range sub.Speaker {
			if err := a.assign(id, s, spk, 0); err != nil {
				return err
			}
		}
		for spk, n := range perSpeaker {
			a.Utterances[spk] += n
		}
		if g, ok := sub.Files["spk2gender"]; ok {
			var spks, want []string
			for _, l := range lines(g) {
				spk, v, _ := strings.Cut(l, " ")
				if v != "m" && v != "f" {
					return fmt.Errorf("kaldi: %sspk2gender: %q, want m or f", prefix, l)
				}
				spks = append(spks, spk)
			}
			want = sortedKeys(perSpeaker)
			if !slices.Equal(spks, want) {
				return fmt.Errorf("kaldi: %sspk2gender lists %v, spk2utt %v", prefix, spks, want)
			}
		}
	}
	return nil
}

func hasPrefix(files map[string][]byte, prefix string) bool {
	for name := range files {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// splitsHF: <split>/metadata.csv lists exactly the WAVs of <split>/, by
// file names relative to it, with a transcription column.
func (a *Archive) splitsHF() error {
	for _, s := range splitNames {
		meta, ok := a.Files[s+"/metadata.csv"]
		var wavs []string
		for id, p := range a.AudioPath {
			if strings.HasPrefix(p, s+"/") {
				wavs = append(wavs, id)
			}
		}
		if !ok {
			if len(wavs) > 0 {
				return fmt.Errorf("hf: %s/ has audio but no metadata.csv", s)
			}
			continue
		}
		rows, err := readCSV(meta, ',')
		if err != nil {
			return fmt.Errorf("hf: %s/metadata.csv: %w", s, err)
		}
		if len(rows) == 0 || rows[0][0] != "file_name" || !slices.Contains(rows[0], "transcription") {
			return fmt.Errorf("hf: %s/metadata.csv: header %q, want file_name first and a transcription column", s, rows)
		}
		si := slices.Index(rows[0], "speaker_id")
		var ids []string
		for _, r := range rows[1:] {
			id := strings.TrimSuffix(r[0], ".wav")
			if a.AudioPath[id] != s+"/"+r[0] {
				return fmt.Errorf("hf: %s/metadata.csv: %s is not a WAV of %s/", s, r[0], s)
			}
			if err := a.assign(id, s, r[si], 1); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		slices.Sort(wavs)
		if !slices.Equal(ids, wavs) {
			return fmt.Errorf("hf: %s/metadata.csv and the WAVs of %s/ differ (or are not sorted)", s, s)
		}
	}
	return nil
}

// splitsNeMo: <split>_manifest.json, one JSON object a line, audio paths
// relative to it, sorted.
func (a *Archive) splitsNeMo() error {
	for _, s := range splitNames {
		man, ok := a.Files[s+"_manifest.json"]
		if !ok {
			continue
		}
		var ids []string
		for _, l := range lines(man) {
			var m struct {
				AudioFilepath string   `json:"audio_filepath"`
				Duration      *float64 `json:"duration"`
				Text          *string  `json:"text"`
				Speaker       string   `json:"speaker"`
			}
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				return fmt.Errorf("nemo: %s_manifest.json line %q: %w", s, l, err)
			}
			if m.Duration == nil || m.Text == nil || *m.Text == "" {
				return fmt.Errorf("nemo: %s_manifest.json line %q lacks duration or text", s, l)
			}
			id := strings.TrimSuffix(strings.TrimPrefix(m.AudioFilepath, "audio/"), ".wav")
			if a.AudioPath[id] != m.AudioFilepath {
				return fmt.Errorf("nemo: %s_manifest.json: %s not in the archive", s, m.AudioFilepath)
			}
			if err := a.assign(id, s, m.Speaker, 1); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if !slices.IsSorted(ids) {
			return fmt.Errorf("nemo: %s_manifest.json not sorted", s)
		}
	}
	return nil
}

// splitsCV: the Common Voice TSVs with the current columns; train, dev and
// test divide validated.tsv's rows; invalidated.tsv and other.tsv have the
// header only; values in Common Voice's vocabularies; clip_durations.tsv
// lists every clip.
func (a *Archive) splitsCV() error {
	tables := map[string][][]string{}
	for _, name := range []string{"validated", "train", "dev", "test", "invalidated", "other"} {
		rows, err := readTSV(a.Files[name+".tsv"])
		if err != nil {
			return fmt.Errorf("cv: %s.tsv: %w", name, err)
		}
		if len(rows) == 0 || !slices.Equal(rows[0], CVColumns) {
			return fmt.Errorf("cv: %s.tsv header %q, want %q", name, rows, CVColumns)
		}
		tables[name] = rows[1:]
	}
	if len(tables["invalidated"])+len(tables["other"]) != 0 {
		return errors.New("cv: invalidated.tsv and other.tsv list clips of a release")
	}
	col := func(name string) int { return slices.Index(CVColumns, name) }
	var splitRows []string
	for _, s := range splitNames {
		for _, r := range tables[s] {
			id := strings.TrimSuffix(r[col("path")], ".wav")
			if a.AudioPath[id] != "clips/"+r[col("path")] {
				return fmt.Errorf("cv: %s.tsv: %s not in clips/", s, r[col("path")])
			}
			if r[col("sentence")] == "" {
				return fmt.Errorf("cv: %s.tsv: %s has no sentence", s, id)
			}
			if !slices.Contains(cvAges, r[col("age")]) || !slices.Contains(cvGenders, r[col("gender")]) {
				return fmt.Errorf("cv: %s.tsv: age %q or gender %q is not Common Voice's", s, r[col("age")], r[col("gender")])
			}
			if err := a.assign(id, s, r[col("client_id")], 1); err != nil {
				return err
			}
			splitRows = append(splitRows, strings.Join(r, "\t"))
		}
	}
	var validated []string
	for _, r := range tables["validated"] {
		validated = append(validated, strings.Join(r, "\t"))
	}
	if !slices.IsSorted(validated) {
		return errors.New("cv: validated.tsv not sorted")
	}
	slices.Sort(splitRows)
	if !slices.Equal(splitRows, validated) {
		return errors.New("cv: train.tsv, dev.tsv and test.tsv do not hold exactly validated.tsv's rows")
	}
	durs, err := readTSV(a.Files["clip_durations.tsv"])
	if err != nil {
		return fmt.Errorf("cv: clip_durations.tsv: %w", err)
	}
	if len(durs) == 0 || len(durs)-1 != len(a.Audio) {
		return fmt.Errorf("cv: clip_durations.tsv has %d rows, %d clips", len(durs)-1, len(a.Audio))
	}
	for _, r := range durs[1:] {
		if _, ok := a.Audio[strings.TrimSuffix(r[0], ".wav")]; !ok {
			return fmt.Errorf("cv: clip_durations.tsv: %s not in clips/", r[0])
		}
	}
	return nil
}

// checkUntranscribed: untranscribed.tsv names recordings in no index, at
// their audio path, with the split of their speaker.
func (a *Archive) checkUntranscribed() error {
	b, ok := a.Files["untranscribed.tsv"]
	if !ok {
		return nil
	}
	rows, err := readTSV(b)
	if err != nil {
		return fmt.Errorf("untranscribed.tsv: %w", err)
	}
	if len(rows) < 2 || !slices.Equal(rows[0][:4], []string{"path", "utterance_id", "speaker_id", "split"}) {
		return fmt.Errorf("untranscribed.tsv: header %q or no rows", rows)
	}
	for _, r := range rows[1:] {
		if a.AudioPath[r[1]] != r[0] || !slices.Contains(splitNames, r[3]) {
			return fmt.Errorf("untranscribed.tsv: row %q", r)
		}
		if err := a.assign(r[1], r[3], r[2], 0); err != nil {
			return fmt.Errorf("untranscribed.tsv: %w", err)
		}
	}
	return nil
}

// checkSpeakersSplits: no speaker in two splits, and speakers.tsv lists
// each speaker once with that split, the number of their WAVs and of their
// index utterances.
func (a *Archive) checkSpeakersSplits() error {
	split, recs := map[string]string{}, map[string]int{}
	for id, spk := range a.Speaker {
		if prev, ok := split[spk]; ok && prev != a.Split[id] {
			return fmt.Errorf("speaker %s is in %s and in %s", spk, prev, a.Split[id])
		}
		split[spk] = a.Split[id]
		recs[spk]++
	}
	rows, err := readTSV(a.Files["speakers.tsv"])
	if err != nil {
		return fmt.Errorf("speakers.tsv: %w", err)
	}
	h := rows[0]
	si, ri, ui := slices.Index(h, "split"), slices.Index(h, "recordings"), slices.Index(h, "utterances")
	if h[0] != "speaker_id" || si < 0 || ri < 0 || ui < 0 {
		return fmt.Errorf("speakers.tsv: header %q", h)
	}
	var listed []string
	for _, r := range rows[1:] {
		spk := r[0]
		listed = append(listed, spk)
		if r[si] != split[spk] || r[ri] != strconv.Itoa(recs[spk]) || r[ui] != strconv.Itoa(a.Utterances[spk]) {
			return fmt.Errorf("speakers.tsv: %q, the files say split %s, %d recordings, %d utterances", r, split[spk], recs[spk], a.Utterances[spk])
		}
	}
	if !slices.Equal(listed, sortedKeys(recs)) {
		return fmt.Errorf("speakers.tsv lists %v, the archive has %v", listed, sortedKeys(recs))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
