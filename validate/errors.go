package validate

// FormatError is a structural problem with a file that stops it from being
// read as audio. Its Rule says which check it falls under (A001, A002 or A006)
// and Code is a stable machine-readable reason for HTTP clients
// ("truncated_header", "not_wav", ...).
type FormatError struct {
	Rule   string
	Code   string
	Detail string
}

func (e *FormatError) Error() string { return "wav: " + e.Detail }

func formatErr(rule, code, detail string) *FormatError {
	return &FormatError{Rule: rule, Code: code, Detail: detail}
}
