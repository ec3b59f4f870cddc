package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// peerServer is one CalDAV collection of a comparison.
type peerServer struct {
	name, url string
	auth      string // Authorization header, empty for none
}

// parsePeer reads NAME=COLLECTION_URL[@user:pass]. A collection URL ends
// in "/", so the credentials start after the first "/@", which lets a
// user name be an e-mail address.
func parsePeer(arg string) (peerServer, error) {
	name, rest, ok := strings.Cut(arg, "=")
	if !ok || name == "" {
		return peerServer{}, fmt.Errorf("%q: want NAME=COLLECTION_URL[@user:pass]", arg)
	}
	s := peerServer{name: name, url: rest}
	if u, cred, ok := strings.Cut(rest, "/@"); ok {
		s.url = u + "/"
		s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
	}
	u, err := url.Parse(s.url)
	switch {
	case err != nil:
		return s, fmt.Errorf("%s: %w", name, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return s, fmt.Errorf("%s: %q is not an http(s) URL", name, s.url)
	case !strings.HasSuffix(s.url, "/"):
		return s, fmt.Errorf("%s: a collection URL ends in /", name)
	}
	return s, nil
}

// peerOptions are the settings of a comparison, the same for every server.
type peerOptions struct {
	events, clients  int
	duration, warmup time.Duration
	month            time.Time
	report           []byte // the month's calendar-query
	log              *errorLog
}

// peerResult is what one server did.
type peerResult struct {
	load   time.Duration
	failed int // PUTs of the load that failed
	hits   int // resources in the month's REPORT answer
	*result
}

func peers(args []string) error {
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	o := peerOptions{log: &errorLog{w: os.Stderr, left: 10}}
	fs.IntVar(&o.events, "events", 5000, "events loaded into each server")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per server")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before it")
	fs.IntVar(&o.clients, "clients", 8, "concurrent CalDAV clients")
	month := fs.String("month", "2026-11", "month (YYYY-MM) of the time-range REPORT")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var servers []peerServer
	for _, a := range fs.Args() {
		s, err := parsePeer(a)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	m, err := time.Parse(monthLayout, *month)
	switch {
	case err != nil:
		return fmt.Errorf("-month %q: want YYYY-MM", *month)
	case len(servers) == 0:
		return errors.New("peers: name at least one NAME=COLLECTION_URL[@user:pass]")
	case o.events < 1 || o.clients < 1 || o.duration <= 0:
		return errors.New("peers: -events, -clients and -duration must be positive")
	}
	o.month, o.report = m, monthQuery(m)
	return o.compare(os.Stdout, servers)
}

// compare measures the servers one after the other, so that they do not
// compete for the machine, and prints them side by side.
func (o *peerOptions) compare(w io.Writer, servers []peerServer) error {
	results := make([]*peerResult, len(servers))
	for i, s := range servers {
		fmt.Fprintf(os.Stderr, "%s: loading %d events into %s\n", s.name, o.events, s.url)
		r, err := o.bench(s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		results[i] = r
	}
	o.writePeers(w, servers, results)
	return checkHits(servers, results)
}

// checkHits fails the comparison when a server's month REPORT finds other
// resources than the first server's: a fast wrong answer does not count.
func checkHits(servers []peerServer, results []*peerResult) error {
	var wrong []string
	for i, r := range results {
		if r.hits != results[0].hits || r.failed > 0 {
			wrong = append(wrong, fmt.Sprintf("%s (%d hits, %d failed PUTs)", servers[i].name, r.hits, r.failed))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("%s found %d hits; these differ or lost events: %s", servers[0].name, results[0].hits, strings.Join(wrong, ", "))
	}
	return nil
}

// bench loads the events into one server, counts its month's hits and
// runs the CalDAV mix against it.
func (o *peerOptions) bench(s peerServer) (*peerResult, error) {
	hc := httpClient(o.clients + 8)
	if err := o.ensureCollection(hc, s); err != nil {
		return nil, err
	}
	r := &peerResult{}
	r.load, r.failed = o.loadEvents(hc, s)
	var err error
	if r.hits, err = o.monthHits(hc, s); err != nil {
		return nil, err
	}
	r.result, err = o.mix(hc, s)
	return r, err
}

func (o *peerOptions) worker(hc *http.Client, live *atomic.Bool) worker {
	return worker{hc: hc, rec: newRecorder(live, o.log)}
}

// ensureCollection makes the calendar unless it is there. Servers differ
// in how they say that a collection is missing (Xandikos answers a
// PROPFIND with a multistatus holding a 404), so MKCALENDAR goes first and
// a refusal is accepted if the URL then proves to be a calendar.
func (o *peerOptions) ensureCollection(hc *http.Client, s peerServer) error {
	w := o.worker(hc, &atomic.Bool{})
	status, err := w.exchange(newDAVRequest("MKCALENDAR", s.url, s.auth, "", mkcalendarBody))
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		return nil
	}
	refusal := fmt.Sprintf("MKCALENDAR %s: status %d: %.300s", s.url, status, w.buf.Bytes())
	status, err = w.exchange(newDAVRequest("PROPFIND", s.url, s.auth, "0", resourceTypeBody))
	if err != nil || status != http.StatusMultiStatus || !isCalendar(w.buf.Bytes()) {
		return fmt.Errorf("%s, and it is not a calendar", refusal)
	}
	return nil
}

// eventURL names event i of the peer data set in a collection.
func eventURL(s peerServer, i int) string { return fmt.Sprintf("%ssim-%d.ics", s.url, i) }

// putRequest writes event i of the peer data set.
func putRequest(s peerServer, i int) *http.Request {
	req := newDAVRequest("PUT", eventURL(s, i), s.auth, "", simEvent(1, 0, i))
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	return req
}

// loadEvents PUTs the data set with four writers, as a client importing a
// calendar might, and returns how long it took and how many PUTs failed.
func (o *peerOptions) loadEvents(hc *http.Client, s peerServer) (time.Duration, int) {
	var next, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			w := o.worker(hc, &atomic.Bool{})
			for i := int(next.Add(1) - 1); i < o.events; i = int(next.Add(1) - 1) {
				if !w.call("load", putRequest(s, i), stored, nil) {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), int(failed.Load())
}

// monthHits runs the month's REPORT once and counts the resources found.
func (o *peerOptions) monthHits(hc *http.Client, s peerServer) (int, error) {
	w := o.worker(hc, &atomic.Bool{})
	hits := 0
	ok := w.call("month hits", newDAVRequest("REPORT", s.url, s.auth, "1", o.report), http.StatusMultiStatus, func(b []byte) error {
		ms, err := scanMultistatus(b)
		hits = ms.hrefs
		return err
	})
	if !ok {
		return 0, errors.New("the month REPORT failed")
	}
	return hits, nil
}
