package external

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// feedServer serves a feed that tests change between refreshes, with an
// ETag so that unchanged feeds are answered 304.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	fetches  int
	notMod   int
	handlers map[string]http.HandlerFunc
}

func newFeedServer(t *testing.T) *feedServer {
	f := &feedServer{handlers: map[string]http.HandlerFunc{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.handlers[r.URL.Path]
	body := f.body
	f.fetches++
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, len(body)*31+strings.Count(body, "UID"))
	if r.Header.Get("If-None-Match") == etag {
		f.mu.Lock()
		f.notMod++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "text/calendar")
	fmt.Fprint(w, body)
}

func (f *feedServer) set(body string) {
	f.mu.Lock()
	f.body = body
	f.mu.Unlock()
}

func feed(events ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//feed//EN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Feed\r\nREFRESH-INTERVAL;VALUE=DURATION:PT2H\r\n")
	for _, e := range events {
		b.WriteString(e)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func ev(uid, summary string, day int) string {
	return fmt.Sprintf("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:%s\r\nDTSTART:202603%02dT100000Z\r\nDTEND:202603%02dT110000Z\r\nSUMMARY:%s\r\nEND:VEVENT\r\n",
		uid, time.Now().UTC().Format("20060102T150405Z"), day, day, summary)
}

type fixture struct {
	svc  *Service
	cals *calendar.Service
	st   *store.Store
	user *store.User
}

func newFixture(t *testing.T, st *store.Store, opt Options) *fixture {
	t.Helper()
	u := &store.User{Name: "alice", Email: "alice@example.com"}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	cals := calendar.New(st, calendar.Options{})
	if opt.MinInterval == 0 {
		opt.MinInterval = time.Minute
	}
	return &fixture{svc: New(cals, opt), cals: cals, st: st, user: u}
}

func (f *fixture) names(t *testing.T, cal *store.Calendar) []string {
	objs, err := f.st.ListObjects(context.Background(), cal.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Name)
	}
	return out
}

func TestSubscriptionRefreshes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv := newFeedServer(t)
		srv.set(feed(ev("a", "A", 1), ev("b", "B", 2), ev("c", "C", 3)))
		f := newFixture(t, st, Options{AllowPrivate: true})
		cal, err := f.svc.Subscribe(ctx, f.user, Subscription{Kind: store.SourceICS, URL: srv.URL + "/feed.ics"})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.names(t, cal); strings.Join(got, " ") != "a.ics b.ics c.ics" || !cal.ReadOnly() || cal.DisplayName != "127.0.0.1" {
			t.Fatalf("after subscribing: %v %+v", got, cal)
		}
		src, _ := st.GetSource(ctx, cal.ID)
		if src.ETag == "" || src.LastSuccessAt.IsZero() || src.NextAttemptAt.Before(time.Now().Add(100*time.Minute)) {
			t.Errorf("source after the first fetch (the feed asks for 2 h): %+v", src)
		}
		// Unchanged: a conditional GET answered 304, nothing written.
		rev := cal.Revision
		if err := f.svc.Refresh(ctx, cal); err != nil || srv.notMod != 1 {
			t.Fatalf("refresh: %v, %d not modified", err, srv.notMod)
		}
		// The feed is regenerated (new DTSTAMPs), one event edited, one
		// dropped, one added.
		srv.set(feed(ev("a", "A", 1), ev("b", "B moved", 9), ev("d", "D", 4)))
		if err := f.svc.Refresh(ctx, cal); err != nil {
			t.Fatal(err)
		}
		if got := f.names(t, cal); strings.Join(got, " ") != "a.ics b.ics d.ics" {
			t.Fatalf("after the change: %v", got)
		}
		changes, _, err := st.ChangesSince(ctx, cal.ID, rev, 0)
		if err != nil || len(changes) != 3 {
			t.Fatalf("changes: %+v %v (a only got a new DTSTAMP: not a change)", changes, err)
		}
		if _, err := f.cals.PutObject(ctx, f.user, cal, "x.ics", []byte(feed(ev("x", "X", 5))), store.Conditions{}); !errors.Is(err, calendar.ErrReadOnly) {
			t.Errorf("a user wrote into the subscription: %v", err)
		}
	})
}

// TestSubscriptionChurningUIDs refreshes a feed whose UIDs change every
// time: the calendar keeps the size of the feed, and its change log stays
// bounded.
func TestSubscriptionChurningUIDs(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	srv := newFeedServer(t)
	n := 0
	srv.handlers["/churn.ics"] = func(w http.ResponseWriter, r *http.Request) {
		n++
		var evs []string
		for i := range 600 {
			evs = append(evs, ev(fmt.Sprintf("gen%d-%d", n, i), "x", 1+i%28))
		}
		fmt.Fprint(w, feed(evs...))
	}
	f := newFixture(t, st, Options{AllowPrivate: true})
	if _, err := f.svc.Subscribe(ctx, f.user, Subscription{Kind: store.SourceICS, URL: "webcal" + strings.TrimPrefix(srv.URL, "http") + "/churn.ics"}); err == nil {
		t.Fatal("webcal:// is fetched as https://; the test server speaks http")
	}
	cal, err := f.svc.Subscribe(ctx, f.user, Subscription{Kind: store.SourceICS, URL: srv.URL + "/churn.ics"})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := f.svc.Refresh(ctx, cal); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.names(t, cal)); got != 600 {
		t.Errorf("%d objects after 6 fetches of 600", got)
	}
	dead, live, _ := st.CountTombstones(ctx, cal.ID)
	if live != 600 || dead > 1200 {
		t.Errorf("change log: %d tombstones for %d live objects", dead, live)
	}
}

