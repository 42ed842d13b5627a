// Package release writes a corpus release as a vendor archive: one tar
// stream per format (Kaldi, Hugging Face audiofolder, NeMo, Common Voice),
// each holding the audio, the format's index files, speakers.tsv, a
// SHA256SUMS of every file and a README.md datasheet.
//
// A release is written in the layout it was made in (Meta.Layout):
// LayoutSplits, since issue 10, puts everything in one folder
// dialect-<project>-r<number>-<format>/ and divides speakers into train,
// dev and test (layout2.go); LayoutFlat, the layout of every release made
// before, is kept byte for byte (layout, indexFiles, datasheet).
//
// It is pure: plain records in, a tar stream out. It imports no other
// package of the project; corpus pages the records out of SQLite and hands
// them over.
//
// The output is deterministic: the same records give the same bytes, always.
// Entries are sorted by name (byte order); every header has the release's
// creation time (whole seconds, UTC) as its mtime, uid and gid 0, no user or
// group names, mode 0644 for files and 0755 for directories, the USTAR
// format (no PAX records, so no access or change times); there are no links.
// Entry names are built only from ids (speaker pseudonyms, clip ids and
// the project slug, which Write checks against strict patterns), never from
// transcripts or profile text, so every name is filepath.IsLocal
// (reliability.md S-09).
package release

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Format is an archive layout.
type Format string

// The formats of spec/api.md's download route. The comments give the flat
// layout's files; LayoutSplits's are in layout2.go.
const (
	Kaldi       Format = "kaldi" // wav/, wav.scp, text, utt2spk, spk2utt, utt2dur, utt2dialect, utt2noise (+ segments, reco2dur)
	HuggingFace Format = "hf"    // data/*.wav, metadata.csv (datasets' audiofolder)
	NeMo        Format = "nemo"  // audio/*.wav, manifest.json (JSON lines)
	CommonVoice Format = "cv"    // clips/*.wav, validated.tsv, clip_durations.tsv
)

// Formats lists every format, in a fixed order.
func Formats() []Format { return []Format{Kaldi, HuggingFace, NeMo, CommonVoice} }

// ParseFormat accepts the names of Formats.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown archive format %q (want kaldi, hf, nemo or cv)", s)
}

// Meta is what the datasheet says of the release as a whole.
type Meta struct {
	ReleaseID int64
	Number    int    // 1, 2, … within the project
	Project   string // the project's name (text for the datasheet only)
	Dialect   string // BCP 47, e.g. nan-TW
	// CreatedAt is the release time: every entry's mtime.
	CreatedAt time.Time
	// ConsentVersion is the project's consent text version that every
	// speaker in the release had accepted (or a later one).
	ConsentVersion int
	// ManifestSHA256 is the hex SHA-256 of the release's clip list, as
	// recorded when the release was created.
	ManifestSHA256 string
	Validation     Validation
	// Layout is the archive layout the release was made under: LayoutFlat
	// (also 0) or LayoutSplits. It is frozen with the release, so a build
	// by newer code gives the bytes of the first build.
	Layout int
	// Slug is the project's slug; a LayoutSplits archive unpacks into
	// dialect-<slug>-r<Number>-<format>/ (TopFolder).
	Slug string
	// License and Terms are the project's licence and terms of use, frozen
	// with the release; the datasheet says when neither was set.
	License, Terms string
	// Split says how LayoutSplits divides speakers into train, dev and test.
	Split SplitConfig
}

// Validation is how the clips were checked, for the datasheet. The JSON
// fields are copied verbatim (pretty-printed) into it.
type Validation struct {
	CheckConfig    []byte // the audio thresholds in force (validate.Config as JSON)
	CheckOverrides []byte // the project's overrides of them, if any
	LintConfig     []byte // the transcript settings (transcript.Config as JSON)
	LintOverrides  []byte
}

