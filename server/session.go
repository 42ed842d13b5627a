package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

type signInRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// decodeJSON reads a JSON body strictly: unknown fields, trailing data and
// wrong types are 400 (T-17), so a client cannot smuggle "state" or
// "speaker_id" into a request (S-06).
func decodeJSON(c *gin.Context, v any) bool {
	if !isJSON(c.Request) {
		fail(c, errf(http.StatusUnsupportedMediaType, "not_json", "send application/json", "請以 application/json 傳送"))
		return false
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if toAPIError(err).Status == http.StatusRequestEntityTooLarge {
			fail(c, err)
		} else {
			fail(c, errBadJSON)
		}
		return false
	}
	if dec.More() {
		fail(c, errBadJSON)
		return false
	}
	return true
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
// so a replayed cookie is worthless (S-12).
func (s *Server) deleteSession(c *gin.Context) {
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
