package recorder

import (
	"encoding/json"

	"github.com/dialect-corpus/dialect/validate"
)

// RequestError is a malformed submission (a missing field, a bad UUID, a
// band that is not the task's), told in both languages:
// errors.Is(err, ErrBadRequest) holds for it, and its Error is the English
// one after "bad request: ". The server answers 400 with Message and
// MessageZH (errors.As).
type RequestError struct {
	Message   string
	MessageZH string
}

func (e *RequestError) Error() string { return ErrBadRequest.Error() + ": " + e.Message }

// Is makes a RequestError an ErrBadRequest.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }

func badRequest(en, zh string) error { return &RequestError{Message: en, MessageZH: zh} }

// UnmarshalJSON reads a receipt's finding. A receipt stored before findings
// carried their figures as text has only the raw figure and threshold: the
// texts are made from them here, so every reader of a stored receipt (the
// speaker's clip list, the review page) gets them.
func (f *Finding) UnmarshalJSON(b []byte) error {
	type plain Finding // without this method
	if err := json.Unmarshal(b, (*plain)(f)); err != nil {
		return err
	}
	if f.MeasuredText == "" && f.ThresholdText == "" {
		f.describe()
	}
	return nil
}

// describe fills f's figure texts from its raw figure and threshold (an
// audio finding's; a transcript finding has neither).
func (f *Finding) describe() {
	m, t := validate.FigureTexts(f.Rule, f.Unit, f.Measured, f.Threshold)
	f.MeasuredText, f.MeasuredTextZH, f.ThresholdText, f.ThresholdTextZH = m.EN, m.ZH, t.EN, t.ZH
}
