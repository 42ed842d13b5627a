package recorder

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/units"
	"github.com/dialect-corpus/dialect/validate"
)

// maxTranscriptBytes bounds a transcript: a 4-hour monologue spoken at a
// brisk 5 syllables a second is about 220 KB of Han text.
const maxTranscriptBytes = 1 << 20

func (s *Service) ingest(ctx context.Context, speaker *corpus.User, sub Submission) (*Receipt, bool, error) {
	if speaker == nil {
		return nil, false, corpus.ErrNotFound
	}
	clientID, err := checkSubmission(&sub)
	if err != nil {
		return nil, false, err
	}
	// Duplicates of one take wait for the first and then find its receipt,
	// rather than each streaming and measuring the same bytes. CommitClip's
	// ErrConflict stays the guard across processes.
	unlock, err := s.locks.lock(ctx, "clip:"+strconv.FormatInt(speaker.ID, 10)+":"+clientID)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if r, err := s.storedReceipt(ctx, speaker.ID, clientID); err == nil {
		return r, false, nil
	} else if !errors.Is(err, corpus.ErrNotFound) {
		return nil, false, err
	}

	task, pc, text, err := s.prepare(ctx, speaker, sub.TaskID, sub.NoiseBand, sub.Transcript)
	if err != nil {
		return nil, false, err
	}

	u, err := s.db.NewUpload()
	if err != nil {
		return nil, false, err
	}
	// Discard is safe after CommitClip: whatever happens, nothing stays in
	// tmp/. Best effort: a temp file it fails to remove is the reconciler's
	// (corpus.Open removes stale files in tmp/), and the clip's outcome is
	// already decided.
	defer func() { _ = u.Discard() }()
	if err := s.receive(u, sub.Audio); err != nil {
		return nil, false, err
	}
	// The clip has been received in full: a client that hangs up now must
	// not undo it (a cancel would roll the commit back halfway; its retry
	// finds the receipt).
	return s.commit(context.WithoutCancel(ctx), speaker, task, pc, clientID, text, u)
}

// prepare looks up what a clip of taskID needs: the task (the speaker's
// own, in the declared band), the project's settings and the transcript to
// store (a prompted clip without one gets its prompt).
func (s *Service) prepare(ctx context.Context, speaker *corpus.User, taskID, band, transcript string) (*corpus.Task, *projectConfig, string, error) {
	task, err := s.db.Task(ctx, taskID)
	if err != nil {
		return nil, nil, "", err
	}
	if task.SpeakerID != speaker.ID {
		// Someone else's task is as good as no task: ids cannot be probed.
		return nil, nil, "", corpus.ErrNotFound
	}
	if band != task.NoiseBand {
		return nil, nil, "", badRequest(fmt.Sprintf("noise_band %q does not match the task's band %q", band, task.NoiseBand),
			fmt.Sprintf("噪音等級「%s」與這個任務的「%s」不符，請重新整理頁面", validate.BandText(band).ZH, validate.BandText(task.NoiseBand).ZH))
	}
	p, err := s.db.Project(ctx, task.ProjectID)
	if err != nil {
		return nil, nil, "", err
	}
	pc, err := s.config(p)
	if err != nil {
		return nil, nil, "", err
	}

	text := transcript
	if strings.TrimSpace(text) == "" {
		text = ""
		if task.Mode == string(validate.ModePrompted) && task.PromptID != 0 {
			// A prompted clip says its prompt: the page may leave the
			// transcript out, and the prompt then stands for it.
			prompt, err := s.db.Prompt(ctx, task.PromptID)
			if err != nil {
				return nil, nil, "", fmt.Errorf("prompt of task %s: %w", task.ID, err)
			}
			text = prompt.Text
		}
	}
	return task, pc, text, nil
}

// commit measures a received clip, lints its transcript and commits it
// with its receipt (the shared end of Ingest and IngestResumable). A
// structural failure is a *NotAudioError and stores nothing. created is
// false when another request stored this take first.
func (s *Service) commit(ctx context.Context, speaker *corpus.User, task *corpus.Task, pc *projectConfig,
	clientID, text string, u *corpus.Upload) (*Receipt, bool, error) {
	rep, err := validate.WAV(u, u.Size(), validate.Options{Mode: validate.Mode(task.Mode),
		Band: validate.Band(task.NoiseBand), Config: pc.checkConfig()})
	if err != nil {
		return nil, false, fmt.Errorf("check clip: %w", err)
	}
	if f, ok := structural(rep); ok {
		return nil, false, &NotAudioError{Finding: f}
	}

	r := &Receipt{SHA256: u.SHA256(), Status: corpus.StatusPendingReview, Findings: []Finding{},
		Measurements: rep.Measurements, Format: rep.Format}
	if r.ClipID, err = newClipID(); err != nil {
		return nil, false, err
	}
	for _, f := range rep.Findings {
		r.Findings = append(r.Findings, audioFinding(f))
	}
	// Monologue and dialogue transcripts come later: an absent one is not
	// linted (it would be T002). A prompted clip always has one.
	if text != "" || task.Mode == string(validate.ModePrompted) {
		for _, f := range pc.linter.Lint(text) {
			r.Findings = append(r.Findings, transcriptFinding(f))
		}
		if fixed, _ := pc.linter.Fix(text); fixed != text {
			r.FixedTranscript = fixed
		}
	}
	for _, f := range r.Findings {
		if f.Severity == string(validate.SeverityError) {
			r.Status = corpus.StatusRejected
			break
		}
	}
	receipt, err := json.Marshal(r)
	if err != nil {
		return nil, false, fmt.Errorf("encode receipt: %w", err)
	}

	c := &corpus.Clip{ID: r.ClipID, ProjectID: task.ProjectID, SpeakerID: speaker.ID, TaskID: task.ID,
		ClientClipID: clientID, DurationS: rep.Format.DurationS, SampleRate: rep.Format.SampleRate,
		Channels: rep.Format.Channels, Bits: rep.Format.Bits, Mode: task.Mode, NoiseBand: task.NoiseBand,
		Transcript: text, Status: r.Status, Receipt: receipt}
	if err := s.db.CommitClip(ctx, c, u); err != nil {
		if errors.Is(err, corpus.ErrConflict) {
			// Another process stored this take first: its receipt stands.
			if r, err := s.storedReceipt(ctx, speaker.ID, clientID); err == nil {
				return r, false, nil
			}
		}
		return nil, false, err
	}
	return r, true, nil
}

