package release_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/release"
	"github.com/dialect-corpus/dialect/release/releasetest"
	"github.com/dialect-corpus/dialect/transcript"
)

// TestLayoutFlatBytesUnchanged: an archive of a release made before issue
// 10 (Meta.Layout 0 or LayoutFlat) has, byte for byte, the SHA-256 it had
// before the layout with splits was written. Releases are immutable: an
// archive built or rebuilt by new code for an old release must be the
// archive the old code built.
func TestLayoutFlatBytesUnchanged(t *testing.T) {
	want := []struct{ src, format, sha string }{
		{"plain", "kaldi", "8826eb2ecb59ce56e780a7f896f40de0399978628523856395296882b0d6a940"},
		{"plain", "hf", "e5b70279c6c28c0df300ec90a6ea50255c5715d55434f73727e18b9b13bafab2"},
		{"plain", "nemo", "4e08f6f109eb576119211c4537ab1e6c8166e81196904b07d18fdbb2f792df39"},
		{"plain", "cv", "5889871cdef121a3935351f1db73e28277b5bc2a5fc922364593272890f982b4"},
		{"segmented", "kaldi", "cde742101deab661fd099975020254284b5a49e9487dea77874379d4a958e3ce"},
		{"segmented", "hf", "22ab5ae8d9c68124c4cb19a0b8431454efd796b58ea9f8b8103d224bc56778fc"},
		{"segmented", "nemo", "3d158fa7d41137dbd8f54f270015f0c50c1b38dedf5347340c5249fa1b0f4a75"},
		{"segmented", "cv", "0e210981b83c9e912c9e14cae881f001e169b513fe1f6afdd0f39b459378f8d7"},
	}
	for _, layout := range []int{0, release.LayoutFlat} {
		for _, w := range want {
			src := sampleSource()
			if w.src == "segmented" {
				src = segmentedSource()
			}
			m := testMeta()
			// What a flat release never had must not matter to it.
			m.Layout, m.Slug, m.License, m.Split = layout, "tainan", "CC BY 4.0", release.SplitConfig{Seed: 9, Train: 34, Dev: 33, Test: 33}
			if got := fmt.Sprintf("%x", sha256.Sum256(write(t, release.Format(w.format), m, src))); got != w.sha {
				t.Errorf("layout %d, %s %s: SHA-256 %s, want %s", layout, w.src, w.format, got, w.sha)
			}
		}
	}
}

// splitMeta is testMeta for the layout with splits.
func splitMeta() *release.Meta {
	m := testMeta()
	m.Layout, m.Slug = release.LayoutSplits, "tainan-2026"
	return m
}

// speakerIn returns n speaker ids that SplitOf puts into split under c.
func speakerIn(c release.SplitConfig, split string, n int) []string {
	var out []string
	for i := 1; len(out) < n; i++ {
		if s := fmt.Sprintf("s%04x", i); release.SplitOf(c, s) == split {
			out = append(out, s)
		}
	}
	return out
}

// cleanSource is a release whose transcripts pass the default transcript
// rules, with speakers in every split: prompted Han and romanized clips, a
// multi-line unsegmented monologue, a transcribed monologue mixing Han and
// romanized segments, a romanized one, a stereo dialogue, and one
// recording with no transcript.
func cleanSource() *memSource {
	c := release.DefaultSplit()
	tr, dv, te := speakerIn(c, release.Train, 2), speakerIn(c, release.Dev, 1), speakerIn(c, release.Test, 1)
	m := &memSource{}
	add := func(speaker, mode, text string, channels int, dur float64, gender string, segs ...release.Segment) {
		m.add(speaker, text, "臺南市", []byte(fmt.Sprintf("RIFF-%d-%s", len(m.utts), text)))
		u := &m.utts[len(m.utts)-1]
		u.Mode, u.Channels, u.DurationS, u.Gender, u.AgeBand, u.Segments = mode, channels, dur, gender, "30_39", segs
		if len(segs) > 0 {
			var texts []string
			for _, s := range segs {
				texts = append(texts, s.Text)
			}
			u.Transcript = strings.Join(texts, "\n")
		}
	}
	add(tr[0], "prompted", "阮兜佇台南。", 1, 2.5, "female")
	add(tr[0], "prompted", "Guá tsin huann-hí.", 1, 3, "female")
	add(tr[1], "monologue", "今仔日天氣真好。\n阮欲去公園。", 1, 12, "male")
	add(tr[1], "monologue", "", 1, 20, "male",
		release.Segment{Start: 9, End: 12, Text: "Guá, tsin huann-hí."}, release.Segment{Start: 1, End: 4, Text: "我是台南人。"},
		release.Segment{Start: 4.5, End: 8, Text: "逐工攏去市場買菜。"}, release.Segment{Start: 13, End: 16, Text: "我用 LINE 傳。"})
	add(dv[0], "monologue", "", 1, 10, "female",
		release.Segment{Start: 1, End: 4, Text: "Guá tsin hó."}, release.Segment{Start: 5, End: 8, Text: "Lí hó bô?"})
	add(te[0], "dialogue", "", 2, 8, "other",
		release.Segment{Start: 0.5, End: 3, Channel: 0, Text: "你食飽未？"}, release.Segment{Start: 2.5, End: 4, Channel: 1, Text: "食飽矣。"})
	add(te[0], "monologue", "", 1, 30, "other") // not transcribed yet
	return m
}

