package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/egress"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// FeedURL checks a subscription URL and returns it as the http(s) URL to
// fetch: webcal:// and webcals:// (what "subscribe" links on the web use)
// become https://, as Apple and Google read them.
func FeedURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "webcal", "webcals", "https":
		u.Scheme = "https"
	case "http":
	default:
		return "", fmt.Errorf("%s URLs cannot be subscribed to; use http, https or webcal", u.Scheme)
	}
	if u.User != nil {
		return "", errors.New("put the user name and password in their own fields, not in the URL")
	}
	u.Fragment = ""
	return u.String(), nil
}

// refreshFeed fetches a subscribed feed with a conditional GET (RFC 9110
// §13.1: If-None-Match with the last ETag, If-Modified-Since with the
// last Last-Modified) and, when it changed, replaces the calendar's
// content with it.
func (s *Service) refreshFeed(ctx context.Context, cal *store.Calendar, src *store.Source) (result, error) {
	out := result{SourceOutcome: store.SourceOutcome{ETag: src.ETag, LastModified: src.LastModified, SyncSupported: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return out, fail(src.URL, "bad URL: %v", err)
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	if src.ETag != "" {
		req.Header.Set("If-None-Match", src.ETag)
	}
	if src.LastModified != "" {
		req.Header.Set("If-Modified-Since", src.LastModified)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return out, fetchError(src.URL, err)
	}
	if resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		return out, nil
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return out, fail(src.URL, "the server answered %s", resp.Status)
	}
	body, err := egress.ReadBody(resp, s.opt.MaxBytes)
	if err != nil {
		return out, fetchError(src.URL, err)
	}
	out.ETag, out.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	suggested, warning, err := s.applyFeed(ctx, cal, src.URL, body)
	out.suggested, out.Warning = suggested, warning
	return out, err
}

// fetchError says why a request failed in words a user can act on.
func fetchError(url string, err error) error {
	switch {
	case errors.Is(err, egress.ErrForbiddenAddress):
		return fail(url, "the address is on a private or local network, which this server does not fetch from")
	case errors.Is(err, egress.ErrTooLarge):
		return fail(url, "the feed is larger than this server accepts (%v)", err)
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
		return fail(url, "the server did not answer in time")
	}
	return fail(url, "fetching the feed failed: %v", err)
}

// applyFeed splits a feed into resources and makes them the calendar's
// content. It returns the feed's suggested refresh interval and a warning
// naming what was skipped.
func (s *Service) applyFeed(ctx context.Context, cal *store.Calendar, url string, body []byte) (suggested time.Duration, warning string, err error) {
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		return 0, "", fail(url, "the URL returned a web page, not an iCalendar feed (is it the calendar's secret address?)")
	}
	sp, err := icalendar.SplitBytes(body, icalendar.SplitLimits{MaxComponents: 4 * s.opt.MaxObjects})
	if err != nil {
		return 0, "", fail(url, "the feed is not valid iCalendar: %v", err)
	}
	if n := len(sp.Resources); n > s.opt.MaxObjects {
		return 0, "", fail(url, "the feed holds %d events; this server keeps at most %d per subscription", n, s.opt.MaxObjects)
	}
	items := make([]calendar.BatchItem, 0, len(sp.Resources))
	skipped := 0
	for _, r := range sp.Resources {
		data, err := sp.Data(r)
		if err != nil {
			skipped++
			continue
		}
		items = append(items, calendar.BatchItem{Data: data, UID: r.UID, Ref: fmt.Sprint(r.Line)})
	}
	results, err := s.cals.SyncSource(ctx, cal, items, calendar.SyncOptions{Replace: true, MaxInstances: s.opt.MaxInstances})
	var oe *calendar.ObjectError
	if errors.As(err, &oe) {
		return 0, "", fail(url, "%s", oe.Message)
	} else if err != nil {
		return 0, "", err
	}
	if err := s.pruneTombstones(ctx, cal); err != nil {
		return 0, "", err
	}
	return sp.Props.Refresh, skippedWarning(skipped, results), nil
}

// skippedWarning summarises the objects of a feed that were not stored.
func skippedWarning(unreadable int, results []calendar.ItemResult) string {
	n, first := unreadable, ""
	for _, r := range results {
		if r.Status == calendar.ItemFailed {
			if n++; first == "" {
				first = fmt.Sprintf(" (line %s, %s: %v)", r.Ref, r.UID, r.Err)
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d events could not be stored%s", n, len(results)+unreadable, first)
}

// pruneTombstones keeps the change log of a mirrored calendar bounded: a
// feed whose UIDs change on every fetch deletes and adds its whole content
// each time, and every deletion leaves a tombstone. Once they outnumber
// the live objects (and a thousand), those from before this refresh (cal
// is the calendar as it was then) are forgotten; clients holding a sync
// token from before it do one full sync (RFC 6578 §3.2).
func (s *Service) pruneTombstones(ctx context.Context, cal *store.Calendar) error {
	dead, live, err := s.st.CountTombstones(ctx, cal.ID)
	if err != nil || dead <= max(live, 1000) {
		return err
	}
	return s.st.PruneTombstones(ctx, cal.ID, cal.Revision)
}
