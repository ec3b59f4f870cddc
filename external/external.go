// Package external keeps calendars whose events live elsewhere: a
// subscription to a published iCalendar feed (Google's or Outlook's secret
// address, a holiday calendar, a webcal:// link) or a mirror of a
// collection on another CalDAV server. Each is a read-only calendar that
// CalDAV and JSON clients see like any other, refreshed on a schedule by
// workers on any node.
//
// Every request goes through package egress, which refuses private,
// loopback and link-local addresses (unless the operator allows them), so a
// feed URL cannot reach into the server's own network. Feeds are bounded
// in size, time, objects and instances. A refresh replaces the calendar's
// content in one transaction: readers see the old feed or the new one, and
// a feed whose UIDs change every time does not make the calendar grow.
package external

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/egress"
	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store"
)

// Options bound what a source may cost and say how often it is fetched.
type Options struct {
	// AllowPrivate lets feeds live on loopback, private and link-local
	// addresses: for tests, and for deployments whose feeds are internal.
	AllowPrivate bool
	// AllowNetworks may be reached although they are not public.
	AllowNetworks []netip.Prefix
	MaxBytes      int64         // of one feed or one CalDAV answer; default 20 MiB
	Timeout       time.Duration // of one request, body included; default 60 s
	MaxObjects    int           // calendar object resources of one source; default 20,000
	MaxInstances  int           // index rows of one refresh; default 250,000
	// MinInterval is the shortest refresh interval a user may choose and
	// the first delay after a failure; Default the interval of a new
	// source; MaxBackoff the longest delay after failures.
	MinInterval     time.Duration // default 15 min
	DefaultInterval time.Duration // default 1 h
	MaxBackoff      time.Duration // default 24 h
	Logger          *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 20 << 20
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = 20_000
	}
	if o.MaxInstances <= 0 {
		o.MaxInstances = 250_000
	}
	def(&o.Timeout, 60*time.Second)
	def(&o.MinInterval, 15*time.Minute)
	def(&o.DefaultInterval, time.Hour)
	def(&o.MaxBackoff, 24*time.Hour)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Service subscribes, mirrors and refreshes.
type Service struct {
	cals *calendar.Service
	st   *store.Store
	keys *secret.Keyring
	http *egress.Client
	opt  Options
}

// New returns the service. Stored passwords are sealed with the calendar
// service's keyring.
func New(cals *calendar.Service, opt Options) *Service {
	opt = opt.withDefaults()
	hc := egress.New(egress.Options{AllowPrivate: opt.AllowPrivate, Allow: opt.AllowNetworks, Timeout: opt.Timeout,
		UserAgent: "Almanac (calendar subscription)"})
	return &Service{cals: cals, st: cals.Store(), keys: cals.Secrets(), http: hc, opt: opt}
}

// Limits returns the limits in force.
func (s *Service) Limits() Options { return s.opt }

// Error is a refresh that failed for a reason the user can act on: the
// feed is unreachable, not iCalendar, too large, refused by the server.
type Error struct {
	URL string
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func fail(url, format string, args ...any) *Error {
	return &Error{URL: url, Msg: fmt.Sprintf(format, args...)}
}

// Refresh fetches a calendar's source now and applies it, recording the
// outcome (and, on failure, when to try again). It returns the refresh's
// error.
func (s *Service) Refresh(ctx context.Context, cal *store.Calendar) error {
	src, err := s.st.GetSource(ctx, cal.ID)
	if err != nil {
		return err
	}
	return s.refresh(ctx, cal, src)
}

// result is what a refresh learnt.
type result struct {
	store.SourceOutcome
	suggested time.Duration // the feed's own refresh interval
}

func (s *Service) refresh(ctx context.Context, cal *store.Calendar, src *store.Source) error {
	// The calendar as it is now: its revision marks where this refresh
	// starts (see pruneTombstones).
	cal, err := s.st.GetCalendar(ctx, cal.ID)
	if err != nil {
		return err
	}
	var out result
	switch src.Kind {
	case store.SourceICS:
		out, err = s.refreshFeed(ctx, cal, src)
	case store.SourceCalDAV:
		out, err = s.refreshMirror(ctx, cal, src)
	default:
		err = fmt.Errorf("external: unknown source kind %q", src.Kind)
	}
	now := s.opt.Now()
	if err != nil {
		out.SourceOutcome = store.SourceOutcome{Err: err, Next: now.Add(s.backoff(src.Failures))}
	} else {
		out.Next = now.Add(s.interval(src, out.suggested))
	}
	if ferr := s.st.FinishRefresh(context.WithoutCancel(ctx), cal.ID, out.SourceOutcome); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// interval is the time to the next refresh: the source's own, never
// shorter than the operator's minimum nor than what the feed suggests
// (RFC 7986 §5.7 REFRESH-INTERVAL is a suggested minimum), and at most a
// week.
func (s *Service) interval(src *store.Source, suggested time.Duration) time.Duration {
	d := max(src.RefreshEvery, s.opt.MinInterval, min(suggested, 7*24*time.Hour))
	return jitter(d)
}

// backoff doubles the delay with every consecutive failure, from the
// minimum interval up to MaxBackoff.
func (s *Service) backoff(failures int) time.Duration {
	d := s.opt.MinInterval
	for range min(failures, 20) {
		d *= 2
		if d >= s.opt.MaxBackoff {
			d = s.opt.MaxBackoff
			break
		}
	}
	return jitter(d)
}

// jitter spreads refreshes by ±10 %, so that sources created together do
// not stay in step.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()-0.5)*0.2*float64(d))
}

// RunDue refreshes the sources that are due, a few at a time, and returns
// how many it refreshed. Each is leased first, so that two nodes never
// refresh the same source at once.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		due, err := s.st.LeaseSources(ctx, 4, 2*s.opt.Timeout+time.Minute)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, src := range due {
			cal, err := s.st.GetCalendar(ctx, src.CalendarID)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted in the meantime
			} else if err != nil {
				return n, err
			}
			if err := s.refresh(ctx, cal, src); err != nil {
				s.opt.Logger.Info("calendar source refresh failed", "calendar", cal.UUID, "kind", src.Kind, "err", err)
			}
			n++
		}
	}
	return n, ctx.Err()
}

// limitedClient bounds every response body, so that a server that sends
// without end cannot exhaust memory (go-webdav reads whole answers).
type limitedClient struct {
	c   *egress.Client
	max int64
}

func (l limitedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := l.c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: l.max}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return n, egress.ErrTooLarge
	}
	return n, err
}
