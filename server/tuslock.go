package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// tusLockWait is how long a request waits for an upload's lock after
// asking the holder to stop (reliability.md C6: 20 s).
const tusLockWait = 20 * time.Second

// errLockTimeout: the request holding an upload did not let go in time
// (→ 423, which tus clients retry).
var errLockTimeout = errf(http.StatusLocked, "upload_locked", "another request for this upload is still running; try again shortly", "此上傳仍有其他請求進行中，請稍後再試")

// uploadLocks is one lock per upload id with tusd-style handover: a new
// request for an upload asks the request holding it to stop (a PATCH then
// stops reading its body, keeps what it received and returns), then takes
// the lock. The newest request wins, so a client that reconnects after a
// silent network drop does not wait for the dead connection's deadline.
// The zero value is ready to use.
type uploadLocks struct {
	mu sync.Mutex
	m  map[string]*uploadLock
}

type uploadLock struct {
	token chan struct{} // holds one value while the lock is held
	refs  int           // the holder and the waiters
	gen   uint64        // acquisitions asked for so far
	// stop is the holder's stop request, closed once; nil while free.
	stop       chan struct{}
	stopClosed bool
}

// heldUpload is a held upload lock. stop is closed when a newer request
// wants the upload.
type heldUpload struct {
	locks *uploadLocks
	id    string
	l     *uploadLock
	stop  <-chan struct{}
}

// stopOnShutdown makes srv's graceful shutdown (SIGTERM, SIGINT) stop every
// running request for an upload: a PATCH keeps what it received, commits
// its offset and answers 503 with Retry-After (errShuttingDown), so the
// client resumes from there after the restart instead of losing up to a
// chunk, or taking a 4xx for final. A PATCH that gets an upload's lock
// while srv shuts down stops at once the same way. The flag lives in the
// contexts of srv's requests, so another http.Server over the same Server
// (a test restarting on the same address) starts afresh.
func (ls *uploadLocks) stopOnShutdown(srv *http.Server) {
	closing := new(atomic.Bool)
	base := srv.BaseContext
	srv.BaseContext = func(l net.Listener) context.Context {
		ctx := context.Background()
		if base != nil {
			ctx = base(l)
		}
		return context.WithValue(ctx, shutdownKey{}, closing)
	}
	srv.RegisterOnShutdown(func() {
		closing.Store(true) // before the stops: a stopped PATCH sees it
		ls.stopAll()
	})
}

// shutdownKey keys the shutdown flag of the http.Server a request came to.
type shutdownKey struct{}

// shuttingDown reports whether the http.Server that received r is shutting
// down (stopOnShutdown).
func shuttingDown(r *http.Request) bool {
	f, _ := r.Context().Value(shutdownKey{}).(*atomic.Bool)
	return f != nil && f.Load()
}

// errShuttingDown answers a PATCH stopped by a graceful shutdown: the
// server is going, not the upload, so a client retries after Retry-After
// (tus-js-client and tuspy retry a 5xx; the recorder every transient
// status) and HEAD then says where to resume.
var errShuttingDown = errf(http.StatusServiceUnavailable, "server_restarting",
	"the server is restarting; what arrived was kept, and the upload resumes from there by itself",
	"伺服器正在重新啟動；已收到的部分已保存，稍後會自動從中斷處繼續上傳")

// shutdownRetryAfter is errShuttingDown's Retry-After, in seconds: about
// how long a restart takes.
const shutdownRetryAfter = "5"

// stopAll asks every running request to stop (stopOnShutdown).
func (ls *uploadLocks) stopAll() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, l := range ls.m {
		l.askStop()
	}
}

// askStop closes the holder's stop channel, once. Called with mu held.
func (l *uploadLock) askStop() {
	if l.stop != nil && !l.stopClosed {
		close(l.stop)
		l.stopClosed = true
	}
}

// acquire takes id's lock, asking its holder to stop first, and waits up to
// wait (errLockTimeout) or until ctx ends.
func (ls *uploadLocks) acquire(ctx context.Context, id string, wait time.Duration) (*heldUpload, error) {
	ls.mu.Lock()
	if ls.m == nil {
		ls.m = map[string]*uploadLock{}
	}
	l := ls.m[id]
	if l == nil {
		l = &uploadLock{token: make(chan struct{}, 1)}
		ls.m[id] = l
	}
	l.refs++
	l.gen++
	mine := l.gen
	l.askStop()
	ls.mu.Unlock()

	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case l.token <- struct{}{}:
	case <-t.C:
		ls.drop(id, l)
		return nil, errLockTimeout
	case <-ctx.Done():
		ls.drop(id, l)
		return nil, ctx.Err()
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l.stop, l.stopClosed = make(chan struct{}), false
	if l.gen != mine {
		// A newer request came while this one waited: give way to it as
		// soon as possible.
		l.askStop()
	}
	return &heldUpload{locks: ls, id: id, l: l, stop: l.stop}, nil
}

// release lets the lock go. Call it once.
func (h *heldUpload) release() {
	h.locks.mu.Lock()
	h.l.stop, h.l.stopClosed = nil, false
	h.locks.mu.Unlock()
	<-h.l.token
	h.locks.drop(h.id, h.l)
}

func (ls *uploadLocks) drop(id string, l *uploadLock) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(ls.m, id)
	}
}

// size is the number of upload ids with a holder or waiter (for tests).
func (ls *uploadLocks) size() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.m)
}

// errInterrupted ends a PATCH body that a newer request for the upload
// took over (→ 400, as tusd answers, so the superseded client does not
// fight back).
var errInterrupted = errf(http.StatusBadRequest, "upload_interrupted", "a newer request for this upload took over; what arrived was kept", "此上傳已由較新的請求接手；已收到的內容已保存")

// aLongTimeAgo is a read deadline that ends a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)

// tusBody is a PATCH body. After every read it pushes the connection's
// read deadline 60 s and its write deadline 120 s ahead (reliability.md
// C3, as tusd does): a dead connection is noticed within a minute, a live
// slow one is never cut. interrupt ends it early. err keeps the body's own
// failure, which is then the client's, never the server's.
type tusBody struct {
	r           io.Reader
	rc          *http.ResponseController
	interrupted atomic.Bool
	err         error // the first read error other than io.EOF
}

func newTUSBody(r io.Reader, w http.ResponseWriter) *tusBody {
	b := &tusBody{r: r, rc: http.NewResponseController(w)}
	b.extend()
	return b
}

func (b *tusBody) extend() {
	_ = b.rc.SetReadDeadline(time.Now().Add(60 * time.Second))
	_ = b.rc.SetWriteDeadline(time.Now().Add(120 * time.Second))
}

func (b *tusBody) Read(p []byte) (int, error) {
	if b.interrupted.Load() {
		return 0, errInterrupted
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.extend()
	}
	// Checked after the deadline moved: interrupt sets the flag before it
	// ends the read, so a late extension never outlives the flag.
	if b.interrupted.Load() {
		return n, errInterrupted
	}
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// interrupt ends the body: a read in progress returns at once.
func (b *tusBody) interrupt() {
	b.interrupted.Store(true)
	_ = b.rc.SetReadDeadline(aLongTimeAgo)
}

// watch interrupts b when stop closes, until the returned function is
// called; after it returns, b is no longer touched.
func (b *tusBody) watch(stop <-chan struct{}) (done func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-stop:
			b.interrupt()
		case <-quit:
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}
