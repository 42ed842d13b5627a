package server

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the Prometheus series of the server, on its own registry so
// that tests can build many servers.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	clips    *prometheus.CounterVec
	// reg is the registry, for the gauges added once options are known
	// (health.go) and for MetricsHandler.
	reg *prometheus.Registry
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dialect_http_requests_total", Help: "HTTP requests by route and status."}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dialect_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"method", "route"}),
		clips: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dialect_clips_ingested_total", Help: "Clips stored, by status."}, []string{"status"}),
		reg:   reg,
	}
	reg.MustRegister(m.requests, m.duration, m.clips, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched" // unbounded paths never become label values
	}
	m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
	m.duration.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}
