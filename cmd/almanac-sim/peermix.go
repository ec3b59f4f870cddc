package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// peerClient is one CalDAV client of the comparison's mix.
type peerClient struct {
	worker
	o     *peerOptions
	s     peerServer
	rng   *rand.Rand
	token string
	first int // the number of the first event the client adds
	next  int // the number of the next one
}

// peerOps is the CalDAV part of the mix, the same for every server: what a
// syncing client does most (poll), a calendar app showing a month, and an
// occasional write and fetch.
var peerOps = []struct {
	name   string
	weight int
	f      func(*peerClient)
}{
	{opCalDAVReport, 3, (*peerClient).report},
	{opCalDAVSync, 3, (*peerClient).sync},
	{opCalDAVCTag, 2, (*peerClient).ctag},
	{"put_event", 1, (*peerClient).put},
	{"get_event", 1, (*peerClient).get},
}

func (c *peerClient) report() {
	c.call(opCalDAVReport, newDAVRequest("REPORT", c.s.url, c.s.auth, "1", c.o.report), http.StatusMultiStatus, looksMultistatus)
}

// sync polls with the client's token, reporting polls that find changes
// (the other clients' PUTs) apart from those that find none, as run does.
func (c *peerClient) sync() {
	d, changed, ok := c.syncAs(opCalDAVSync)
	switch {
	case !ok:
		c.fullSync()
	case changed:
		c.rec.ok(rowSyncChanged, d)
	default:
		c.rec.ok(opCalDAVSync, d)
	}
}

func (c *peerClient) fullSync() bool {
	c.token = ""
	d, _, ok := c.syncAs(rowFullSync)
	if ok {
		c.rec.ok(rowFullSync, d)
	}
	return ok
}

// syncAs sends a sync-collection REPORT with the client's token and takes
// the new one from the answer.
func (c *peerClient) syncAs(row string) (d time.Duration, changed, ok bool) {
	req := newDAVRequest("REPORT", c.s.url, c.s.auth, "0", syncBody(c.token))
	d, ok = c.send(row, req, http.StatusMultiStatus, func(b []byte) error {
		ms, err := scanMultistatus(b)
		if err == nil && ms.syncToken == "" {
			err = errors.New("the answer has no sync-token")
		}
		c.token, changed = ms.syncToken, ms.hrefs > 0
		return err
	})
	return d, changed, ok
}

func (c *peerClient) ctag() {
	c.call(opCalDAVCTag, newDAVRequest("PROPFIND", c.s.url, c.s.auth, "0", ctagBody), http.StatusMultiStatus, looksMultistatus)
}

func (c *peerClient) put() {
	c.call("put_event", putRequest(c.s, c.next), stored, nil)
	c.next++
}

// removeAdded deletes the events the client added, so that the collection
// holds the data set alone again: another comparison on it then finds the
// same hits.
func (c *peerClient) removeAdded() {
	for i := c.first; i < c.next; i++ {
		req := newDAVRequest("DELETE", eventURL(c.s, i), c.s.auth, "", nil)
		if status, err := c.exchange(req); err != nil || status >= 300 && status != http.StatusNotFound {
			c.rec.fail("clean-up", fmt.Sprintf("DELETE %s: %d %v", req.URL.Path, status, err))
		}
	}
}

func (c *peerClient) get() {
	req := newDAVRequest("GET", eventURL(c.s, c.rng.IntN(c.o.events)), c.s.auth, "", nil)
	c.call("get_event", req, http.StatusOK, func(b []byte) error {
		if len(b) < 15 || string(b[:15]) != "BEGIN:VCALENDAR" {
			return fmt.Errorf("not iCalendar: %.100q", b)
		}
		return nil
	})
}

// mix runs the clients against one server: each syncs fully first, as a
// client does when it adds a calendar, then draws operations by weight.
func (o *peerOptions) mix(hc *http.Client, s peerServer) (*result, error) {
	var live atomic.Bool
	clients := make([]*peerClient, o.clients)
	for i := range clients {
		first := o.events + (i+1)*1_000_000
		c := &peerClient{worker: o.worker(hc, &live), o: o, s: s, rng: rand.New(rand.NewPCG(1, uint64(i))),
			first: first, next: first}
		if !c.fullSync() {
			return nil, errors.New("the initial sync failed")
		}
		clients[i] = c
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.loop(stop) })
	}
	time.Sleep(o.warmup)
	live.Store(true)
	start := time.Now()
	time.Sleep(o.duration)
	live.Store(false)
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	for _, c := range clients {
		wg.Go(c.removeAdded)
	}
	wg.Wait()
	recs := make([]*recorder, len(clients))
	for i, c := range clients {
		recs[i] = c.rec
	}
	return &result{elapsed: elapsed, rows: merge(recs)}, nil
}

func (c *peerClient) loop(stop <-chan struct{}) {
	total := 0
	for _, op := range peerOps {
		total += op.weight
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		x := c.rng.IntN(total)
		for _, op := range peerOps {
			if x -= op.weight; x < 0 {
				op.f(c)
				break
			}
		}
	}
}

// writePeers prints the load, the mix per server, and every server's
// figures as ratios to the first one's.
func (o *peerOptions) writePeers(w io.Writer, servers []peerServer, results []*peerResult) {
	fmt.Fprintf(w, "## almanac-sim peers: %d events, %d clients, %s per server, REPORT of %s\n\n",
		o.events, o.clients, o.duration, o.month.Format(monthLayout))
	fmt.Fprintf(w, "| server | load s | PUT/s | failed PUTs | month hits |\n|---|---:|---:|---:|---:|\n")
	for i, r := range results {
		hits := fmt.Sprint(r.hits)
		if r.hits != results[0].hits {
			hits += " (WRONG: " + servers[0].name + " finds " + fmt.Sprint(results[0].hits) + ")"
		}
		fmt.Fprintf(w, "| %s | %.1f | %.0f | %d | %s |\n", servers[i].name, r.load.Seconds(),
			float64(o.events)/r.load.Seconds(), r.failed, hits)
	}
	fmt.Fprintf(w, "\n| server | operation | ops/s | p50 ms | p99 ms | errors |\n|---|---|---:|---:|---:|---:|\n")
	for i, r := range results {
		for _, name := range r.rowOrder() {
			st := r.rows[name]
			fmt.Fprintf(w, "| %s | %s | %.1f | %s | %s | %d |\n", servers[i].name, name, r.rate(len(st.lat)),
				ms(st.percentile(50)), ms(st.percentile(99)), st.errors)
		}
	}
	if len(results) > 1 {
		writeRatios(w, servers, results)
	}
}

// writeRatios compares each server with the first: throughput and p99 as
// multiples of the first server's, load speed likewise.
func writeRatios(w io.Writer, servers []peerServer, results []*peerResult) {
	base := results[0]
	fmt.Fprintf(w, "\nRatios to %s (ops/s: above 1 is more; p99: above 1 is slower):\n\n", servers[0].name)
	fmt.Fprintf(w, "| server | operation | ops/s ratio | p99 ratio |\n|---|---|---:|---:|\n")
	for i, r := range results[1:] {
		name := servers[i+1].name
		fmt.Fprintf(w, "| %s | load (PUT/s) | %.2f | |\n", name, base.load.Seconds()/r.load.Seconds())
		for _, row := range base.rowOrder() {
			a, b := base.rows[row], r.rows[row]
			if b == nil || len(a.lat) == 0 || len(b.lat) == 0 {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %.2f | %.2f |\n", name, row,
				r.rate(len(b.lat))/base.rate(len(a.lat)), float64(b.percentile(99))/float64(a.percentile(99)))
		}
	}
}
