package server_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// BenchmarkUpload posts 5-second clips from parallel speakers through the
// whole stack: HTTP, session, multipart, validate, lint, durable commit.
func BenchmarkUpload(b *testing.B) {
	e := newEnv(b, server.Options{LoginPerIPPerMinute: 100000, UploadsPerSpeaker: 1000})
	sp := e.signIn("ah-bin")
	sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1})
	audio := clip(1, -65)
	task := sp.do("GET", "/api/v1/tasks/next", nil).json()
	id, band := task["task_id"].(string), task["noise_band"].(string)
	var n atomic.Int64
	b.SetBytes(int64(len(audio)))
	b.SetParallelism(50) // 100 speakers' uploads in flight on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := sp.upload(fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)), id, band, "", audio)
			if r.status != 201 {
				b.Errorf("upload: %d %s", r.status, r.body)
				return
			}
		}
	})
}
