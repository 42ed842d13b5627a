package server

// HoldDownloadSlots takes n of a vendor token's download slots, as n
// downloads in flight would, and returns the function that gives them back.
func HoldDownloadSlots(s *Server, tokenID int64, n int) (release func()) {
	key := "t" + itoa(int(tokenID))
	for range n {
		s.downloadSlots().acquire(key)
	}
	return func() {
		for range n {
			s.downloadSlots().release(key)
		}
	}
}
