package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/transcribe"
)

// apiError is an error with its HTTP status and a stable code, in both
// languages. Handlers return these (or domain errors) with c.Error; the
// errorResponse middleware and writeError are the one place that decides what
// the client sees.
type apiError struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	// Finding carries the validator's verdict for not-audio uploads.
	Finding any `json:"finding,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, en, zh string) *apiError {
	return &apiError{Status: status, Code: code, Message: en, MessageZH: zh}
}

// Common errors, written once.
var (
	errUnauthenticated = errf(http.StatusUnauthorized, "unauthenticated", "sign in first", "請先登入")
	errNotFound        = errf(http.StatusNotFound, "not_found", "not found", "找不到")
	errCSRF            = errf(http.StatusForbidden, "csrf", "missing or wrong CSRF token; reload the page", "缺少安全驗證碼或驗證碼錯誤，請重新整理頁面")
	errBadJSON         = errf(http.StatusBadRequest, "bad_json", "the request body is not the JSON this route takes", "請求內容的格式不正確")
	errBadCredentials  = errf(http.StatusUnauthorized, "bad_credentials", "wrong username or password", "帳號或密碼錯誤")
	errTooMany         = errf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait and try again", "嘗試次數過多，請稍後再試")
	errInternal        = errf(http.StatusInternalServerError, "internal", "internal error; it has been logged", "伺服器內部錯誤，已記錄")
	errCrossOrigin     = errf(http.StatusForbidden, "cross_origin", "cross-origin request refused", "拒絕跨來源請求")
	// H-18: an origin server answers origin-form targets with a Host.
	errNoHost         = errf(http.StatusBadRequest, "missing_host", "the request has no Host header", "請求缺少 Host 標頭")
	errAbsoluteTarget = errf(http.StatusBadRequest, "bad_request_target", "the request target must be a path (absolute-form is for proxies)", "請求目標必須是路徑（絕對形式僅供代理伺服器使用）")
	errURITooLong     = errf(http.StatusRequestURITooLong, "uri_too_long", "the address is longer than 8 KiB", "網址超過 8 KiB")
)

// toAPIError maps any error to what the client is told. The policy: domain
// "not found" and "not yours" are the same 404, so ids cannot be probed;
// conflicts are 409; a full disk is 507 and a locked database 503, so
// clients retry; anything unknown is a logged 500 with a generic message.
func toAPIError(err error) *apiError {
	var ae *apiError
	var mbe *http.MaxBytesError
	var na *recorder.NotAudioError
	var lintErr *transcribe.LintError
	var re *recorder.RequestError
	var ie *corpus.InvalidError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return errf(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than this route accepts", "上傳內容超過此功能允許的大小")
	case errors.As(err, &na):
		status := http.StatusBadRequest
		if na.Finding.Rule == "A002" {
			status = http.StatusUnsupportedMediaType
		}
		code := na.Finding.Code
		if code == "" {
			code = "not_wav"
		}
		return &apiError{Status: status, Code: code, Message: na.Finding.Message, MessageZH: na.Finding.MessageZH, Finding: na.Finding}
	case errors.Is(err, corpus.ErrUploadExpired):
		return errf(http.StatusGone, "upload_expired", "this upload has expired; start it again", "此上傳已過期，請重新上傳")
	case errors.Is(err, corpus.ErrUploadFinished):
		return errf(http.StatusForbidden, "upload_finished", "this upload is already finished", "此上傳已完成")
	case errors.Is(err, corpus.ErrOffsetMismatch):
		return errf(http.StatusConflict, "offset_mismatch", "Upload-Offset is not where the upload stands; ask with HEAD", "上傳位置與伺服器不符，請先查詢目前的上傳進度")
	case errors.Is(err, corpus.ErrChunkTooLarge):
		return errf(http.StatusRequestEntityTooLarge, "too_large", "the chunk is larger than the upload or the per-request limit", "上傳區塊超過上傳長度或單次請求上限")
	case errors.Is(err, corpus.ErrChecksumMismatch):
		return errf(460, "checksum_mismatch", "the bytes do not match their declared checksum", "內容與宣告的校驗碼不符")
	case errors.Is(err, recorder.ErrUploadIncomplete):
		return errf(http.StatusNotFound, "upload_incomplete", "this upload has no receipt yet: it is not finished", "此上傳尚未完成，還沒有收據")
	case errors.Is(err, corpus.ErrNotReviewable):
		return errf(http.StatusConflict, "not_reviewable", "this clip is not waiting for review", "此錄音目前不在待審核狀態")
	case errors.Is(err, corpus.ErrAlreadyReviewed):
		return errf(http.StatusConflict, "already_reviewed", "you have already reviewed this clip", "您已審核過此錄音")
	case errors.Is(err, corpus.ErrClaimed):
		return errf(http.StatusConflict, "claimed", "another reviewer is reviewing this clip; take the next one", "另一位審核者正在審核此錄音，請審核下一筆")
	case errors.Is(err, corpus.ErrNotAppealable):
		return errf(http.StatusConflict, "not_appealable", "only a rejection by review can be appealed, and only once", "只有審核未通過的錄音可以申訴，且僅限一次")
	case errors.As(err, &lintErr):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "transcript_errors", Message: "some segments have transcript errors; fix them and submit again",
			MessageZH: "部分段落的逐字稿有錯誤，請修正後再送出", Finding: lintErr.Findings}
	case errors.Is(err, transcribe.ErrEmpty):
		return errf(http.StatusUnprocessableEntity, "empty_transcription", "there is nothing to submit: add segments with text", "沒有可送出的內容：請加入有文字的段落")
	case errors.Is(err, transcribe.ErrTooLong):
		return errf(http.StatusRequestEntityTooLarge, "too_large", "the transcription is longer than 1 MiB", "逐字稿超過 1 MiB")
	case errors.Is(err, transcribe.ErrUnsupported):
		return errf(http.StatusUnprocessableEntity, "unsupported_audio", "only 16-bit PCM recordings can be transcribed here", "此處只能為 16 位元 PCM 錄音製作逐字稿")
	case errors.Is(err, corpus.ErrStaleDraft):
		return errf(http.StatusConflict, "stale_draft", "the draft was changed elsewhere since you loaded it; reload it", "草稿已在別處更新，請重新載入")
	case errors.Is(err, corpus.ErrNotTranscribable):
		return errf(http.StatusConflict, "not_transcribable", "this recording cannot be transcribed (rejected, or not a monologue or dialogue)", "此錄音無法製作逐字稿（未通過，或不是自由講或對話）")
	case errors.Is(err, corpus.ErrNotFound):
		return errNotFound
	case errors.Is(err, recorder.ErrConsentRequired):
		return errf(http.StatusConflict, "consent_required", "accept the project's consent text before recording", "錄音前請先同意本計畫的同意書")
	case errors.Is(err, recorder.ErrNoPrompts):
		return errf(http.StatusConflict, "no_tasks", "this project has nothing to record yet", "本計畫目前沒有可錄製的項目")
	case errors.As(err, &re):
		// The recorder says what is wrong in both languages; its Error()
		// is the English one only.
		return errf(http.StatusBadRequest, "bad_request", re.Message, re.MessageZH)
	case errors.Is(err, recorder.ErrBadRequest):
		return errf(http.StatusBadRequest, "bad_request", "the request is not what this route takes", "請求內容有誤")
	case errors.Is(err, corpus.ErrEmptyRelease):
		return errf(http.StatusConflict, "empty_release", "the project has no accepted clips from speakers with current consent", "本計畫尚無已通過審核、且講者同意書有效的錄音")
	case errors.As(err, &ie):
		return errf(http.StatusBadRequest, "invalid", err.Error(), ie.MessageZH)
	case errors.Is(err, corpus.ErrInvalid):
		// The detail is in English only (an administrator's input): the
		// Chinese message does not repeat it.
		return errf(http.StatusBadRequest, "invalid", err.Error(), "資料格式不正確，詳情請見英文說明")
	case errors.Is(err, corpus.ErrConflict):
		return errf(http.StatusConflict, "conflict", "that already exists", "資料已存在")
	case errors.Is(err, corpus.ErrNoSpace):
		return errf(http.StatusInsufficientStorage, "no_space", "the server is out of disk space; your recording is safe in your browser, try again later", "伺服器空間不足；您的錄音仍保存在瀏覽器中，請稍後再試")
	case errors.Is(err, corpus.ErrBusy):
		return errf(http.StatusServiceUnavailable, "busy", "the server is busy; try again in a few seconds", "伺服器忙碌中，請稍後再試")
	}
	return errInternal
}

// errorResponse renders the first error a handler recorded, once.
func (s *Server) errorResponse(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 || c.Writer.Written() {
		return
	}
	err := c.Errors[0].Err
	ae := toAPIError(err)
	if ae.Status >= 500 {
		// "code" lets NewDedupHandler fold the same failure repeated.
		s.log.Error("request failed", "request_id", requestID(c), "path", c.FullPath(), "code", ae.Code, "err", err.Error())
	}
	csrf := ""
	if sess := currentSession(c); sess != nil {
		csrf = sess.CSRFToken
	}
	s.writeError(c.Writer, c.Request, ae, requestID(c), currentUser(c), csrf)
}

// writeError is the one place an error reaches a client, whoever found it
// (a handler through errorResponse, a panic, cross-origin protection, the
// request-target check): routes under /api/ and clients that ask for JSON
// get {"error":{"code","message","message_zh"},"request_id"} (spec/api.md);
// people get a page in both languages with the same status and a way on
// (home, or sign-in for a 401). u and csrf, when known, keep the page's
// header (who is signed in, the sign-out form).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, ae *apiError, reqID string, u *corpus.User, csrf string) {
	h := w.Header()
	switch ae.Status {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusInsufficientStorage:
		if h.Get("Retry-After") == "" {
			h.Set("Retry-After", "5")
		}
	}
	if wantsHTML(r) {
		s.renderPage(w, ae.Status, "error.html", errorPageData(ae, reqID, u, csrf))
		return
	}
	b, err := json.Marshal(gin.H{"error": ae, "request_id": reqID})
	if err != nil {
		b = []byte(`{"error":{"code":"internal","message":"internal error","message_zh":"伺服器內部錯誤"}}`)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b) // the client may be gone; nothing else to tell it
}

// errorPageData is what error.html shows: a heading for the status in both
// languages, the error's own message, the request id.
func errorPageData(ae *apiError, reqID string, u *corpus.User, csrf string) pageData {
	zh, en := "發生錯誤", "Something went wrong"
	switch ae.Status {
	case http.StatusUnauthorized:
		zh, en = "請先登入", "Sign in first"
	case http.StatusForbidden:
		zh, en = "無法執行這個操作", "Not allowed"
	case http.StatusNotFound:
		zh, en = "找不到這個頁面", "Page not found"
	case http.StatusMethodNotAllowed:
		zh, en = "不支援此方法", "Method not allowed"
	case http.StatusBadRequest, http.StatusRequestHeaderFieldsTooLarge:
		zh, en = "請求有誤", "Bad request"
	case http.StatusRequestURITooLong:
		zh, en = "網址太長", "Address too long"
	case http.StatusTooManyRequests:
		zh, en = "請稍後再試", "Too many requests"
	}
	return pageData{Title: zh, TitleEN: en, Error: ae, Status: ae.Status, RequestID: reqID, User: u, CSRF: csrf,
		SignInLink: ae.Status == http.StatusUnauthorized || u == nil}
}

// wantsHTML reports whether an error for r is shown as a page. Routes under
// /api/ and the operations routes (/healthz, /metrics: read by monitors)
// always answer JSON; elsewhere a client gets JSON only when its Accept
// header ranks application/json above text/html. A browser's navigation
// ranks text/html first; curl's "*/*" ranks them equal and gets the page,
// like a browser.
func wantsHTML(r *http.Request) bool {
	if p := r.URL.Path; strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/metrics" {
		return false
	}
	accept := r.Header.Values("Accept")
	return acceptQ(accept, "application", "json") <= acceptQ(accept, "text", "html")
}

// acceptQ is the quality an Accept header gives typ/sub, from the most
// specific media range that matches it (RFC 9110 §12.5.1); without an
// Accept header every type has quality 1.
func acceptQ(accept []string, typ, sub string) float64 {
	if len(accept) == 0 {
		return 1
	}
	best, bestSpec := 0.0, -1
	for _, line := range accept {
		for _, part := range strings.Split(line, ",") {
			params := strings.Split(part, ";")
			t, st, ok := strings.Cut(strings.ToLower(strings.TrimSpace(params[0])), "/")
			if !ok {
				continue
			}
			spec := -1
			switch {
			case t == typ && st == sub:
				spec = 2
			case t == typ && st == "*":
				spec = 1
			case t == "*" && st == "*":
				spec = 0
			}
			if spec <= bestSpec {
				continue
			}
			q := 1.0
			for _, p := range params[1:] {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			best, bestSpec = q, spec
		}
	}
	return best
}

// fail records err for errorResponse and stops the chain.
func fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}
