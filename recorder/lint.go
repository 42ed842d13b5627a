package recorder

import (
	"context"
	"unicode/utf8"

	"github.com/dialect-corpus/dialect/transcript"
)

// lint returns text's findings under the project's lint config and the text
// with every fixable finding applied (equal to text when nothing is fixable).
func (s *Service) lint(ctx context.Context, projectID int64, text string) ([]transcript.Finding, string, error) {
	if len(text) > maxTranscriptBytes {
		return nil, "", tooLong("text", "文字")
	}
	if !utf8.ValidString(text) {
		return nil, "", badRequest("text is not valid UTF-8", "文字不是有效的 UTF-8 文字")
	}
	p, err := s.db.Project(ctx, projectID)
	if err != nil {
		return nil, "", err
	}
	pc, err := s.config(p)
	if err != nil {
		return nil, "", err
	}
	fixed, _ := pc.linter.Fix(text)
	return pc.linter.Lint(text), fixed, nil
}