// untar returns the archive's regular files by name relative to its top
// folder.
func untar(t *testing.T, b []byte, f release.Format) *releasetest.Archive {
	t.Helper()
	a, err := releasetest.Verify(bytes.NewReader(b), string(f))
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return a
}

// TestWriteSplits (issue 10): every format unpacks into one folder
// dialect-<project>-r<release>-<format>/, passes the verifier (per-split
// Kaldi data directories, audiofolder split directories, NeMo manifests
// and Common Voice TSVs; no speaker in two splits; speakers.tsv agreeing
// with the files), puts each speaker where SplitOf says, and is written the
// same twice.
func TestWriteSplits(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	src := cleanSource()
	want := map[release.Format][]string{
		release.Kaldi:       {"data/train/text", "data/dev/text", "data/test/text", "data/test/segments", "wav/"},
		release.HuggingFace: {"train/metadata.csv", "dev/metadata.csv", "test/metadata.csv", "untranscribed/"},
		release.NeMo:        {"train_manifest.json", "dev_manifest.json", "test_manifest.json", "audio/"},
		release.CommonVoice: {"validated.tsv", "train.tsv", "dev.tsv", "test.tsv", "invalidated.tsv", "other.tsv", "clip_durations.tsv", "clips/"},
	}
	for _, f := range release.Formats() {
		t.Run(string(f), func(t *testing.T) {
			b := write(t, f, splitMeta(), src)
			if again := write(t, f, splitMeta(), src); !bytes.Equal(b, again) {
				t.Fatal("two writes differ")
			}
			a := untar(t, b, f)
			top := "dialect-tainan-2026-r2-" + string(f) + "/"
			if a.Top != top || a.Names[0] != top {
				t.Fatalf("top folder %q (first entry %q), want %q", a.Top, a.Names[0], top)
			}
			for _, n := range a.Names {
				if !strings.HasPrefix(n, top) {
					t.Errorf("entry %q outside %s", n, top)
				}
			}
			for _, name := range append(want[f], "README.md", "SHA256SUMS", "speakers.tsv", "untranscribed.tsv", "textgrid/", "srt/") {
				if _, ok := a.Files[name]; !ok && !slices.Contains(a.Names, top+name) {
					t.Errorf("no %s", name)
				}
			}
			if len(a.Audio) != len(src.utts) {
				t.Fatalf("%d WAVs, want %d", len(a.Audio), len(src.utts))
			}
			for _, u := range src.utts {
				if got, want := a.Split[u.ID()], release.SplitOf(release.DefaultSplit(), u.Speaker); got != want {
					t.Errorf("%s in %q, want %q", u.ID(), got, want)
				}
				if !bytes.Equal(a.Audio[u.ID()], src.audio[u.ClipID]) {
					t.Errorf("audio of %s differs", u.ID())
				}
			}
		})
	}
}

