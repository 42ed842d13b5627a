// Package releasetest checks a vendor archive the way a careful vendor
// would: the tar is safe to extract (reliability.md S-09), SHA256SUMS is
// right, the index files agree with each other and with the audio, CSV and
// TSV cells are formula-safe (Z-06), a Kaldi directory passes the rules
// of Kaldi's utils/validate_data_dir.sh (with or without `segments`), and
// the TextGrid and SRT files of transcribed recordings come in pairs. Tests of release, corpus, server and
// cmd share it.
package releasetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Archive is an unpacked archive.
type Archive struct {
	Names []string          // entry names in archive order
	Files map[string][]byte // regular files
	// Audio maps utterance id → WAV bytes.
	Audio map[string][]byte
	// Speaker maps utterance id → speaker id (from the format's index).
	Speaker map[string]string
	ModTime time.Time
	// Top is the folder a LayoutSplits archive unpacks into, with its
	// trailing slash ("" for a flat archive). Files, Audio and the names
	// the checks use are relative to it.
	Top string
	// Split maps utterance id → train, dev or test (LayoutSplits only).
	Split map[string]string
	// Utterances maps speaker → lines or rows of the format's index files.
	Utterances map[string]int
	// AudioPath maps utterance id → its WAV's name, relative to Top.
	AudioPath map[string]string
}

var audioDirs = map[string]string{"kaldi": "wav", "hf": "data", "nemo": "audio", "cv": "clips"}