func TestSubscriptionFailures(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	srv := newFeedServer(t)
	srv.handlers["/page"] = func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html><body>Sign in</body></html>") }
	srv.handlers["/missing"] = http.NotFound
	srv.handlers["/big"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BEGIN:VCALENDAR\r\n")
		for range 100_000 {
			if _, err := fmt.Fprint(w, "X-PADDING:"+strings.Repeat("x", 60)+"\r\n"); err != nil {
				return
			}
		}
	}
	srv.handlers["/slow"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BEGIN:VCALENDAR\r\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	srv.handlers["/many"] = func(w http.ResponseWriter, r *http.Request) {
		var evs []string
		for i := range 30 {
			evs = append(evs, ev(fmt.Sprint(i), "x", 1))
		}
		fmt.Fprint(w, feed(evs...))
	}
	srv.handlers["/endless"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, feed("BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"))
	}
	f := newFixture(t, st, Options{AllowPrivate: true, MaxBytes: 1 << 20, Timeout: 500 * time.Millisecond, MaxObjects: 20, MaxInstances: 100})
	for path, want := range map[string]string{
		"/page":    "web page",
		"/missing": "404",
		"/big":     "larger than",
		"/slow":    "in time",
		"/many":    "at most 20",
		"/endless": "at most 100",
		"/empty":   "not valid iCalendar",
	} {
		_, err := f.svc.Subscribe(ctx, f.user, Subscription{Kind: store.SourceICS, URL: srv.URL + path})
		var fe *Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", path, err, want)
		}
	}
	if cals, _ := st.ListCalendars(ctx, f.user.ID); len(cals) != 0 {
		t.Errorf("failed subscriptions left %d calendars behind", len(cals))
	}
	strict := newFixture(t, storetest.SQLite(t), Options{})
	_, err := strict.svc.Subscribe(ctx, strict.user, Subscription{Kind: store.SourceICS, URL: srv.URL + "/feed.ics"})
	if err == nil || !strings.Contains(err.Error(), "private or local network") {
		t.Errorf("loopback feed without --allow-private-fetch: %v", err)
	}
	for _, bad := range []string{"ftp://example.com/x.ics", "/relative.ics", "https://user:pw@example.com/x.ics"} {
		var ie *calendar.InvalidError
		if _, err := f.svc.Subscribe(ctx, f.user, Subscription{Kind: store.SourceICS, URL: bad}); !errors.As(err, &ie) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestFeedURL(t *testing.T) {
	for in, want := range map[string]string{
		"webcal://calendar.google.com/calendar/ical/x/basic.ics":   "https://calendar.google.com/calendar/ical/x/basic.ics",
		"WEBCALS://outlook.office365.com/owa/calendar/a/b/cal.ics": "https://outlook.office365.com/owa/calendar/a/b/cal.ics",
		"http://example.com/feed?x=1#frag":                         "http://example.com/feed?x=1",
	} {
		if got, err := FeedURL(in); err != nil || got != want {
			t.Errorf("FeedURL(%q) = %q, %v", in, got, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	s := New(calendar.New(storetest.SQLite(t), calendar.Options{}), Options{MinInterval: time.Minute, MaxBackoff: time.Hour})
	prev := time.Duration(0)
	for failures, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		got := s.backoff(failures)
		if got < want*9/10 || got > want*11/10 || got <= prev {
			t.Errorf("after %d failures: %s, want about %s", failures, got, want)
		}
		prev = got
	}
	if got := s.backoff(40); got > time.Hour*11/10 {
		t.Errorf("backoff is not capped: %s", got)
	}
}

// TestRunDue refreshes what is due, on the workers' schedule.
func TestRunDue(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	srv := newFeedServer(t)
	srv.set(feed(ev("a", "A", 1)))
	f := newFixture(t, st, Options{AllowPrivate: true})
	cal, err := f.svc.Subscribe(ctx, f.user, Subscription{Kind: store.SourceICS, URL: srv.URL + "/f.ics"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("nothing is due yet: %d, %v", n, err)
	}
	srv.set(feed(ev("a", "A", 1), ev("b", "B", 2)))
	if err := st.RefreshSourceNow(ctx, cal.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("RunDue: %d, %v", n, err)
	}
	if got := f.names(t, cal); len(got) != 2 {
		t.Errorf("after the scheduled refresh: %v", got)
	}
}