// TestSplitStable: a speaker's split depends only on the seed and their id:
// speakers added in a later release move no one; another seed moves some;
// the shares approach the configured percentages; 100/0/0 puts everyone in
// train; a split with no speaker is written as the datasheet says.
func TestSplitStable(t *testing.T) {
	small := cleanSource()
	big := cleanSource()
	for i := range 30 {
		big.add(fmt.Sprintf("s9%03d", i), "好。", "臺南市", []byte(fmt.Sprintf("RIFF-extra-%d", i)))
	}
	for _, f := range release.Formats() {
		a1 := untar(t, write(t, f, splitMeta(), small), f)
		a2 := untar(t, write(t, f, splitMeta(), big), f)
		for id, s := range a1.Split {
			if a2.Split[id] != s {
				t.Errorf("%s: %s moved from %s to %s when speakers were added", f, id, s, a2.Split[id])
			}
		}
	}
	counts := map[string]int{}
	moved := 0
	other := release.SplitConfig{Seed: 42, Train: 80, Dev: 10, Test: 10}
	for i := range 2000 {
		s := fmt.Sprintf("s%016x", i*7919)
		counts[release.SplitOf(release.DefaultSplit(), s)]++
		if release.SplitOf(other, s) != release.SplitOf(release.DefaultSplit(), s) {
			moved++
		}
		if got := release.SplitOf(release.SplitConfig{Train: 100}, s); got != release.Train {
			t.Fatalf("100/0/0 put %s in %s", s, got)
		}
	}
	if counts[release.Train] < 1500 || counts[release.Train] > 1700 || counts[release.Dev] < 140 || counts[release.Dev] > 260 ||
		counts[release.Test] < 140 || counts[release.Test] > 260 {
		t.Errorf("2000 speakers at 80/10/10: %v", counts)
	}
	if moved < 200 {
		t.Errorf("another seed moved only %d of 2000 speakers", moved)
	}
	// The formula the datasheet gives, computed here by hand.
	h := sha256.Sum256([]byte("42:s00000000000001ef"))
	var n uint64
	for _, c := range h[:8] {
		n = n<<8 | uint64(c)
	}
	want := map[bool]string{true: release.Train, false: release.Dev}[n%100 < 80]
	if n%100 >= 90 {
		want = release.Test
	}
	if got := release.SplitOf(other, "s00000000000001ef"); got != want {
		t.Errorf("SplitOf = %s, the documented formula says %s", got, want)
	}
}

// TestSplitsSmallRelease: a release with one speaker fills one split; the
// others are left out (Kaldi, Hugging Face, NeMo) or header-only (Common
// Voice), never filled by moving a speaker, and the datasheet says so.
func TestSplitsSmallRelease(t *testing.T) {
	sp := speakerIn(release.DefaultSplit(), release.Dev, 1)[0]
	src := &memSource{}
	src.add(sp, "阮兜佇台南。", "臺南市", []byte("RIFF-only"))
	for _, f := range release.Formats() {
		a := untar(t, write(t, f, splitMeta(), src), f)
		for name := range a.Files {
			for _, s := range []string{"train", "test"} {
				if strings.HasPrefix(name, "data/"+s+"/") || strings.HasPrefix(name, s+"/") || name == s+"_manifest.json" {
					t.Errorf("%s: %s written for an empty split", f, name)
				}
			}
		}
		if f == release.CommonVoice {
			if got := string(a.Files["train.tsv"]); got != strings.Join(releasetest.CVColumns, "\t")+"\n" {
				t.Errorf("cv train.tsv = %q, want the header only", got)
			}
		}
		readme := string(a.Files["README.md"])
		if !strings.Contains(readme, "This release has no train or test split") || !strings.Contains(readme, "| dev | 1 | 1 | 1 |") {
			t.Errorf("%s: README.md does not state the empty splits:\n%s", f, readme)
		}
	}
}

// TestJoinTexts: a recording's utterances joined on one line pass the
// transcript rules as each did: Han without spaces, romanized neighbours
// with one, romanized marks full-width beside Han under width auto.
func TestJoinTexts(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		width string
		want  string
	}{
		{[]string{"我是台南人。", "逐工攏去市場買菜。"}, "auto", "我是台南人。逐工攏去市場買菜。"},
		{[]string{"我是台南人。", "Guá, tsin huann-hí.", "我用 LINE 傳。"}, "auto", "我是台南人。Guá，tsin huann-hí。我用 LINE 傳。"},
		{[]string{"Guá tsin hó.", "Lí hó bô?"}, "auto", "Guá tsin hó. Lí hó bô?"},
		{[]string{"欲去 tshī-tiûnn", "LINE 傳"}, "auto", "欲去 tshī-tiûnn LINE 傳"},
		{[]string{"  我好。 ", "", "\t你好。"}, "auto", "我好。你好。"},
		{[]string{"我好.", "你好."}, "half", "我好.你好."},
		{[]string{"Guá tsin hó。", "Lí hó bô？"}, "full", "Guá tsin hó。Lí hó bô？"},
		{nil, "auto", ""},
	} {
		got := release.JoinTexts(tc.parts, tc.width)
		if got != tc.want {
			t.Errorf("JoinTexts(%q, %s) = %q, want %q", tc.parts, tc.width, got, tc.want)
		}
		if got == "" {
			continue
		}
		cfg := transcript.DefaultConfig()
		cfg.Width = tc.width
		if fs := transcript.Lint(got, cfg); len(fs) > 0 {
			t.Errorf("JoinTexts(%q, %s) = %q: lint finds %v", tc.parts, tc.width, got, fs)
		}
	}
}

