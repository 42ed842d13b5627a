package server

import "time"

// HoldDownloadSlots takes n of a vendor token's download slots, as n
// downloads in flight would, and returns the function that gives them back.
// It first waits for earlier downloads of the token to let go of theirs:
// a handler's deferred release can run just after its client has read the
// whole body.
func HoldDownloadSlots(s *Server, tokenID int64, n int) (release func()) {
	key := "t" + itoa(int(tokenID))
	d := s.downloadSlots()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		d.mu.Lock()
		busy := d.n[key]
		d.mu.Unlock()
		if busy == 0 {
			break
		}
	}
	held := 0
	for range n {
		if d.acquire(key) {
			held++
		}
	}
	return func() {
		for range held {
			d.release(key)
		}
	}
}
