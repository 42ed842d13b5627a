package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Archive layouts. A release's layout is frozen when the release is made
// (Meta.Layout), so an archive built later, or rebuilt after damage, has
// the bytes of the first build whatever the code has learnt since.
const (
	// LayoutFlat is the layout of releases made before issue 10: the files
	// at the top of the archive, one index of every recording per format,
	// the Common Voice columns of before 2024.
	LayoutFlat = 1
	// LayoutSplits puts everything in one top folder,
	// dialect-<project>-r<number>-<format>/, divides the speakers into
	// train, dev and test (SplitOf) in every format, writes the current
	// Common Voice schema, joins a recording's utterances for the
	// one-row-per-recording indexes without stray spaces (JoinTexts), and
	// gives Kaldi spk2gender.
	LayoutSplits = 2
	// CurrentLayout is the layout of releases made now.
	CurrentLayout = LayoutSplits
)

// TopFolder is the folder a LayoutSplits archive unpacks into:
// dialect-<project slug>-r<release number>-<format>.
func TopFolder(m *Meta, f Format) string {
	return fmt.Sprintf("dialect-%s-r%d-%s", m.Slug, m.Number, f)
}

// validSlug is corpus's project slug: [a-z0-9-]{1,64}.
func validSlug(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// item is one recording of a LayoutSplits archive with what its files
// say of it.
type item struct {
	u     *Utterance
	split string
	text  string // indexText: "" when the recording has no transcript
	utts  int    // utterances of the format's index: Kaldi lines, or 1 row
}

// plan is what a LayoutSplits archive holds, worked out once for the
// index files and the datasheet alike, so the two always agree.
type plan struct {
	f       Format
	m       *Meta
	width   string
	items   []*item            // every recording, sorted by utterance id
	bySplit map[string][]*item // transcribed recordings per split
	untr    []*item            // recordings without a transcript
	files   map[string][]byte  // index files, by name relative to the top folder
}

func newPlan(f Format, m *Meta, utts []*Utterance) *plan {
	p := &plan{f: f, m: m, width: lintWidth(m.Validation), bySplit: map[string][]*item{}, files: map[string][]byte{}}
	for _, u := range utts {
		it := &item{u: u, split: SplitOf(m.Split, u.Speaker), text: indexText(u, p.width)}
		if it.text != "" {
			it.utts = 1
			if f == Kaldi && len(u.Segments) > 0 {
				it.utts = len(u.Segments)
			}
			p.bySplit[it.split] = append(p.bySplit[it.split], it)
		} else {
			p.untr = append(p.untr, it)
		}
		p.items = append(p.items, it)
	}
	return p
}

// audioPath is where the recording's WAV is, relative to the top folder.
func (p *plan) audioPath(it *item) string {
	id := it.u.ID() + ".wav"
	switch p.f {
	case Kaldi:
		return "wav/" + id
	case NeMo:
		return "audio/" + id
	case CommonVoice:
		return "clips/" + id
	case HuggingFace:
		// An audiofolder split directory holds its WAVs beside its
		// metadata.csv; untranscribed recordings are in no split's.
		if it.text == "" {
			return "untranscribed/" + id
		}
		return it.split + "/" + id
	}
	return id
}

// layoutSplits lists every entry of a LayoutSplits archive, sorted by name,
// all inside the top folder.
func layoutSplits(f Format, m *Meta, utts []*Utterance) []entry {
	p := newPlan(f, m, utts)
	switch f {
	case Kaldi:
		p.kaldi()
	case HuggingFace:
		p.hf()
	case NeMo:
		p.nemo()
	case CommonVoice:
		p.cv()
	}
	p.files["speakers.tsv"] = p.speakersTSV()
	if len(p.untr) > 0 {
		p.files["untranscribed.tsv"] = p.untranscribedTSV()
	}
	p.files["README.md"] = p.datasheet()

	var entries []entry
	dirs := map[string]bool{}
	addDirs := func(name string) {
		for i := 0; i < len(name); i++ {
			if name[i] == '/' {
				dirs[name[:i+1]] = true
			}
		}
	}
	for name, data := range p.files {
		entries = append(entries, entry{name: name, data: data, size: int64(len(data)), sum: sum(data)})
		addDirs(name)
	}
	for _, it := range p.items {
		name := p.audioPath(it)
		entries = append(entries, entry{name: name, utt: it.u, size: it.u.Bytes, sum: it.u.SHA256})
		addDirs(name)
	}
	if segmented(utts) {
		for _, u := range utts {
			if len(u.Segments) == 0 {
				continue
			}
			r := u.recording()
			tg, srt := TextGrid(&r), SRT(&r)
			entries = append(entries, entry{name: "textgrid/" + u.ID() + ".TextGrid", data: tg, size: int64(len(tg)), sum: sum(tg)},
				entry{name: "srt/" + u.ID() + ".srt", data: srt, size: int64(len(srt)), sum: sum(srt)})
		}
		dirs["textgrid/"], dirs["srt/"] = true, true
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var sums strings.Builder
	for _, e := range entries {
		// sha256sum -c reads this in the top folder: two spaces, the name.
		fmt.Fprintf(&sums, "%s  %s\n", e.sum, e.name)
	}
	b := []byte(sums.String())
	entries = append(entries, entry{name: "SHA256SUMS", data: b, size: int64(len(b)), sum: sum(b)})
	for d := range dirs {
		entries = append(entries, entry{name: d, dir: true})
	}
	top := TopFolder(m, f) + "/"
	for i := range entries {
		entries[i].name = top + entries[i].name
	}
	entries = append(entries, entry{name: top, dir: true})
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return entries
}

// withText is a copy of the split's utterances whose transcript is their
// index text, for the writers that take a Utterance.
func withText(items []*item) []*Utterance {
	out := make([]*Utterance, len(items))
	for i, it := range items {
		u := *it.u
		u.Transcript = it.text
		out[i] = &u
	}
	return out
}

// kaldi writes data/<split>/ for each split with a transcribed recording:
// a Kaldi data directory (kaldiFiles) whose wav.scp paths are relative to
// the top folder, plus spk2gender when every speaker of the split declared
// female or male.
func (p *plan) kaldi() {
	for _, s := range Splits() {
		items := p.bySplit[s]
		if len(items) == 0 {
			continue
		}
		for name, data := range kaldiFiles("wav", withText(items)) {
			p.files["data/"+s+"/"+name] = data
		}
		if g := spk2gender(items); g != nil {
			p.files["data/"+s+"/spk2gender"] = g
		}
	}
}

// kaldiGender is Kaldi's spk2gender value of a declared gender.
func kaldiGender(g string) string {
	switch g {
	case "female":
		return "f"
	case "male":
		return "m"
	}
	return ""
}

// spk2gender is Kaldi's spk2gender of the items' speakers, or nil when one
// of them declared neither female nor male (Kaldi knows only m and f, and
// a guess would be wrong).
func spk2gender(items []*item) []byte {
	g := map[string]string{}
	for _, it := range items {
		k := kaldiGender(it.u.Gender)
		if k == "" {
			return nil
		}
		g[it.u.Speaker] = k
	}
	var b bytes.Buffer
	for _, s := range sortedKeys(g) {
		fmt.Fprintf(&b, "%s %s\n", s, g[s])
	}
	return b.Bytes()
}

// hfColumns are the columns of a split's metadata.csv.
var hfColumns = []string{"file_name", "utterance_id", "speaker_id", "transcription", "duration_s", "noise_band",
	"dialect_region", "age_band", "gender", "mode"}

// hf writes <split>/metadata.csv beside the split's WAVs: the audiofolder
// layout whose directory names datasets.load_dataset maps to the train,
// validation and test splits.
func (p *plan) hf() {
	for _, s := range Splits() {
		items := p.bySplit[s]
		if len(items) == 0 {
			continue
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write(hfColumns)
		for _, it := range items {
			u := it.u
			_ = w.Write(cells(u.ID()+".wav", u.ID(), u.Speaker, it.text, seconds(u.DurationS), u.NoiseBand,
				u.DialectRegion, u.AgeBand, u.Gender, u.Mode))
		}
		w.Flush()
		p.files[s+"/metadata.csv"] = b.Bytes()
	}
}

// nemo writes <split>_manifest.json at the top, audio paths relative to it.
func (p *plan) nemo() {
	for _, s := range Splits() {
		if items := p.bySplit[s]; len(items) > 0 {
			p.files[s+"_manifest.json"] = nemoManifest("audio", withText(items))
		}
	}
}

// cvColumns are the columns of Common Voice's clip TSVs (validated.tsv,
// train.tsv, dev.tsv, test.tsv, invalidated.tsv, other.tsv) since Corpus
// 17.0, in their order: the header of cv-corpus-17.0 and 19.0's TSVs
// (e.g. transcript/<lang>/dev.tsv of the Hugging Face mirrors of
// mozilla-foundation/common_voice_17_0), whose fields
// common-voice/cv-dataset datasets/scripted-speech/README.md ("TSV Fields")
// describes. A loader written for these reads `variant`, `sentence_id` and
// `sentence_domain` by name.
var cvColumns = []string{"client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes", "down_votes",
	"age", "gender", "accents", "variant", "locale", "segment"}

// cvAge maps the profile's age bands to Common Voice's age values (AGES in
// common-voice/common-voice web/src/stores/demographics.ts: teens < 19,
// twenties 19–29, …, nineties > 89). 70_plus spans several of them, so it
// is left empty rather than guessed; speakers.tsv keeps the band.
var cvAge = map[string]string{"under_20": "teens", "20_29": "twenties", "30_39": "thirties", "40_49": "fourties", //nolint:misspell // Common Voice's own spelling of the value
	"50_59": "fifties", "60_69": "sixties"}

// cvGender maps the profile's genders to Common Voice's (GENDERS in the
// same file: male_masculine, female_feminine, intersex, transgender,
// non-binary, do_not_wish_to_say). "other" has no counterpart and is left
// empty.
var cvGender = map[string]string{"female": "female_feminine", "male": "male_masculine", "undisclosed": "do_not_wish_to_say"}

// CVLocale is the locale as Common Voice spells it for a project's BCP 47
// dialect tag: nan-tw for Taiwanese (Minnan), zh-TW for Mandarin in Taiwan
// (common-voice/cv-dataset CHANGELOG.md lists `nan-tw` and `zh-TW`), and
// so on; a tag it does not know is written as given.
func CVLocale(tag string) string {
	switch strings.ToLower(tag) {
	case "nan-tw", "nan-hant-tw", "nan-latn-tw", "nan":
		return "nan-tw"
	case "cmn-tw", "zh-tw", "cmn-hant-tw", "zh-hant-tw":
		return "zh-TW"
	case "cmn-cn", "zh-cn", "cmn-hans-cn", "zh-hans-cn", "cmn":
		return "zh-CN"
	case "zh-hk", "yue-hk":
		return "zh-HK"
	case "yue":
		return "yue"
	}
	return tag
}

// cv writes Common Voice's TSVs. validated.tsv holds every transcribed
// recording (each passed human review: one up vote, no down vote), and
// train.tsv, dev.tsv and test.tsv divide the same rows by speaker;
// invalidated.tsv and other.tsv are there with their header only (a
// release holds no rejected or unreviewed clip), since loaders open them by
// name. clip_durations.tsv lists every clip of clips/.
func (p *plan) cv() {
	locale := CVLocale(oneLine(p.m.Dialect))
	row := func(b *bytes.Buffer, it *item) {
		u := it.u
		h := sha256.Sum256([]byte(it.text))
		writeTSV(b, cells(u.Speaker, u.ID()+".wav", hex.EncodeToString(h[:]), it.text, "", "1", "0",
			cvAge[u.AgeBand], cvGender[u.Gender], u.DialectRegion, "", locale, "")...)
	}
	var all []*item
	for _, s := range Splits() {
		var b bytes.Buffer
		writeTSV(&b, cvColumns...)
		for _, it := range p.bySplit[s] {
			row(&b, it)
			all = append(all, it)
		}
		p.files[s+".tsv"] = b.Bytes()
	}
	slices.SortFunc(all, func(a, b *item) int { return strings.Compare(a.u.ID(), b.u.ID()) })
	var v, d bytes.Buffer
	writeTSV(&v, cvColumns...)
	for _, it := range all {
		row(&v, it)
	}
	p.files["validated.tsv"] = v.Bytes()
	for _, name := range []string{"invalidated.tsv", "other.tsv"} {
		var b bytes.Buffer
		writeTSV(&b, cvColumns...)
		p.files[name] = b.Bytes()
	}
	writeTSV(&d, "clip", "duration[ms]")
	for _, it := range p.items {
		writeTSV(&d, cells(it.u.ID()+".wav", strconv.FormatInt(int64(math.Round(it.u.DurationS*1000)), 10))...)
	}
	p.files["clip_durations.tsv"] = d.Bytes()
}

// speakersTSV lists each speaker once: split, declared profile, recordings
// (WAV files), utterances (rows or lines of the format's index files) and
// seconds of audio.
func (p *plan) speakersTSV() []byte {
	type agg struct {
		first      *item
		recs, utts int
		secs       float64
	}
	by := map[string]*agg{}
	for _, it := range p.items {
		a := by[it.u.Speaker]
		if a == nil {
			a = &agg{first: it}
			by[it.u.Speaker] = a
		}
		a.recs++
		a.utts += it.utts
		a.secs += it.u.DurationS
	}
	var b bytes.Buffer
	writeTSV(&b, "speaker_id", "split", "dialect_region", "age_band", "gender", "recordings", "utterances", "duration_s")
	for _, s := range sortedKeys(by) {
		a := by[s]
		u := a.first.u
		writeTSV(&b, cells(s, a.first.split, u.DialectRegion, u.AgeBand, u.Gender, strconv.Itoa(a.recs), strconv.Itoa(a.utts), seconds(a.secs))...)
	}
	return b.Bytes()
}

// untranscribedTSV lists the recordings without a transcript: they are in
// the archive, but in no split's index, since every index line is a
// transcript.
func (p *plan) untranscribedTSV() []byte {
	var b bytes.Buffer
	writeTSV(&b, "path", "utterance_id", "speaker_id", "split", "duration_s", "mode")
	for _, it := range p.untr {
		writeTSV(&b, cells(p.audioPath(it), it.u.ID(), it.u.Speaker, it.split, seconds(it.u.DurationS), it.u.Mode)...)
	}
	return b.Bytes()
}