// Utterance is one clip of the release with the facts the index files
// carry. Speaker and ClipID become file names: Write refuses anything but
// [a-z0-9]{1,64} and 32 lowercase hex digits.
type Utterance struct {
	ClipID        string
	Speaker       string // pseudonymous speaker id
	Transcript    string
	DurationS     float64
	SampleRate    int
	Channels      int
	Bits          int
	Mode          string
	NoiseBand     string
	DialectRegion string
	AgeBand       string
	Gender        string
	SHA256        string // hex SHA-256 of the WAV bytes
	Bytes         int64
	// Segments is the time-aligned transcription of a transcribed
	// monologue or dialogue (issue 7), nil for every other clip. A release
	// with any segmented utterance gets a Kaldi `segments` file, and each
	// segmented utterance a TextGrid and an SRT file in every format.
	Segments []Segment
}

// ID is the utterance id: the speaker id, a dash and the clip id. With the
// speaker as a prefix, sorting by utterance sorts by speaker too, as Kaldi's
// utt2spk and spk2utt require.
func (u *Utterance) ID() string { return u.Speaker + "-" + u.ClipID }

// Source hands Write the release's records and audio.
type Source interface {
	// Each calls fn for every utterance of the release, in any order. An
	// implementation should page through its store in short transactions
	// (reliability.md F-14).
	Each(ctx context.Context, fn func(Utterance) error) error
	// Open opens the WAV bytes of an utterance.
	Open(ctx context.Context, u *Utterance) (io.ReadCloser, error)
}

// ErrAudioMismatch is returned when a clip's bytes are not the size or
// SHA-256 its record says: the archive would contradict its SHA256SUMS.
var ErrAudioMismatch = errors.New("release: audio does not match its recorded size or SHA-256")

// entry is one file or directory of the archive.
type entry struct {
	name string
	dir  bool
	data []byte     // index files: the whole content
	utt  *Utterance // audio: streamed from the source
	size int64
	sum  string // hex SHA-256 (files)
}

// Write writes the archive of format f to w and returns the number of bytes
// written. Only the index files are held in memory (a few hundred bytes per
// utterance); audio is streamed from src, and each WAV is checked against
// its recorded size and SHA-256 as it passes (ErrAudioMismatch).
func Write(ctx context.Context, w io.Writer, f Format, m *Meta, src Source) (int64, error) {
	buf := make([]byte, 256<<10)
	return write(ctx, w, f, m, src, func(tw *tar.Writer, u *Utterance) error { return copyAudio(ctx, tw, src, u, buf) })
}

