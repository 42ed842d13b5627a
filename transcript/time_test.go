package transcript

import "time"

var (
	testingNow   = time.Now
	testingSince = time.Since
)
