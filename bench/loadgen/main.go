// Command loadgen drives a running dialect server with speakers uploading
// 5-second clips (reliability.md L-01 closed loop, L-02 open loop), logs
// every acknowledged receipt, then checks that each one is in the corpus.
// With -sink it serves a bare handler that only reads and discards the body
// and drives that instead: the ratio of the two is the cost of validation
// plus durability.
//
//	loadgen -url http://127.0.0.1:8080 -admin-user admin -admin-pass PW -c 200 -d 60s
//	loadgen -sink -c 200 -d 60s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

type config struct {
	url, adminUser, adminPass, project string
	conc                               int
	dur                                time.Duration
	rate                               float64
	sink                               bool
	acks                               string
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server base URL")
	flag.StringVar(&c.adminUser, "admin-user", "admin", "admin username (creates the speakers)")
	flag.StringVar(&c.adminPass, "admin-pass", "", "admin password")
	flag.StringVar(&c.project, "project", "", "project id for the speakers (default: the first project)")
	flag.IntVar(&c.conc, "c", 200, "concurrent speakers")
	flag.DurationVar(&c.dur, "d", 60*time.Second, "duration")
	flag.Float64Var(&c.rate, "rate", 0, "open loop: uploads per second with Poisson arrivals (0: closed loop)")
	flag.BoolVar(&c.sink, "sink", false, "drive a bare read-and-discard handler instead of a server")
	flag.StringVar(&c.acks, "acks", "acks.jsonl", "file logging every acknowledged receipt")
	flag.Parse()
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type speaker struct {
	http *http.Client
	csrf string
	task map[string]any
}

type result struct {
	lat    time.Duration
	status int
	id     string
	sha    string
	sp     *speaker
}

func run(ctx context.Context, c config) (err error) {
	rng := rand.New(rand.NewPCG(1, 2))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, -62)
	audio := wavtest.Encode(wavtest.PCM16, mix)
	transport := &http.Transport{MaxIdleConnsPerHost: c.conc * 2, MaxConnsPerHost: c.conc * 2}
	if c.sink {
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		sink := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			// A client that does not get the whole receipt logs no
			// acknowledgement: the sink has nothing more to do.
			_, _ = fmt.Fprintf(w, `{"clip_id":"sink","bytes":%d}`, n)
		})}
		// Close at the end of the run ends Serve, whose error then says
		// only that; a sink that failed sooner shows in the report as
		// uploads without an answer (598).
		defer func() { _ = sink.Close() }()
		go func() { _ = sink.Serve(ln) }()
		c.url = "http://" + ln.Addr().String()
	}
	speakers := make([]*speaker, c.conc)
	if !c.sink {
		admin, err := signIn(ctx, c.url, c.adminUser, c.adminPass, transport)
		if err != nil {
			return fmt.Errorf("admin sign-in: %w", err)
		}
		var pidNum int64
		if c.project == "" {
			var ps struct{ Projects []struct{ ID int64 } }
			if err := admin.call(ctx, "GET", c.url+"/api/v1/admin/projects", nil, &ps); err != nil {
				return fmt.Errorf("list projects: %w", err)
			}
			if len(ps.Projects) == 0 {
				return errors.New("list projects: the server has none")
			}
			pidNum = ps.Projects[0].ID
		} else if pidNum, err = strconv.ParseInt(c.project, 10, 64); err != nil {
			return fmt.Errorf("-project: %w", err)
		}
		run := time.Now().UnixNano()
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for i := range speakers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("load-%x-%d", run, i)
				err := admin.call(ctx, "POST", c.url+"/api/v1/admin/users", map[string]any{"username": name, "role": "speaker", "project_id": pidNum, "password": "load test passphrase"}, nil)
				if err == nil {
					speakers[i], err = signIn(ctx, c.url, name, "load test passphrase", transport)
				}
				if err == nil {
					err = speakers[i].call(ctx, "POST", c.url+"/api/v1/consent", map[string]int{"consent_version": 1}, nil)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}()
		}
		wg.Wait()
		if e, _ := firstErr.Load().(error); e != nil {
			return fmt.Errorf("set up speakers: %w", e)
		}
	} else {
		for i := range speakers {
			speakers[i] = &speaker{http: &http.Client{Transport: transport}}
		}
	}

	acks, err := os.Create(c.acks)
	if err != nil {
		return err
	}
	// The acks file is the run's record of every receipt it was given: a
	// write or close that fails voids the run.
	defer func() {
		if cerr := acks.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("acks: %w", cerr)
		}
	}()
	var mu sync.Mutex
	var results []result
	var ackErr error // the first failed write to acks
	record := func(r result) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
		if r.status/100 == 2 && r.id != "" && ackErr == nil {
			_, ackErr = fmt.Fprintf(acks, "{\"clip_id\":%q,\"sha256\":%q}\n", r.id, r.sha)
		}
	}
	var seq atomic.Int64
	upload := func(sp *speaker) result {
		n := seq.Add(1)
		clientID := fmt.Sprintf("%08x-0000-4000-8000-%012x", time.Now().UnixNano()&0xffffffff, n)
		taskID, band := "sink", "low"
		if !c.sink {
			if sp.task == nil {
				var t map[string]any
				if err := sp.call(ctx, "GET", c.url+"/api/v1/tasks/next", nil, &t); err != nil {
					return result{status: 599}
				}
				sp.task = t
			}
			taskID, band = sp.task["task_id"].(string), sp.task["noise_band"].(string)
		}
		body, contentType, err := clipForm(clientID, taskID, band, audio)
		if err != nil {
			return result{status: 598} // not sent
		}
		req, err := http.NewRequestWithContext(ctx, "POST", c.url+"/api/v1/clips", bytes.NewReader(body))
		if err != nil {
			return result{status: 598} // not sent
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-CSRF-Token", sp.csrf)
		start := time.Now()
		resp, err := sp.http.Do(req)
		if err != nil {
			return result{lat: time.Since(start), status: 598}
		}
		var receipt struct {
			ClipID string `json:"clip_id"`
			SHA256 string `json:"sha256"`
		}
		answer, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close() // read to the end: a short body already shows as a missing receipt
		_ = json.Unmarshal(answer, &receipt)
		sp.task = nil // the next take gets the next task
		return result{lat: time.Since(start), status: resp.StatusCode, id: receipt.ClipID, sha: receipt.SHA256, sp: sp}
	}

	start := time.Now()
	end := start.Add(c.dur)
	var wg sync.WaitGroup
	if c.rate <= 0 {
		for _, sp := range speakers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					record(upload(sp))
				}
			}()
		}
	} else {
		free := make(chan *speaker, len(speakers))
		for _, sp := range speakers {
			free <- sp
		}
		for t := time.Now(); t.Before(end); t = time.Now() {
			time.Sleep(time.Duration(rng.ExpFloat64() / c.rate * float64(time.Second)))
			select {
			case sp := <-free:
				wg.Add(1)
				go func() {
					defer wg.Done()
					record(upload(sp))
					free <- sp
				}()
			default:
				record(result{status: 597}) // every speaker busy: counted as an error
			}
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ackErr != nil {
		return fmt.Errorf("acks: %w", ackErr)
	}
	if err := report(c, results, elapsed); err != nil {
		return err
	}
	if c.sink {
		return nil
	}
	return verify(ctx, c, results)
}

// clipForm is the multipart body of one take, as the recorder page posts
// it, and its Content-Type.
func clipForm(clientID, taskID, band string, audio []byte) (body []byte, contentType string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"client_clip_id", clientID}, {"task_id", taskID}, {"noise_band", band}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return nil, "", err
		}
	}
	fw, err := mw.CreateFormFile("audio", "take.wav")
	if err != nil {
		return nil, "", err
	}
	if _, err := fw.Write(audio); err != nil {
		return nil, "", err
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// verify asks the server for every acknowledged clip, as its speaker: each
// must be there with the SHA-256 of the receipt (0 lost acknowledgements).
func verify(ctx context.Context, c config, results []result) error {
	lost, checked := 0, 0
	for _, r := range results {
		if r.status/100 != 2 || r.id == "" {
			continue
		}
		var got struct {
			SHA256 string `json:"sha256"`
		}
		checked++
		if err := r.sp.call(ctx, "GET", c.url+"/api/v1/clips/"+r.id, nil, &got); err != nil || got.SHA256 != r.sha {
			lost++
		}
	}
	fmt.Printf("acknowledged clips checked %d, lost %d\n", checked, lost)
	if lost > 0 {
		return fmt.Errorf("%d acknowledged clips lost", lost)
	}
	return nil
}

func report(c config, results []result, elapsed time.Duration) error {
	var lats []time.Duration
	codes := map[int]int{}
	for _, r := range results {
		codes[r.status]++
		if r.status/100 == 2 {
			lats = append(lats, r.lat)
		}
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(int(p*float64(len(lats))), len(lats)-1)]
	}
	target := c.url
	if c.sink {
		target = "bare sink"
	}
	fmt.Printf("target %s, %d speakers, %s, %s\n", target, c.conc, elapsed.Round(time.Millisecond), map[bool]string{true: fmt.Sprintf("open loop %.0f/s", c.rate), false: "closed loop"}[c.rate > 0])
	fmt.Printf("uploads %d (%.1f/s ok), p50 %s p95 %s p99 %s max %s\n", len(results), float64(len(lats))/elapsed.Seconds(),
		pct(.5).Round(time.Millisecond), pct(.95).Round(time.Millisecond), pct(.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	fmt.Printf("status counts %v\n", codes)
	non2xx := len(results) - len(lats)
	if non2xx > 0 {
		return errors.New(fmt.Sprint(non2xx, " non-2xx responses"))
	}
	return nil
}

func signIn(ctx context.Context, base, user, pass string, tr http.RoundTripper) (*speaker, error) {
	jar, _ := cookiejar.New(nil)
	sp := &speaker{http: &http.Client{Jar: jar, Transport: tr, Timeout: 60 * time.Second}}
	var resp struct {
		CSRF string `json:"csrf_token"`
	}
	if err := sp.call(ctx, "POST", base+"/api/v1/session", map[string]string{"username": user, "password": pass}, &resp); err != nil {
		return nil, err
	}
	sp.csrf = resp.CSRF
	return sp, nil
}

func (sp *speaker) call(ctx context.Context, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if sp.csrf != "" {
		req.Header.Set("X-CSRF-Token", sp.csrf)
	}
	resp, err := sp.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
