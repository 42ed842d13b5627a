package browsertest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// smallBodyProxy stands in front of the server as a reverse proxy with a
// small body limit does (nginx's client_max_body_size): a body over limit
// is read and thrown away, and answered with the proxy's own HTML 413,
// which is not the API's JSON. deploy/ runs the real nginx and Caddy; this
// one lets the page be driven in Chromium.
type smallBodyProxy struct {
	next  http.Handler
	limit int64

	mu  sync.Mutex
	log []string // "PATCH 786432 413", ...
}

func (p *smallBodyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > p.limit {
		_, _ = io.Copy(io.Discard, r.Body)
		p.note(r, 413)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
		return
	}
	sw := &statusWriter{ResponseWriter: w, code: 200}
	p.next.ServeHTTP(sw, r)
	if r.Method == http.MethodPatch || r.URL.Path == "/api/v1/clips" && r.Method == http.MethodPost {
		p.note(r, sw.code)
	}
}

func (p *smallBodyProxy) note(r *http.Request, code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, fmt.Sprintf("%s %d %d", r.Method, r.ContentLength, code))
}

func (p *smallBodyProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// behindSmallProxy serves e's app through a smallBodyProxy on its own
// port and returns the proxy and its URL.
func behindSmallProxy(t *testing.T, e *env, limit int64) (*smallBodyProxy, string) {
	t.Helper()
	p := &smallBodyProxy{next: e.srv.Handler(), limit: limit}
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return p, "http://" + ln.Addr().String()
}

// TestRecorderProxy413: behind a proxy that refuses bodies over 300 KB
// with its own HTML 413, a monologue's resumable upload halves its chunk
// until it passes (256 KiB) and arrives; a prompted take too large for the
// proxy as one form POST goes again through the resumable upload, in
// chunks. The speaker sees receipts, not "refused by the server".
func TestRecorderProxy413(t *testing.T) {
	const limit = 300_000
	for _, tc := range []struct {
		mode    string
		seconds float64
	}{
		{"monologue", 16},
		{"prompted", 12},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e := newEnv(t, tc.mode)
			p, base := behindSmallProxy(t, e, limit)
			wav := fixture(t, "proxy413-"+tc.mode, tc.seconds+10, wavtest.Pink, quietDB, [2]float64{2, tc.seconds - 3})
			ctx := browser(t, wav)
			signInAt(t, ctx, base)
			openRecorder(t, ctx)
			consent(t, ctx)
			roomCheck(t, ctx)
			record(t, ctx, tc.seconds)
			click(t, ctx, "stop")
			click(t, ctx, "submit")
			st := receipt(t, ctx, 90*time.Second)
			log := p.seen()
			t.Logf("%s: through a %d-byte proxy limit: %v → receipt %s", tc.mode, limit, log, st)
			if st != "pending_review" {
				t.Fatalf("receipt %s: %s", st, eval[string](t, ctx, `document.querySelector('[data-testid=receipt]').innerText`))
			}
			if tc.mode == "prompted" {
				if len(log) == 0 || !strings.HasPrefix(log[0], "POST ") || !strings.HasSuffix(log[0], " 413") {
					t.Fatalf("requests %v: want the form refused by the proxy first", log)
				}
				log = log[1:]
			}
			// PATCHes: refused, each at most half the one before, until one
			// fits; then every one passes, none larger.
			refused, passed, prev := 0, 0, int64(0)
			for _, l := range log {
				var method string
				var size int64
				var code int
				if _, err := fmt.Sscan(l, &method, &size, &code); err != nil || method != "PATCH" {
					t.Fatalf("request %q in %v", l, log)
				}
				switch {
				case code == 413 && passed == 0 && (prev == 0 || size <= prev/2+1 || size == 256<<10):
					refused++
				case code == 204 && size <= limit:
					passed++
				default:
					t.Fatalf("requests %v: %q out of order", log, l)
				}
				prev = size
			}
			if refused == 0 || !strings.HasSuffix(log[len(log)-1], " 204") {
				t.Fatalf("requests %v: want 413s, then 204s", log)
			}
			if q := eval[string](t, ctx, `document.querySelector('[data-testid=queue]').innerText`); strings.Contains(q, "refused") {
				t.Fatalf("the queue says %q", q)
			}
			if n := len(e.clips()); n != 1 {
				t.Fatalf("%d clips, want 1", n)
			}
			e.audit()
		})
	}
}
