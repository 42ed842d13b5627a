package release

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Segment is one time-aligned utterance of a transcribed recording
// (monologue or dialogue): seconds from the start, the 0-based channel it
// was heard on, and its text.
type Segment struct {
	Start   float64
	End     float64
	Channel int
	Text    string
}

// Recording is a transcribed recording as the segment writers see it: its
// id (the Kaldi recording id, the utterance id of Utterance.ID), length,
// channel count and segments.
type Recording struct {
	ID        string
	DurationS float64
	Channels  int
	Segments  []Segment
}

// SegmentID is the Kaldi utterance id of the i-th segment (0-based, in
// time order) of channel ch of recording rec: rec, the 1-based channel and
// the 1-based index, as in "spk-clip-1-00001". Sorting these in byte order
// keeps a recording's segments together, by channel, in time order.
func SegmentID(rec string, ch, i int) string {
	return fmt.Sprintf("%s-%d-%05d", rec, ch+1, i+1)
}

// sortedSegments returns r's segments ordered by channel, then start, each
// with its SegmentID.
func sortedSegments(r *Recording) ([]Segment, []string) {
	segs := slices.Clone(r.Segments)
	slices.SortStableFunc(segs, func(a, b Segment) int {
		if a.Channel != b.Channel {
			return a.Channel - b.Channel
		}
		return cmpFloat(a.Start, b.Start)
	})
	ids := make([]string, len(segs))
	n := map[int]int{}
	for i, s := range segs {
		ids[i] = SegmentID(r.ID, s.Channel, n[s.Channel])
		n[s.Channel]++
	}
	return segs, ids
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// KaldiSegments writes Kaldi's `segments` (utt-id rec-id start end, in
// seconds) and the `text` lines of the segments (utt-id text), sorted by
// utterance id. A recording of more than one channel is referred to as
// rec-id "<rec>-<channel>" (1-based), as Kaldi's Switchboard recipes name
// the sides of a call; KaldiChannelSCP writes the wav.scp lines that give
// those ids their audio.
func KaldiSegments(recs []Recording) (segments, text []byte) {
	type line struct{ id, seg, text string }
	var lines []line
	for i := range recs {
		r := &recs[i]
		segs, ids := sortedSegments(r)
		for j, s := range segs {
			rec := KaldiRecordingID(r, s.Channel)
			lines = append(lines, line{ids[j], fmt.Sprintf("%s %s %s %s\n", ids[j], rec, secs(s.Start), secs(s.End)), oneLine(s.Text)})
		}
	}
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.id, b.id) })
	var sb, tb bytes.Buffer
	for _, l := range lines {
		sb.WriteString(l.seg)
		if l.text != "" {
			fmt.Fprintf(&tb, "%s %s\n", l.id, l.text)
		} else {
			fmt.Fprintf(&tb, "%s\n", l.id)
		}
	}
	return sb.Bytes(), tb.Bytes()
}

// KaldiChannelSCP is the wav.scp line of each channel of a multi-channel
// recording whose file is at path: "<rec>-<ch> sox <path> -t wav - remix
// <ch> |". Mono recordings need none: their rec-id is the file's. Only
// channels with a segment get a line: validate_data_dir.sh wants the
// recordings of wav.scp and of `segments` to be the same list.
func KaldiChannelSCP(r *Recording, path string) string {
	used := map[int]bool{}
	for _, s := range r.Segments {
		used[s.Channel] = true
	}
	var b strings.Builder
	for ch := 1; r.Channels > 1 && ch <= r.Channels; ch++ {
		if used[ch-1] {
			fmt.Fprintf(&b, "%s-%d sox %s -t wav - remix %d |\n", r.ID, ch, path, ch)
		}
	}
	return b.String()
}

// KaldiRecordingID is the Kaldi recording id (the second column of
// `segments`) of channel ch (0-based) of r.
func KaldiRecordingID(r *Recording, ch int) string {
	if r.Channels > 1 {
		return fmt.Sprintf("%s-%d", r.ID, ch+1)
	}
	return r.ID
}

