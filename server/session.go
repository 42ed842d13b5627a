package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

type signInRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// decodeJSON is the one place request bodies are read as JSON, strictly:
// a duplicate key, an unknown field, a wrong type, trailing data after the
// value or nesting deeper than maxJSONDepth is 400 (reliability.md T-17,
// H-17), so a client can neither smuggle "state" or "speaker_id" into a
// request (S-06) nor say two things at once and have the last win. The body
// is bounded by the route's limitBody before it gets here.
func decodeJSON(c *gin.Context, v any) bool {
	if !isJSON(c.Request) {
		fail(c, errf(http.StatusUnsupportedMediaType, "not_json", "send application/json", "請求內容的類型不正確"))
		return false
	}
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if toAPIError(err).Status == http.StatusRequestEntityTooLarge {
			fail(c, err)
		} else {
			fail(c, errBadJSON)
		}
		return false
	}
	if err := checkJSONObjects(b); err != nil {
		fail(c, err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(c, errBadJSON)
		return false
	}
	// Only white space may follow the value: not a second value, not a
	// stray '}' (which Decoder.More would let through).
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		fail(c, errBadJSON)
		return false
	}
	return true
}

// maxJSONDepth is how deeply a request body may nest; ours nest four deep.
const maxJSONDepth = 32

// checkJSONObjects walks the tokens of b and refuses a key that appears
// twice in one object, compared as encoding/json matches fields (case
// folded: "Username" would fill the same field as "username"), and nesting
// deeper than maxJSONDepth. What is not JSON at all is errBadJSON.
func checkJSONObjects(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	// One entry per open object or array: the keys seen (nil for an
	// array), and whether the next token of an object is a key.
	type level struct {
		keys   map[string]bool
		wanted bool
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errBadJSON
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].keys != nil && stack[top].wanted {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:top]
				continue
			}
			key, _ := tok.(string)
			k := strings.ToLower(strings.ToUpper(key)) // as bytes.EqualFold: "ſ" is "s", "K" (Kelvin) is "k"
			if stack[top].keys[k] {
				return errDuplicateKey(key)
			}
			stack[top].keys[k] = true
			stack[top].wanted = false
			continue
		}
		if top >= 0 && stack[top].keys != nil {
			stack[top].wanted = true // this token is a value; a key follows
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{keys: map[string]bool{}, wanted: true})
		case json.Delim('['):
			stack = append(stack, level{})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:top]
		}
		if len(stack) > maxJSONDepth {
			return errBadJSON
		}
	}
}

func errDuplicateKey(key string) *apiError {
	if len(key) > 64 {
		key = key[:64] + "…"
	}
	return errf(http.StatusBadRequest, "duplicate_key",
		fmt.Sprintf("the JSON body has the key %q more than once; send each field once", key),
		fmt.Sprintf("請求內容中的欄位「%s」出現不只一次；每個欄位只能送一次", key))
}

// createSession is POST /api/v1/session.
func (s *Server) createSession(c *gin.Context) {
	var req signInRequest
	if !decodeJSON(c, &req) {
		return
	}
	u, csrf, err := s.signIn(c, req.Username, req.Password)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u, "csrf_token": csrf})
}

// deleteSession is DELETE /api/v1/session: the session ends server-side,
// so a replayed cookie is worthless (S-12). Called with a vendor's bearer
// token, it revokes that token: the vendor's own credential, and the only
// "session" a vendor has. Either way the answer is 204 only once the
// credential no longer works, never for nothing.
func (s *Server) deleteSession(c *gin.Context) {
	if v, ok := c.Get("token"); ok {
		t, _ := v.(*corpus.Token)
		if err := s.db.RevokeToken(context.WithoutCancel(c.Request.Context()), t.ID); err != nil {
			fail(c, err)
			return
		}
		s.log.Info("vendor token revoked", "token_id", t.ID, "vendor", t.Vendor, "ip", clientIP(c))
		c.Status(http.StatusNoContent)
		return
	}
	s.endSession(c)
	c.Status(http.StatusNoContent)
}

func subtleEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func itoa(n int) string { return strconv.Itoa(n) }

// NewToken returns a new random bearer token and the hash to store.
func NewToken() (raw string, hash []byte) { return newToken() }

// ValidUsername reports whether name can be a username: 1–64 characters
// without spaces, control characters, quotes or <>&.
func ValidUsername(name string) bool { return validUsername(name) }