// Verify reads a whole archive of format ("kaldi", "hf", "nemo", "cv") and
// returns it, or the first rule it breaks.
func Verify(r io.Reader, format string) (*Archive, error) {
	dir, ok := audioDirs[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q", format)
	}
	a := &Archive{Files: map[string][]byte{}, Audio: map[string][]byte{}, Speaker: map[string]string{},
		Split: map[string]string{}, Utterances: map[string]int{}, AudioPath: map[string]string{}}
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		switch {
		case !filepath.IsLocal(name) || strings.Contains(h.Name, `\`) || path.Clean(name) != name:
			return nil, fmt.Errorf("entry %q: not a local name", h.Name)
		case h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir:
			return nil, fmt.Errorf("entry %q: type %q (only files and directories)", h.Name, h.Typeflag)
		case h.Linkname != "":
			return nil, fmt.Errorf("entry %q: has a link name", h.Name)
		case seen[name]:
			return nil, fmt.Errorf("entry %q twice", h.Name)
		case h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "":
			return nil, fmt.Errorf("entry %q: owner %d/%d %q/%q", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if i == 0 {
			a.ModTime = h.ModTime
			if h.Typeflag == tar.TypeDir && topFolder.MatchString(h.Name) {
				if !strings.HasSuffix(name, "-"+format) {
					return nil, fmt.Errorf("top folder %q is not of format %s", h.Name, format)
				}
				a.Top = h.Name
			}
		} else if !h.ModTime.Equal(a.ModTime) {
			return nil, fmt.Errorf("entry %q: mtime %v, first entry %v", h.Name, h.ModTime, a.ModTime)
		}
		if len(a.Names) > 0 && h.Name <= a.Names[len(a.Names)-1] {
			return nil, fmt.Errorf("entry %q after %q: not sorted", h.Name, a.Names[len(a.Names)-1])
		}
		if i > 0 && a.Top != "" && !strings.HasPrefix(h.Name, a.Top) {
			return nil, fmt.Errorf("entry %q is outside the top folder %s", h.Name, a.Top)
		}
		seen[name] = true
		a.Names = append(a.Names, h.Name)
		if h.Typeflag == tar.TypeDir {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", h.Name, err)
		}
		name = strings.TrimPrefix(name, a.Top)
		a.Files[name] = b
		if a.Top == "" && strings.HasPrefix(name, dir+"/") && strings.HasSuffix(name, ".wav") {
			a.Audio[strings.TrimSuffix(strings.TrimPrefix(name, dir+"/"), ".wav")] = b
		}
	}
	if a.Top != "" {
		if err := a.verifySplits(format); err != nil {
			return nil, err
		}
		return a, nil
	}
	if err := a.checkSums(); err != nil {
		return nil, err
	}
	for _, need := range []string{"README.md", "speakers.tsv"} {
		if _, ok := a.Files[need]; !ok {
			return nil, fmt.Errorf("no %s", need)
		}
	}
	if err := a.checkSegmentFiles(); err != nil {
		return nil, err
	}
	var err error
	switch format {
	case "kaldi":
		err = a.checkKaldi()
	case "hf":
		err = a.checkHF()
	case "nemo":
		err = a.checkNeMo()
	case "cv":
		err = a.checkCV()
	}
	if err != nil {
		return nil, err
	}
	if err := a.checkSpeakers(); err != nil {
		return nil, err
	}
	return a, nil
}

// checkSums recomputes SHA256SUMS: one line per file but itself, sorted,
// each hash right.
func (a *Archive) checkSums() error {
	sums, ok := a.Files["SHA256SUMS"]
	if !ok {
		return errors.New("no SHA256SUMS")
	}
	listed := map[string]bool{}
	var prev string
	for _, line := range lines(sums) {
		hash, name, ok := strings.Cut(line, "  ")
		if !ok || len(hash) != 64 {
			return fmt.Errorf("SHA256SUMS: bad line %q", line)
		}
		b, ok := a.Files[name]
		if !ok {
			return fmt.Errorf("SHA256SUMS lists %q, not in the archive", name)
		}
		h := sha256.Sum256(b)
		if hex.EncodeToString(h[:]) != hash {
			return fmt.Errorf("SHA256SUMS: %s does not match", name)
		}
		if name <= prev {
			return fmt.Errorf("SHA256SUMS: %q not sorted", name)
		}
		prev = name
		listed[name] = true
	}
	for name := range a.Files {
		if name != "SHA256SUMS" && !listed[name] {
			return fmt.Errorf("SHA256SUMS does not list %s", name)
		}
	}
	return nil
}

// utts is the sorted list of utterance ids that have audio.
func (a *Archive) utts() []string {
	var ids []string
	for id := range a.Audio {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// checkKaldi applies the rules of Kaldi's utils/validate_data_dir.sh
// (--no-feats): every file sorted in C-locale order with unique keys;
// text, utt2spk and the other utt2* files list exactly the same
// utterances; spk2utt is exactly what utt2spk_to_spk2utt.pl makes of
// utt2spk; speaker ids are prefixes of utterance ids so both sort orders
// agree. Without a `segments` file, wav.scp is keyed by utterance, lists
// exactly the utterances and points at their files in the archive. With
// one (checkKaldiSegments), wav.scp is keyed by recording.
func (a *Archive) checkKaldi() error {
	_, segmented := a.Files["segments"]
	names := []string{"wav.scp", "text", "utt2spk", "utt2dur", "utt2dialect", "utt2noise", "spk2utt"}
	if segmented {
		names = append(names, "segments", "reco2dur")
	}
	tables := map[string][][2]string{}
	keys := map[string][]string{}
	for _, name := range names {
		b, ok := a.Files[name]
		if !ok {
			return fmt.Errorf("kaldi: no %s", name)
		}
		if bytes.Contains(b, []byte("\r")) || (len(b) > 0 && b[len(b)-1] != '\n') {
			return fmt.Errorf("kaldi: %s: CR or no final newline", name)
		}
		var rows [][2]string
		for _, l := range lines(b) {
			k, v, _ := strings.Cut(l, " ")
			if k == "" || strings.ContainsAny(k, "\t") {
				return fmt.Errorf("kaldi: %s: bad line %q", name, l)
			}
			if name != "text" && (v == "" || strings.Contains(v, "\t")) {
				return fmt.Errorf("kaldi: %s: bad value in %q", name, l)
			}
			if name != "text" && name != "spk2utt" && name != "segments" && name != "wav.scp" && strings.Contains(v, " ") {
				return fmt.Errorf("kaldi: %s: value %q is not one token", name, v)
			}
			if n := len(keys[name]); n > 0 && k <= keys[name][n-1] {
				return fmt.Errorf("kaldi: %s not sorted or not unique at %q (LC_ALL=C sort)", name, k)
			}
			keys[name] = append(keys[name], k)
			rows = append(rows, [2]string{k, v})
		}
		tables[name] = rows
	}
	want := a.utts()
	if segmented {
		want = keys["segments"]
	}
	for _, name := range []string{"text", "utt2spk", "utt2dur", "utt2dialect", "utt2noise"} {
		if !slices.Equal(keys[name], want) {
			return fmt.Errorf("kaldi: %s lists %d utterances, want %d, or other ids", name, len(keys[name]), len(want))
		}
	}
	// audioOf maps each utterance to the audio file (utterance id of the
	// clip) it is cut from.
	audioOf := map[string]string{}
	if segmented {
		var err error
		if audioOf, err = a.checkKaldiSegments(tables); err != nil {
			return err
		}
	} else {
		if !slices.Equal(keys["wav.scp"], want) {
			return fmt.Errorf("kaldi: wav.scp lists %d utterances, the audio %d, or other ids", len(keys["wav.scp"]), len(want))
		}
		for _, r := range tables["wav.scp"] {
			if r[1] != "wav/"+r[0]+".wav" {
				return fmt.Errorf("kaldi: wav.scp: %s → %q", r[0], r[1])
			}
			audioOf[r[0]] = r[0]
		}
	}
	spk2utt := map[string][]string{}
	var spks []string
	for _, r := range tables["utt2spk"] {
		if !strings.HasPrefix(r[0], r[1]+"-") {
			return fmt.Errorf("kaldi: speaker %s is not a prefix of utterance %s", r[1], r[0])
		}
		if spk2utt[r[1]] == nil {
			spks = append(spks, r[1])
		}
		spk2utt[r[1]] = append(spk2utt[r[1]], r[0])
		clip := audioOf[r[0]]
		if prev, ok := a.Speaker[clip]; ok && prev != r[1] {
			return fmt.Errorf("kaldi: recording %s has utterances of speakers %s and %s", clip, prev, r[1])
		}
		a.Speaker[clip] = r[1]
	}
	slices.Sort(spks)
	var got []string
	for _, r := range tables["spk2utt"] {
		got = append(got, r[0]+" "+r[1])
	}
	var derived []string
	for _, s := range spks {
		derived = append(derived, s+" "+strings.Join(spk2utt[s], " "))
	}
	if !slices.Equal(got, derived) {
		return errors.New("kaldi: spk2utt is not utt2spk_to_spk2utt.pl of utt2spk")
	}
	return nil
}

// scpChannel is the wav.scp command that extracts one channel of a file.
var scpChannel = regexp.MustCompile(`^sox wav/([^ /]+)\.wav -t wav - remix ([1-9][0-9]*) \|$`)

// checkKaldiSegments checks a segmented Kaldi directory as
// validate_data_dir.sh does, and a little more: every line of `segments`
// has four fields, a number start >= 0 and end > start; the recordings it
// names (column 2, sorted and unique) are exactly wav.scp's and reco2dur's;
// no segment ends after its recording's reco2dur; utt2dur is each
// segment's length. Each wav.scp line points at an audio file of the
// archive, whole ("<rec> wav/<rec>.wav") or one channel of it
// ("<rec>-<ch> sox wav/<rec>.wav -t wav - remix <ch> |"), and every audio
// file is used. A clip with a TextGrid is transcribed: its utterances are
// segments; any other is one utterance, the whole file, with the file's id.
// It returns the audio file of each utterance.
func (a *Archive) checkKaldiSegments(tables map[string][][2]string) (map[string]string, error) {
	fileOf := map[string]string{} // recording → audio file
	var scpRecs []string
	for _, r := range tables["wav.scp"] {
		scpRecs = append(scpRecs, r[0])
		if m := scpChannel.FindStringSubmatch(r[1]); m != nil {
			if r[0] != m[1]+"-"+m[2] {
				return nil, fmt.Errorf("kaldi: wav.scp: %s extracts channel %s of %s", r[0], m[2], m[1])
			}
			fileOf[r[0]] = m[1]
		} else if r[1] == "wav/"+r[0]+".wav" {
			fileOf[r[0]] = r[0]
		} else {
			return nil, fmt.Errorf("kaldi: wav.scp: %s → %q", r[0], r[1])
		}
		if _, ok := a.Audio[fileOf[r[0]]]; !ok {
			return nil, fmt.Errorf("kaldi: wav.scp: %s → %q, not in the archive", r[0], r[1])
		}
	}
	dur := map[string]float64{}
	var durRecs []string
	for _, r := range tables["reco2dur"] {
		d, err := strconv.ParseFloat(r[1], 64)
		if err != nil || !(d > 0) {
			return nil, fmt.Errorf("kaldi: reco2dur: %s %q", r[0], r[1])
		}
		dur[r[0]] = d
		durRecs = append(durRecs, r[0])
	}
	uttDur := map[string]string{}
	for _, r := range tables["utt2dur"] {
		uttDur[r[0]] = r[1]
	}
	audioOf := map[string]string{}
	used := map[string]bool{}
	segRecs := map[string]bool{}
	for _, r := range tables["segments"] {
		f := strings.Fields(r[1])
		if len(f) != 3 || r[1] != strings.Join(f, " ") {
			return nil, fmt.Errorf("kaldi: segments: bad line %q", r[0]+" "+r[1])
		}
		start, err1 := strconv.ParseFloat(f[1], 64)
		end, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || !(start >= 0) || !(end > start) {
			return nil, fmt.Errorf("kaldi: segments: %s: want 0 <= start < end, got %q", r[0], r[1])
		}
		d, ok := dur[f[0]]
		if !ok {
			return nil, fmt.Errorf("kaldi: segments: %s: recording %s not in reco2dur", r[0], f[0])
		}
		if end > d+1e-9 {
			return nil, fmt.Errorf("kaldi: segments: %s ends at %s, after its recording (%s s)", r[0], f[2], strconv.FormatFloat(d, 'f', -1, 64))
		}
		if ud, err := strconv.ParseFloat(uttDur[r[0]], 64); err != nil || math.Abs(ud-(end-start)) > 0.0015 {
			return nil, fmt.Errorf("kaldi: utt2dur of %s is %q, the segment %.3f s", r[0], uttDur[r[0]], end-start)
		}
		file, ok := fileOf[f[0]]
		if !ok {
			return nil, fmt.Errorf("kaldi: segments: %s: recording %s not in wav.scp", r[0], f[0])
		}
		if r[0] != file && !strings.HasPrefix(r[0], file+"-") {
			return nil, fmt.Errorf("kaldi: segments: utterance %s is not named after its recording %s", r[0], file)
		}
		_, transcribed := a.Files["textgrid/"+file+".TextGrid"]
		if whole := r[0] == file; whole == transcribed || whole && (start != 0 || end != d || f[0] != file) {
			return nil, fmt.Errorf("kaldi: segments: %s: a transcribed recording is cut into segments, any other is one whole-file utterance", r[0])
		}
		audioOf[r[0]] = file
		used[file] = true
		segRecs[f[0]] = true
	}
	var recs []string
	for r := range segRecs {
		recs = append(recs, r)
	}
	slices.Sort(recs)
	if !slices.Equal(recs, scpRecs) {
		return nil, errors.New("kaldi: the recording ids of segments and of wav.scp differ")
	}
	if !slices.Equal(recs, durRecs) {
		return nil, errors.New("kaldi: the recording ids of segments and of reco2dur differ")
	}
	for id := range a.Audio {
		if !used[id] {
			return nil, fmt.Errorf("kaldi: no segment of %s", id)
		}
	}
	return audioOf, nil
}

// checkSegmentFiles: textgrid/<utt>.TextGrid and srt/<utt>.srt come in
// pairs, each for an utterance with audio; nothing else is in those
// directories.
func (a *Archive) checkSegmentFiles() error {
	for name := range a.Files {
		dir, file := path.Split(name)
		var ext, other string
		switch dir {
		case "textgrid/":
			ext, other = ".TextGrid", "srt/"+strings.TrimSuffix(file, ".TextGrid")+".srt"
		case "srt/":
			ext, other = ".srt", "textgrid/"+strings.TrimSuffix(file, ".srt")+".TextGrid"
		default:
			continue
		}
		utt, ok := strings.CutSuffix(file, ext)
		if !ok {
			return fmt.Errorf("%s: want %s<utt>%s", name, dir, ext)
		}
		if _, ok := a.Audio[utt]; !ok {
			return fmt.Errorf("%s: no audio %s", name, utt)
		}
		if _, ok := a.Files[other]; !ok {
			return fmt.Errorf("%s without %s", name, other)
		}
	}
	return nil
}

func (a *Archive) checkHF() error {
	rows, err := readCSV(a.Files["metadata.csv"], ',')
	if err != nil {
		return fmt.Errorf("hf: metadata.csv: %w", err)
	}
	return a.checkTable("hf metadata.csv", rows, "file_name", "data/", "speaker_id")
}

func (a *Archive) checkCV() error {
	rows, err := readTSV(a.Files["validated.tsv"])
	if err != nil {
		return fmt.Errorf("cv: validated.tsv: %w", err)
	}
	if err := a.checkTable("cv validated.tsv", rows, "path", "", "client_id"); err != nil {
		return err
	}
	durs, err := readTSV(a.Files["clip_durations.tsv"])
	if err != nil {
		return fmt.Errorf("cv: clip_durations.tsv: %w", err)
	}
	if len(durs)-1 != len(a.Audio) {
		return fmt.Errorf("cv: clip_durations.tsv has %d rows, %d clips", len(durs)-1, len(a.Audio))
	}
	return nil
}

func (a *Archive) checkNeMo() error {
	var ids []string
	for _, l := range lines(a.Files["manifest.json"]) {
		var m struct {
			AudioFilepath string   `json:"audio_filepath"`
			Duration      *float64 `json:"duration"`
			Text          *string  `json:"text"`
			Speaker       string   `json:"speaker"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			return fmt.Errorf("nemo: manifest line %q: %w", l, err)
		}
		if m.Duration == nil || m.Text == nil {
			return fmt.Errorf("nemo: manifest line %q lacks duration or text", l)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(m.AudioFilepath, "audio/"), ".wav")
		if _, ok := a.Audio[id]; !ok {
			return fmt.Errorf("nemo: %s not in the archive", m.AudioFilepath)
		}
		ids = append(ids, id)
		a.Speaker[id] = m.Speaker
	}
	if !slices.Equal(ids, a.utts()) {
		return errors.New("nemo: manifest and audio list different utterances")
	}
	return nil
}

