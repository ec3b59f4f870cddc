package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// recorder keeps one worker's samples. Each worker has its own, so that
// recording takes no lock; they are merged when the run ends.
type recorder struct {
	live *atomic.Bool // set once the warm-up is over
	lat  map[string][]time.Duration
	errs map[string]int
	log  *errorLog
}

func newRecorder(live *atomic.Bool, log *errorLog) *recorder {
	return &recorder{live: live, lat: map[string][]time.Duration{}, errs: map[string]int{}, log: log}
}

func (r *recorder) ok(row string, d time.Duration) {
	if r.live.Load() {
		r.lat[row] = append(r.lat[row], d)
	}
}

// fail counts an error once measuring, and shows the first few of the run
// whenever they happen: a wrong request shows up in the warm-up already.
func (r *recorder) fail(row, what string) {
	if r.live.Load() {
		r.errs[row]++
	}
	r.log.add(row, what)
}

// errorLog prints the first errors of a run with what the server said.
type errorLog struct {
	mu    sync.Mutex
	w     io.Writer
	left  int
	total int
}

func (l *errorLog) add(row, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if l.left > 0 {
		l.left--
		fmt.Fprintf(l.w, "error in %s: %s\n", row, what)
	}
}

// worker sends requests for one simulated person or client, timing each
// from sending to the last byte of the answer, as its user waits that long.
type worker struct {
	hc  *http.Client
	rec *recorder
	buf bytes.Buffer
}

// stored stands for the statuses of a successful PUT: 201 for a new
// resource, 204 or 200 for a replaced one.
const stored = -1

func statusOK(status, want int) bool {
	if want == stored {
		return status == http.StatusCreated || status == http.StatusNoContent || status == http.StatusOK
	}
	return status == want
}

// call sends req, expects status want and, when check is set, an answer
// it accepts; it records the outcome under row and reports whether the
// exchange succeeded.
func (w *worker) call(row string, req *http.Request, want int, check func([]byte) error) bool {
	d, ok := w.send(row, req, want, check)
	if ok {
		w.rec.ok(row, d)
	}
	return ok
}

// send is call for a caller that records the time itself, under a row
// that depends on the answer; failures are recorded under row.
func (w *worker) send(row string, req *http.Request, want int, check func([]byte) error) (time.Duration, bool) {
	start := time.Now()
	status, err := w.exchange(req)
	d := time.Since(start)
	body := w.buf.Bytes()
	switch {
	case err != nil:
		w.rec.fail(row, fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
		return d, false
	case !statusOK(status, want):
		w.rec.fail(row, fmt.Sprintf("%s %s: status %d: %.400s", req.Method, req.URL.RequestURI(), status, body))
		return d, false
	}
	if check != nil {
		if err := check(body); err != nil {
			w.rec.fail(row, fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
			return d, false
		}
	}
	return d, true
}

func (w *worker) exchange(req *http.Request) (int, error) {
	resp, err := w.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	w.buf.Reset()
	_, err = w.buf.ReadFrom(resp.Body)
	return resp.StatusCode, err
}

// measure times f, which does its own requests (through package client),
// and records it under row.
func (w *worker) measure(row string, f func() error) bool {
	start := time.Now()
	err := f()
	d := time.Since(start)
	if err != nil {
		w.rec.fail(row, err.Error())
		return false
	}
	w.rec.ok(row, d)
	return true
}

// rowStats are one row's samples over the measured window, sorted.
type rowStats struct {
	lat    []time.Duration
	errors int
}

// percentile is the nearest-rank percentile of the sorted samples.
func (s *rowStats) percentile(p float64) time.Duration {
	n := len(s.lat)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(float64(n)*p/100)) - 1
	return s.lat[min(max(i, 0), n-1)]
}

// merge combines the workers' recorders into sorted rows.
func merge(recs []*recorder) map[string]*rowStats {
	out := map[string]*rowStats{}
	get := func(row string) *rowStats {
		if out[row] == nil {
			out[row] = &rowStats{}
		}
		return out[row]
	}
	for _, r := range recs {
		for row, l := range r.lat {
			s := get(row)
			s.lat = append(s.lat, l...)
		}
		for row, n := range r.errs {
			get(row).errors += n
		}
	}
	for _, s := range out {
		slices.Sort(s.lat)
	}
	return out
}
