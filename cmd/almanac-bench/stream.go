package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/almanac/almanac/client"
	"github.com/almanac/almanac/jsonapi"
)

// benchStream opens many change streams on a running server, all watching
// one shared calendar, and measures how long one change takes to reach
// every stream, and what an idle stream costs the server in memory.
func benchStream(args []string) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080", "server (registration must be open)")
	admin := fs.String("admin", "", "the server's --admin-listen URL, to measure its heap after a GC (optional)")
	streams := fs.Int("streams", 1000, "open streams")
	users := fs.Int("users", 10, "users the streams belong to (the calendar is shared with each)")
	changes := fs.Int("changes", 20, "changes to fan out, one at a time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *streams + 10, MaxConnsPerHost: 0}}
	tag := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	owner, err := signUp(ctx, hc, *url, "owner"+tag)
	if err != nil {
		return err
	}
	cal, err := owner.CreateCalendar(ctx, jsonapi.CalendarRequest{DisplayName: ptr("Fan-out")})
	if err != nil {
		return err
	}
	viewers := make([]*client.Client, *users)
	for i := range viewers {
		if viewers[i], err = signUp(ctx, hc, *url, fmt.Sprintf("viewer%d%s", i, tag)); err != nil {
			return err
		}
		me, _ := viewers[i].Me(ctx)
		if err := owner.Share(ctx, cal.ID, jsonapi.ShareRequest{UserID: me.ID, Role: "reader"}); err != nil {
			return err
		}
	}
	before, err := serverHeap(hc, *admin)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chans := make([]<-chan client.StreamEvent, *streams)
	for i := range chans {
		if chans[i], err = viewers[i%*users].Stream(sctx, ""); err != nil {
			return fmt.Errorf("stream %d: %w", i, err)
		}
	}
	time.Sleep(2 * time.Second)
	after, err := serverHeap(hc, *admin)
	if err != nil {
		return err
	}
	lat, err := fanOut(ctx, owner, cal.ID, chans, *changes)
	if err != nil {
		return err
	}
	fmt.Printf("%d streams (%d users) on one node, %d changes fanned out to all, %s\n\n", *streams, *users, *changes, time.Now().UTC().Format("2006-01-02"))
	perStream := "not measured (-admin)"
	if *admin != "" {
		perStream = fmt.Sprintf("%.1f KiB", float64(after-before)/float64(*streams)/1024)
	}
	fmt.Println("| delivery p50 | p95 | p99 | max | server heap per idle stream |")
	fmt.Println("|---:|---:|---:|---:|---:|")
	fmt.Printf("| %s | %s | %s | %s | %s |\n", ms(lat.quantile(0.5)), ms(lat.quantile(0.95)),
		ms(lat.quantile(0.99)), ms(lat.quantile(1)), perStream)
	return nil
}

// fanOut makes n changes one after another and records, for every stream,
// the time from sending the change to receiving its event.
func fanOut(ctx context.Context, owner *client.Client, calID string, chans []<-chan client.StreamEvent, n int) (latencies, error) {
	var lat latencies
	for i := range n {
		color := fmt.Sprintf("#%06x", i*4099%0xffffff)
		start := time.Now()
		if _, err := owner.UpdateCalendar(ctx, calID, jsonapi.CalendarRequest{Color: &color}); err != nil {
			return nil, err
		}
		got := make([]time.Duration, len(chans))
		var wg sync.WaitGroup
		var failed error
		var mu sync.Mutex
		for j, ch := range chans {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case _, ok := <-ch:
					if ok {
						got[j] = time.Since(start)
						return
					}
				case <-time.After(10 * time.Second):
				}
				mu.Lock()
				failed = fmt.Errorf("stream %d: no event for change %d", j, i)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if failed != nil {
			return nil, failed
		}
		lat = append(lat, got...)
	}
	return lat, nil
}

func signUp(ctx context.Context, hc *http.Client, url, name string) (*client.Client, error) {
	c := client.New(url, hc)
	if _, err := c.Register(ctx, jsonapi.RegisterRequest{Name: name, Email: name + "@bench.invalid", Password: "bench-password"}); err != nil {
		return nil, err
	}
	_, err := c.Login(ctx, name, "bench-password")
	return c, err
}

// serverHeap asks the server's profiler for its heap in use after a
// garbage collection, so that the figure is not noise from garbage.
func serverHeap(hc *http.Client, admin string) (int64, error) {
	if admin == "" {
		return 0, nil
	}
	resp, err := hc.Get(strings.TrimRight(admin, "/") + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapInuse = "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no HeapInuse in the heap profile (%v)", sc.Err())
}

func ptr[T any](v T) *T { return &v }