// textFiles are the text-bearing files of a layout-with-splits archive and
// how `dialect lint` reads each.
func textFiles(a *releasetest.Archive) map[string]transcript.ReadOptions {
	out := map[string]transcript.ReadOptions{}
	for name := range a.Files {
		base := name[strings.LastIndexByte(name, '/')+1:]
		switch {
		case base == "text":
			out[name] = transcript.ReadOptions{Format: transcript.Kaldi}
		case base == "metadata.csv":
			out[name] = transcript.ReadOptions{Format: transcript.CSV, Column: "transcription"}
		case strings.HasSuffix(name, "_manifest.json"):
			out[name] = transcript.ReadOptions{Format: transcript.JSONL}
		case slices.Contains([]string{"validated.tsv", "train.tsv", "dev.tsv", "test.tsv", "invalidated.tsv", "other.tsv"}, name):
			out[name] = transcript.ReadOptions{Format: transcript.TSV, Column: "sentence"}
		case strings.HasSuffix(name, ".TextGrid"):
			out[name] = transcript.ReadOptions{Format: transcript.TextGrid}
		case strings.HasSuffix(name, ".srt"):
			out[name] = transcript.ReadOptions{Format: transcript.SRT}
		}
	}
	return out
}

// TestLayoutSplitsLint (issue 10): every text-bearing file of every format
// passes the transcript rules with no finding at all (--strict); the joined
// rows have no space between Han text; and the reader really reads each
// file: a 、 put into it is found.
func TestLayoutSplitsLint(t *testing.T) {
	src := cleanSource()
	for _, f := range release.Formats() {
		a := untar(t, write(t, f, splitMeta(), src), f)
		files := textFiles(a)
		if len(files) < 4 {
			t.Fatalf("%s: text files %v", f, files)
		}
		for name, opts := range files {
			var n int
			err := transcript.LintStream(bytes.NewReader(a.Files[name]), opts, transcript.DefaultConfig(), func(u transcript.Utterance, fs []transcript.Finding) error {
				for _, x := range fs {
					t.Errorf("%s %s:%d:%d: %s %s in %q", f, name, x.Line, x.Column, x.Rule, x.Message, u.Text)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s %s: %v", f, name, err)
			}
			// The control: a 、 after the first 。 is found.
			bad := bytes.Replace(a.Files[name], []byte("。"), []byte("。、"), 1)
			if bytes.Equal(bad, a.Files[name]) {
				continue // a header-only TSV
			}
			_ = transcript.LintStream(bytes.NewReader(bad), opts, transcript.DefaultConfig(), func(_ transcript.Utterance, fs []transcript.Finding) error {
				n += len(fs)
				return nil
			})
			if n == 0 {
				t.Errorf("%s %s: a 、 put into it is not found", f, name)
			}
		}
		all := ""
		for name := range files {
			all += string(a.Files[name])
		}
		for _, want := range map[release.Format][]string{
			release.Kaldi:       {"今仔日天氣真好。阮欲去公園。", "我是台南人。\n"},
			release.HuggingFace: {",我是台南人。逐工攏去市場買菜。Guá，tsin huann-hí。我用 LINE 傳。,", ",Guá tsin hó. Lí hó bô?,"},
			release.NeMo:        {`"text":"我是台南人。逐工攏去市場買菜。Guá，tsin huann-hí。我用 LINE 傳。"`, `"text":"你食飽未？食飽矣。"`},
			release.CommonVoice: {"\t我是台南人。逐工攏去市場買菜。Guá，tsin huann-hí。我用 LINE 傳。\t", "\t今仔日天氣真好。阮欲去公園。\t"},
		}[f] {
			if !strings.Contains(all, want) {
				t.Errorf("%s: no %q in the text files", f, want)
			}
		}
		if regexp.MustCompile(`\p{Han}[。，？！]? \p{Han}`).MatchString(all) {
			t.Errorf("%s: a space between Han text in the index files", f)
		}
	}
}

// TestCommonVoiceSchema (issue 10): validated.tsv and its splits have the
// columns of current Common Voice releases, in order, with Common Voice's
// own values: age thirties, gender female_feminine / male_masculine (other
// left empty), the locale nan-tw, sentence_id the SHA-256 of the sentence.
func TestCommonVoiceSchema(t *testing.T) {
	a := untar(t, write(t, release.CommonVoice, splitMeta(), cleanSource()), release.CommonVoice)
	rows := strings.Split(strings.TrimSuffix(string(a.Files["validated.tsv"]), "\n"), "\n")
	if rows[0] != "client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender\taccents\tvariant\tlocale\tsegment" {
		t.Fatalf("header %q", rows[0])
	}
	genders := map[string]bool{}
	for _, r := range rows[1:] {
		c := strings.Split(r, "\t")
		h := sha256.Sum256([]byte(c[3]))
		if c[2] != hex.EncodeToString(h[:]) || c[5] != "1" || c[6] != "0" || c[7] != "thirties" || c[11] != "nan-tw" || c[9] != "臺南市" {
			t.Errorf("row %q", c)
		}
		genders[c[8]] = true
	}
	for g := range genders {
		if g != "female_feminine" && g != "male_masculine" && g != "" {
			t.Errorf("gender %q is not Common Voice's", g)
		}
	}
	if !genders["female_feminine"] || !genders["male_masculine"] || !genders[""] {
		t.Errorf("genders %v", genders)
	}
	for tag, want := range map[string]string{"nan-TW": "nan-tw", "cmn-TW": "zh-TW", "zh-Hant-TW": "zh-TW", "yue": "yue", "xx-YY": "xx-YY"} {
		if got := release.CVLocale(tag); got != want {
			t.Errorf("CVLocale(%s) = %s, want %s", tag, got, want)
		}
	}
}

// TestKaldiSpk2gender: a split whose speakers all declared female or male
// has spk2gender (f, m); a split with a speaker who declared "other" has
// none, and the datasheet explains why.
func TestKaldiSpk2gender(t *testing.T) {
	a := untar(t, write(t, release.Kaldi, splitMeta(), cleanSource()), release.Kaldi)
	c := release.DefaultSplit()
	tr := speakerIn(c, release.Train, 2)
	if got, want := string(a.Files["data/train/spk2gender"]), tr[0]+" f\n"+tr[1]+" m\n"; got != want {
		t.Errorf("train spk2gender %q, want %q", got, want)
	}
	if got := string(a.Files["data/dev/spk2gender"]); got != speakerIn(c, release.Dev, 1)[0]+" f\n" {
		t.Errorf("dev spk2gender %q", got)
	}
	if _, ok := a.Files["data/test/spk2gender"]; ok {
		t.Error("test has a speaker of gender other, yet spk2gender")
	}
	if readme := string(a.Files["README.md"]); !strings.Contains(readme, "has no `spk2gender`") || !strings.Contains(readme, "localedef -i en_US -f UTF-8 en_US.UTF-8") {
		t.Error("README.md says nothing of spk2gender or the locale validate_data_dir.sh needs")
	}
}

// TestDatasheetCounts (issue 10): the datasheet's recordings, utterances,
// speakers and per-split rows are what the files hold; its validation steps
// are a flat list numbered 1, 2, 3 with the rule table after it; the
// licence section is the project's, or says in zh-TW and English that none
// was set.
func TestDatasheetCounts(t *testing.T) {
	src := cleanSource()
	for _, f := range release.Formats() {
		a := untar(t, write(t, f, splitMeta(), src), f)
		readme := string(a.Files["README.md"])
		spk, recs, utts := map[string]map[string]bool{}, map[string]int{}, map[string]int{}
		for id, s := range a.Split {
			if spk[s] == nil {
				spk[s] = map[string]bool{}
			}
			if !strings.Contains(string(a.Files["untranscribed.tsv"]), id) {
				spk[s][a.Speaker[id]] = true
				recs[s]++
			}
		}
		// Utterances counted from the files themselves.
		for _, s := range []string{"train", "dev", "test"} {
			for name, opts := range textFiles(a) {
				if name == "data/"+s+"/text" || name == s+"/metadata.csv" || name == s+"_manifest.json" || name == s+".tsv" {
					utts[s] += countRecords(t, a.Files[name], opts)
				}
			}
		}
		total := 0
		for _, s := range []string{"train", "dev", "test"} {
			row := fmt.Sprintf("| %s | %d | %d | %d |", s, len(spk[s]), recs[s], utts[s])
			if !strings.Contains(readme, row) {
				t.Errorf("%s: README.md lacks the row %q", f, row)
			}
			total += utts[s]
		}
		for _, want := range []string{
			fmt.Sprintf("| recordings | %d (WAV files) |", len(a.Audio)),
			fmt.Sprintf("| utterances | %d: ", total),
			fmt.Sprintf("| speakers | %d |", len(a.Utterances)),
			"| untranscribed | 1 | 1 | 0 |",
			"1. Automatic audio checks", "\n2. Transcript lint", "\n3. Human review",
		} {
			if !strings.Contains(readme, want) {
				t.Errorf("%s: README.md lacks %q", f, want)
			}
		}
		list := regexp.MustCompile(`(?m)^1\. .*\n2\. .*\n3\. .*\n\n\| rule \| checks \|`)
		if !list.MatchString(readme) {
			t.Errorf("%s: the validation steps are not a flat 1-2-3 list followed by the rule table", f)
		}
		if !strings.Contains(readme, "本計畫沒有為這個版本設定授權或使用條款") || !strings.Contains(readme, "The project set no licence or terms of use") {
			t.Errorf("%s: no default licence statement", f)
		}
	}
	m := splitMeta()
	m.License, m.Terms = "CC BY-NC 4.0", "Research use only.\n\nDo not re-identify | speakers <script>."
	readme := string(untar(t, write(t, release.NeMo, m, src), release.NeMo).Files["README.md"])
	if !strings.Contains(readme, "Licence: CC BY-NC 4.0\n\nResearch use only.\n\nDo not re-identify \\| speakers &lt;script&gt;.") ||
		strings.Contains(readme, "The project set no licence") {
		t.Errorf("licence section:\n%s", readme)
	}
}

// countRecords is the number of utterances `dialect lint` reads in a file.
func countRecords(t *testing.T, data []byte, opts transcript.ReadOptions) int {
	t.Helper()
	cfg := transcript.DefaultConfig()
	cfg.MaxLength = 1 // every utterance reports itself
	n := 0
	if err := transcript.LintStream(bytes.NewReader(data), opts, cfg, func(transcript.Utterance, []transcript.Finding) error {
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHFMetadataReadsAsCSV: each split's metadata.csv is RFC 4180 CSV whose
// file_name is a WAV beside it, the way datasets' audiofolder reads it.
func TestHFMetadataReadsAsCSV(t *testing.T) {
	a := untar(t, write(t, release.HuggingFace, splitMeta(), cleanSource()), release.HuggingFace)
	n := 0
	for _, s := range release.Splits() {
		rows, err := csv.NewReader(bytes.NewReader(a.Files[s+"/metadata.csv"])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1:] {
			if _, ok := a.Files[s+"/"+r[0]]; !ok {
				t.Errorf("%s/metadata.csv: %s is not beside it", s, r[0])
			}
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d rows, want the 6 transcribed recordings", n)
	}
}

// TestWriteSplitsRefuses: a layout with splits needs a slug fit for a folder
// name and percentages that add up to 100.
func TestWriteSplitsRefuses(t *testing.T) {
	for name, mut := range map[string]func(*release.Meta){
		"no slug":     func(m *release.Meta) { m.Slug = "" },
		"slug a path": func(m *release.Meta) { m.Slug = "../x" },
		"150 percent": func(m *release.Meta) { m.Split = release.SplitConfig{Train: 50, Dev: 50, Test: 50} },
		"negative":    func(m *release.Meta) { m.Split = release.SplitConfig{Train: 110, Dev: -10} },
	} {
		m := splitMeta()
		mut(m)
		if _, err := release.Write(context.Background(), &bytes.Buffer{}, release.Kaldi, m, cleanSource()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// The longest slug still fits USTAR's names (a 155-byte prefix and a
	// 100-byte name).
	m := splitMeta()
	m.Slug, m.Number = strings.Repeat("x", 64), 12345
	for _, f := range release.Formats() {
		if a := untar(t, write(t, f, m, segmentedSource()), f); !strings.HasPrefix(a.Top, "dialect-"+m.Slug+"-r12345-") {
			t.Errorf("%s: top %q", f, a.Top)
		}
	}
	if err := (release.SplitConfig{Train: 90, Test: 10}).Validate(); err != nil {
		t.Errorf("90/0/10: %v", err)
	}
	if got := strconv.Itoa(release.DefaultSplit().Train); got != "80" {
		t.Errorf("default train %s", got)
	}
}