// write is Write with the audio members' content left to audio, which
// must write exactly u.Bytes bytes to tw.
func write(ctx context.Context, w io.Writer, f Format, m *Meta, src Source, audio func(tw *tar.Writer, u *Utterance) error) (int64, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return 0, err
	}
	var utts []*Utterance
	err := src.Each(ctx, func(u Utterance) error {
		if !validClipID(u.ClipID) {
			return fmt.Errorf("release: clip id %q is not 32 lowercase hex digits", u.ClipID)
		}
		if !validSpeaker(u.Speaker) {
			return fmt.Errorf("release: speaker id %q is not [a-z0-9]{1,64}", u.Speaker)
		}
		if len(u.SHA256) != 64 || u.Bytes < 0 {
			return fmt.Errorf("release: clip %s has no recorded SHA-256 or size", u.ClipID)
		}
		// Segments inside the recording, in whole milliseconds, from here
		// on (a recording left with none is not a transcribed one).
		u.Segments = u.recording().Segments
		utts = append(utts, &u)
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.SortFunc(utts, func(a, b *Utterance) int { return strings.Compare(a.ID(), b.ID()) })
	for i := 1; i < len(utts); i++ {
		if utts[i].ID() == utts[i-1].ID() {
			return 0, fmt.Errorf("release: utterance %s twice", utts[i].ID())
		}
	}
	var entries []entry
	if m.Layout >= LayoutSplits {
		if !validSlug(m.Slug) {
			return 0, fmt.Errorf("release: project slug %q is not [a-z0-9-]{1,64}", m.Slug)
		}
		if err := m.Split.OrDefault().Validate(); err != nil {
			return 0, fmt.Errorf("release: %w", err)
		}
		entries = layoutSplits(f, m, utts)
	} else {
		entries = layout(f, m, utts)
	}
	cw := &countWriter{w: w}
	tw := tar.NewWriter(cw)
	mtime := m.CreatedAt.UTC().Truncate(time.Second)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return cw.n, err
		}
		hdr := &tar.Header{Name: e.name, ModTime: mtime, Format: tar.FormatUSTAR}
		if e.dir {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		} else {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return cw.n, fmt.Errorf("release: %s: %w", e.name, err)
		}
		switch {
		case e.dir:
		case e.utt == nil:
			if _, err := tw.Write(e.data); err != nil {
				return cw.n, err
			}
		default:
			if err := audio(tw, e.utt); err != nil {
				return cw.n, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

// copyAudio streams one WAV into the archive, checking size and hash.
func copyAudio(ctx context.Context, tw *tar.Writer, src Source, u *Utterance, buf []byte) error {
	rc, err := src.Open(ctx, u)
	if err != nil {
		return fmt.Errorf("release: open clip %s: %w", u.ClipID, err)
	}
	defer func() { _ = rc.Close() }() // only read; its size and hash are checked below
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(tw, h), io.LimitReader(rc, u.Bytes), buf)
	if err != nil {
		return fmt.Errorf("release: clip %s: %w", u.ClipID, err)
	}
	var one [1]byte
	if extra, _ := rc.Read(one[:]); n != u.Bytes || extra != 0 || hex.EncodeToString(h.Sum(nil)) != u.SHA256 {
		return fmt.Errorf("%w: clip %s", ErrAudioMismatch, u.ClipID)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// layout lists every entry of the archive, sorted by name, with the index
// files, speakers.tsv, README.md and SHA256SUMS built.
func layout(f Format, m *Meta, utts []*Utterance) []entry {
	audioDir := map[Format]string{Kaldi: "wav", HuggingFace: "data", NeMo: "audio", CommonVoice: "clips"}[f]
	files := indexFiles(f, audioDir, m, utts)
	files["speakers.tsv"] = speakersTSV(utts)
	files["README.md"] = datasheet(f, m, utts)

	var entries []entry
	for name, data := range files {
		entries = append(entries, entry{name: name, data: data, size: int64(len(data)), sum: sum(data)})
	}
	entries = append(entries, entry{name: audioDir + "/", dir: true})
	for _, u := range utts {
		entries = append(entries, entry{name: audioDir + "/" + u.ID() + ".wav", utt: u, size: u.Bytes, sum: u.SHA256})
	}
	// Every format carries the segments of each transcribed recording as a
	// Praat TextGrid and an SRT file (layoutNotes, segmentNotes).
	if segmented(utts) {
		entries = append(entries, entry{name: "textgrid/", dir: true}, entry{name: "srt/", dir: true})
		for _, u := range utts {
			if len(u.Segments) == 0 {
				continue
			}
			r := u.recording()
			tg, srt := TextGrid(&r), SRT(&r)
			entries = append(entries, entry{name: "textgrid/" + u.ID() + ".TextGrid", data: tg, size: int64(len(tg)), sum: sum(tg)},
				entry{name: "srt/" + u.ID() + ".srt", data: srt, size: int64(len(srt)), sum: sum(srt)})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var sums strings.Builder
	for _, e := range entries {
		if !e.dir {
			// sha256sum -c reads this: two spaces, then the name.
			fmt.Fprintf(&sums, "%s  %s\n", e.sum, e.name)
		}
	}
	b := []byte(sums.String())
	entries = append(entries, entry{name: "SHA256SUMS", data: b, size: int64(len(b)), sum: sum(b)})
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return entries
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func validClipID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func validSpeaker(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