// checkTable checks a CSV or TSV index: one row per audio file, in order,
// cells formula-safe.
func (a *Archive) checkTable(what string, rows [][]string, fileCol, prefix, speakerCol string) error {
	if len(rows) == 0 {
		return fmt.Errorf("%s: empty", what)
	}
	fi, si := slices.Index(rows[0], fileCol), slices.Index(rows[0], speakerCol)
	if fi < 0 || si < 0 {
		return fmt.Errorf("%s: no %s or %s column", what, fileCol, speakerCol)
	}
	var ids []string
	for _, r := range rows[1:] {
		id := strings.TrimSuffix(strings.TrimPrefix(r[fi], prefix), ".wav")
		if _, ok := a.Audio[id]; !ok {
			return fmt.Errorf("%s: %s not in the archive", what, r[fi])
		}
		ids = append(ids, id)
		a.Speaker[id] = r[si]
	}
	if !slices.Equal(ids, a.utts()) {
		return fmt.Errorf("%s and the audio list different utterances", what)
	}
	return nil
}

// checkSpeakers: speakers.tsv lists exactly the speakers of the index, and
// each utterance's id starts with its speaker.
func (a *Archive) checkSpeakers() error {
	rows, err := readTSV(a.Files["speakers.tsv"])
	if err != nil {
		return fmt.Errorf("speakers.tsv: %w", err)
	}
	listed := map[string]bool{}
	for _, r := range rows[1:] {
		listed[r[0]] = true
	}
	for utt, spk := range a.Speaker {
		if !listed[spk] || !strings.HasPrefix(utt, spk+"-") {
			return fmt.Errorf("speakers.tsv: speaker %q of %s", spk, utt)
		}
	}
	if len(a.Speaker) != len(a.Audio) {
		return fmt.Errorf("index names the speaker of %d utterances, audio has %d", len(a.Speaker), len(a.Audio))
	}
	return nil
}

// FormulaSafe reports whether a cell cannot be read as a spreadsheet
// formula: it does not start with = + - @, a tab or a CR.
func FormulaSafe(cell string) bool {
	return cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0]))
}

func readCSV(b []byte, sep rune) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = sep
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	return rows, checkCells(rows)
}

func readTSV(b []byte) ([][]string, error) {
	var rows [][]string
	for _, l := range lines(b) {
		rows = append(rows, strings.Split(l, "\t"))
	}
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			return nil, fmt.Errorf("row %q has %d cells, header %d", r, len(r), len(rows[0]))
		}
	}
	return rows, checkCells(rows)
}

func checkCells(rows [][]string) error {
	for _, r := range rows {
		for _, c := range r {
			if !FormulaSafe(c) || strings.ContainsAny(c, "\r\n") {
				return fmt.Errorf("cell %q is not formula-safe", c)
			}
		}
	}
	return nil
}

func lines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
