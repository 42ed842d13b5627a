package server

import (
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// diskState is the free space of one watched folder.
type diskState struct {
	Name      string `json:"name"`
	FreeBytes int64  `json:"free_bytes"`
	MinBytes  int64  `json:"min_free_bytes"`
	Err       string `json:"error,omitempty"`
}

// diskNames are the names of Options.Disks, sorted.
func (s *Server) diskNames() []string {
	names := make([]string, 0, len(s.opts.Disks))
	for n := range s.opts.Disks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// disks measures every folder of Options.Disks; low is true when one has
// less than Options.MinFreeDisk free (or cannot be measured).
func (s *Server) disks() (states []diskState, low bool) {
	for _, n := range s.diskNames() {
		st := diskState{Name: n, MinBytes: s.opts.MinFreeDisk}
		free, err := diskFree(s.opts.Disks[n])
		switch {
		case err != nil:
			st.Err, low = err.Error(), true
		default:
			st.FreeBytes = free
			low = low || (s.opts.MinFreeDisk > 0 && free < s.opts.MinFreeDisk)
		}
		states = append(states, st)
	}
	return states, low
}

// healthz is 200 {"status":"ok"} when the database answers and every
// watched folder has at least Options.MinFreeDisk free; otherwise 503 with
// the failing parts named in "failing" ("database", "disk").
func (s *Server) healthz(c *gin.Context) {
	var failing []string
	if _, err := s.db.Projects(c.Request.Context()); err != nil {
		failing = append(failing, "database")
	}
	body := gin.H{}
	if len(s.opts.Disks) > 0 {
		states, low := s.disks()
		if low {
			failing = append(failing, "disk")
		}
		body["disk"] = states
	}
	if len(failing) > 0 {
		body["status"], body["failing"] = "unavailable", failing
		c.JSON(http.StatusServiceUnavailable, body)
		return
	}
	body["status"] = "ok"
	c.JSON(http.StatusOK, body)
}

// registerDiskMetrics adds the free-space gauges of Options.Disks.
func (s *Server) registerDiskMetrics() {
	for _, n := range s.diskNames() {
		path := s.opts.Disks[n]
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dialect_disk_free_bytes", Help: "Free space available to dialect, by watched folder (data, temp).",
			ConstLabels: prometheus.Labels{"disk": n},
		}, func() float64 {
			free, err := diskFree(path)
			if err != nil {
				return -1
			}
			return float64(free)
		}))
	}
	if len(s.opts.Disks) > 0 {
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dialect_disk_min_free_bytes", Help: "limits.min_free_disk: below it /healthz answers 503 naming disk.",
		}, func() float64 { return float64(s.opts.MinFreeDisk) }))
	}
}

// MetricsHandler serves the Prometheus metrics at /metrics, and 404 for
// anything else: for its own listener (server.metrics_addr), never the
// public address.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}