// checkSubmission checks the fields that need no lookup and returns the
// client clip id in canonical form (lower case).
func checkSubmission(sub *Submission) (string, error) {
	id, ok := canonicalUUID(sub.ClientClipID)
	switch {
	case sub.ClientClipID == "":
		return "", badRequest("client_clip_id is required", "缺少這段錄音的識別碼，請重新整理頁面後再送出")
	case !ok:
		return "", badRequest("client_clip_id must be a UUID (8-4-4-4-12 hex digits)", "這段錄音的識別碼格式不對，請重新整理頁面後再送出")
	case sub.TaskID == "":
		return "", badRequest("task_id is required", "缺少錄音任務，請重新整理頁面後再送出")
	case sub.NoiseBand == "":
		return "", badRequest("noise_band is required", "缺少噪音等級，請重新整理頁面後再送出")
	case sub.Audio == nil:
		return "", badRequest("audio is required", "沒有收到錄音檔，請再送出一次")
	case len(sub.Transcript) > maxTranscriptBytes:
		return "", tooLong("transcript", "逐字稿")
	case !utf8.ValidString(sub.Transcript):
		return "", badRequest("transcript is not valid UTF-8", "逐字稿不是有效的 UTF-8 文字")
	}
	return id, nil
}

// tooLong is the error for a text (what, whatZH) over maxTranscriptBytes.
func tooLong(what, whatZH string) error {
	n := units.Count(maxTranscriptBytes, units.Byte)
	return badRequest(what+" is longer than "+n.EN, whatZH+"太長，超過上限 "+n.ZH)
}

// canonicalUUID accepts the 36-character form of a UUID, any version, in
// either case, and returns it in lower case: the browser's
// crypto.randomUUID() and a retry that upper-cases it are the same take.
func canonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return "", false
			}
		}
	}
	return string(b), true
}

// receive streams the audio into u, bounded by MaxClipBytes. The reader's
// own error (the server's *http.MaxBytesError, a client that hung up) comes
// back wrapped, for errors.As.
func (s *Service) receive(u *corpus.Upload, audio io.Reader) error {
	limit := s.opts.MaxClipBytes
	if limit > 0 {
		audio = io.LimitReader(audio, limit+1)
	}
	// The multipart reader hands out 4 KiB at a time: buffered, a 5-second
	// clip is three writes to the temp file instead of forty.
	w := bufio.NewWriterSize(u, 256<<10)
	n, err := io.Copy(w, audio)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fmt.Errorf("receive clip: %w", err)
	}
	if limit > 0 && n > limit {
		return fmt.Errorf("receive clip: %w", &http.MaxBytesError{Limit: limit})
	}
	return nil
}

// structural returns the first finding that means the bytes are not a WAV
// that can be measured: A001, A006, or an A002 about the container or codec
// (A002 "encoding_not_allowed" is about a readable file of the wrong
// encoding, which is stored as rejected like any other failed check).
func structural(rep *validate.Report) (validate.Finding, bool) {
	for _, f := range rep.Findings {
		switch {
		case f.Rule == "A001", f.Rule == "A006", f.Rule == "A002" && f.Code != "encoding_not_allowed":
			return f, true
		}
	}
	return validate.Finding{}, false
}

func audioFinding(f validate.Finding) Finding {
	return Finding{Rule: f.Rule, Severity: string(f.Severity), Message: f.Message, MessageZH: f.MessageZH,
		Measured: f.Measured, Threshold: f.Threshold, Unit: f.Unit,
		MeasuredText: f.MeasuredText, MeasuredTextZH: f.MeasuredTextZH, ThresholdText: f.ThresholdText, ThresholdTextZH: f.ThresholdTextZH}
}

func transcriptFinding(f transcript.Finding) Finding {
	return Finding{Rule: f.Rule, Severity: string(f.Severity), Message: f.Message, MessageZH: f.MessageZh,
		Line: f.Line, Column: f.Column, Text: f.Text, Fix: f.Fix}
}

// storedReceipt returns the receipt a speaker's clip was answered with.
func (s *Service) storedReceipt(ctx context.Context, speakerID int64, clientID string) (*Receipt, error) {
	c, err := s.db.ClipByClientID(ctx, speakerID, clientID)
	if err != nil {
		return nil, err
	}
	var r Receipt
	if err := json.Unmarshal(c.Receipt, &r); err != nil {
		return nil, fmt.Errorf("clip %s: stored receipt: %w", c.ID, err)
	}
	return &r, nil
}

// newClipID is a clip's id and file name: 128 random bits in hex, made
// here rather than by CommitClip because the receipt stored with the row
// names it.
func newClipID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
