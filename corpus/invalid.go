package corpus

import "fmt"

// InvalidError is an ErrInvalid told in both languages, for the inputs
// speakers and reviewers send (a review's reason and note, an appeal, a
// transcription's segments): errors.Is(err, ErrInvalid) holds for it, its
// Error is "invalid: " and the English message, and the server answers 400
// with Message and MessageZH (errors.As).
type InvalidError struct {
	Message   string
	MessageZH string
}

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Message }

// Is makes an InvalidError an ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf makes an InvalidError; en and zh are formats taking the same
// arguments.
func invalidf(en, zh string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(en, args...), MessageZH: fmt.Sprintf(zh, args...)}
}