// TextGrid writes r as a Praat TextGrid in the long text format (UTF-8):
// one interval tier per channel, named "channel N", covering the whole
// recording, with an empty interval for each stretch between segments.
// Overlapping segments of one channel are clipped to not overlap (Praat
// refuses overlapping intervals); a segment so clipped to nothing is left
// out.
func TextGrid(r *Recording) []byte {
	dur := r.DurationS
	for _, s := range r.Segments {
		dur = max(dur, s.End)
	}
	chans := max(r.Channels, 1)
	var b bytes.Buffer
	b.WriteString("File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\n")
	fmt.Fprintf(&b, "xmin = 0\nxmax = %s\ntiers? <exists>\nsize = %d\nitem []:\n", num(dur), chans)
	segs, _ := sortedSegments(r)
	for ch := 0; ch < chans; ch++ {
		type iv struct {
			from, to float64
			text     string
		}
		var ivs []iv
		at := 0.0
		for _, s := range segs {
			if s.Channel != ch {
				continue
			}
			from, to := max(s.Start, at), min(s.End, dur)
			if to <= from {
				continue
			}
			if from > at {
				ivs = append(ivs, iv{at, from, ""})
			}
			ivs = append(ivs, iv{from, to, oneLine(s.Text)})
			at = to
		}
		if at < dur || len(ivs) == 0 {
			ivs = append(ivs, iv{at, dur, ""})
		}
		fmt.Fprintf(&b, "    item [%d]:\n        class = \"IntervalTier\"\n        name = \"channel %d\"\n", ch+1, ch+1)
		fmt.Fprintf(&b, "        xmin = 0\n        xmax = %s\n        intervals: size = %d\n", num(dur), len(ivs))
		for i, v := range ivs {
			fmt.Fprintf(&b, "        intervals [%d]:\n            xmin = %s\n            xmax = %s\n            text = \"%s\"\n",
				i+1, num(v.from), num(v.to), strings.ReplaceAll(v.text, `"`, `""`))
		}
	}
	return b.Bytes()
}

// SRT writes r's segments as SubRip subtitles, in time order. Subtitle
// cues may not overlap, but the two sides of a dialogue do: overlapping
// segments become one cue spanning them all, with one text line per
// segment (each line is one utterance to `dialect lint`).
func SRT(r *Recording) []byte {
	segs := slices.Clone(r.Segments)
	slices.SortStableFunc(segs, func(a, b Segment) int {
		if c := cmpFloat(a.Start, b.Start); c != 0 {
			return c
		}
		return a.Channel - b.Channel
	})
	var b bytes.Buffer
	n := 0
	for i := 0; i < len(segs); {
		start, end := srtMS(segs[i].Start), srtMS(segs[i].End)
		texts := []string{oneLine(segs[i].Text)}
		j := i + 1
		for ; j < len(segs) && srtMS(segs[j].Start) < end; j++ {
			end = max(end, srtMS(segs[j].End))
			texts = append(texts, oneLine(segs[j].Text))
		}
		i = j
		n++
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", n, srtTime(start), srtTime(end), strings.Join(texts, "\n"))
	}
	return b.Bytes()
}

func srtMS(s float64) int64 { return int64(math.Round(s * 1000)) }

func srtTime(ms int64) string {
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// secs writes seconds with millisecond precision, as Kaldi's segments do.
func secs(s float64) string { return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', 3, 64) }

// num writes a TextGrid time: the shortest decimal of the millisecond value.
func num(s float64) string { return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64) }

// msec is the resolution of every time the archive writes.
const msec = 0.001

// segmented reports whether any utterance has segments.
func segmented(utts []*Utterance) bool {
	for _, u := range utts {
		if len(u.Segments) > 0 {
			return true
		}
	}
	return false
}

// recDuration is u's length as the segment files give it: in whole
// milliseconds, and at least one, so that even a degenerate clip is a
// segment Kaldi accepts (start < end).
func recDuration(u *Utterance) float64 { return max(round3(u.DurationS), msec) }

// recording is u as the segment writers see it, each segment moved inside
// the recording in whole milliseconds: 0 <= start < end <= duration, as
// validate_data_dir.sh and Praat require. (The corpus lets a segment end up
// to 10 ms after the recording, and a segment shorter than a millisecond
// would round to nothing; neither loses its text.) A segment on a channel
// the recording does not have is left out: the corpus refuses those.
func (u *Utterance) recording() Recording {
	dur := recDuration(u)
	r := Recording{ID: u.ID(), DurationS: dur, Channels: max(u.Channels, 1)}
	for _, s := range u.Segments {
		if s.Channel < 0 || s.Channel >= r.Channels || math.IsNaN(s.Start) || math.IsNaN(s.End) {
			continue
		}
		start, end := min(max(round3(s.Start), 0), dur), max(min(round3(s.End), dur), 0)
		if end <= start {
			if end = round3(start + msec); end > dur {
				start, end = round3(dur-msec), dur
			}
		}
		r.Segments = append(r.Segments, Segment{Start: start, End: end, Channel: s.Channel, Text: s.Text})
	}
	return r
}
