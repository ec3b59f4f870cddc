package external

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// Subscription asks for a calendar whose events come from elsewhere.
type Subscription struct {
	Kind string // store.SourceICS (a feed) or store.SourceCalDAV (a mirror)
	URL  string // the feed, or the CalDAV collection
	// Username and Password log in to a CalDAV server; the password is
	// stored sealed (package secret).
	Username, Password string
	DisplayName, Color string
	RefreshEvery       time.Duration // 0: the default interval
}

// Subscribe creates the calendar and fetches its source once, so that a
// wrong URL or password is reported at once: when that first refresh
// fails, the calendar is removed again and the error (an *Error for
// problems with the source) returned. Invalid requests are
// *calendar.InvalidError values.
func (s *Service) Subscribe(ctx context.Context, u *store.User, sub Subscription) (*store.Calendar, error) {
	src, err := s.source(sub)
	if err != nil {
		return nil, err
	}
	// The calendar is named after its display name by CreateSourceCalendar.
	cal := &store.Calendar{UUID: store.NewUUID(), DisplayName: sub.DisplayName, Color: sub.Color}
	if cal.DisplayName == "" {
		cal.DisplayName = displayName(src.URL)
	}
	if sub.Password != "" {
		src.Secret = s.keys.Seal([]byte(sub.Password), PasswordContext(cal))
	}
	if err := s.cals.CreateSourceCalendar(ctx, u, cal, src); err != nil {
		return nil, err
	}
	if err := s.refresh(ctx, cal, src); err != nil {
		if derr := s.cals.DeleteCalendar(context.WithoutCancel(ctx), u, cal); derr != nil {
			return nil, errors.Join(err, derr)
		}
		return nil, err
	}
	return s.st.GetCalendar(ctx, cal.ID)
}

// source checks a subscription request.
func (s *Service) source(sub Subscription) (*store.Source, error) {
	src := &store.Source{Kind: sub.Kind, Username: sub.Username, RefreshEvery: sub.RefreshEvery}
	var err error
	switch sub.Kind {
	case store.SourceICS:
		src.URL, err = FeedURL(sub.URL)
	case store.SourceCalDAV:
		src.URL, err = collectionURL(sub.URL)
	default:
		return nil, &calendar.InvalidError{Field: "type", Message: "must be ics or caldav"}
	}
	if err != nil {
		return nil, &calendar.InvalidError{Field: "url", Message: err.Error()}
	}
	if src.RefreshEvery == 0 {
		src.RefreshEvery = s.opt.DefaultInterval
	}
	if src.RefreshEvery < s.opt.MinInterval {
		return nil, &calendar.InvalidError{Field: "refresh_interval",
			Message: fmt.Sprintf("must be at least %s on this server", s.opt.MinInterval)}
	}
	return src, nil
}

// collectionURL checks the URL of a CalDAV collection; collections end
// in a slash (RFC 4918 §5.2).
func collectionURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not the http or https URL of a calendar collection", raw)
	}
	if u.User != nil {
		return "", errors.New("put the user name and password in their own fields, not in the URL")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

func displayName(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return "Subscription"
}

// PasswordContext binds a sealed source password to its calendar.
func PasswordContext(cal *store.Calendar) string { return "source-password\x00" + cal.UUID }

// SourceUpdate changes a source; nil fields keep their value.
type SourceUpdate struct {
	URL, Username, Password *string
	RefreshEvery            *time.Duration
}

// Update changes a calendar's source; the caller must own the calendar.
// The next refresh is due at once.
func (s *Service) Update(ctx context.Context, u *store.User, cal *store.Calendar, upd SourceUpdate) (*store.Source, error) {
	cur, err := s.Source(ctx, u, cal)
	if err != nil {
		return nil, err
	}
	sub := Subscription{Kind: cur.Kind, URL: cur.URL, Username: cur.Username, RefreshEvery: cur.RefreshEvery}
	if upd.URL != nil {
		sub.URL = *upd.URL
	}
	if upd.Username != nil {
		sub.Username = *upd.Username
	}
	if upd.RefreshEvery != nil {
		sub.RefreshEvery = *upd.RefreshEvery
	}
	src, err := s.source(sub)
	if err != nil {
		return nil, err
	}
	src.CalendarID, src.Secret = cal.ID, cur.Secret
	if upd.Password != nil {
		src.Secret = nil
		if *upd.Password != "" {
			src.Secret = s.keys.Seal([]byte(*upd.Password), PasswordContext(cal))
		}
	}
	if err := s.st.UpdateSourceSettings(ctx, src); err != nil {
		return nil, err
	}
	return s.st.GetSource(ctx, cal.ID)
}

// Source returns a calendar's source for its owner: its URL may hold a
// secret (Google's and Outlook's private addresses do), so nobody else
// sees it. It returns store.ErrNotFound for a calendar without one.
func (s *Service) Source(ctx context.Context, u *store.User, cal *store.Calendar) (*store.Source, error) {
	role, err := s.cals.RoleOf(ctx, u, cal)
	if err != nil {
		return nil, err
	}
	if role == calendar.RoleNone {
		return nil, store.ErrNotFound
	}
	if !role.Can(calendar.ActEditCalendar) {
		return nil, calendar.ErrForbidden
	}
	if !cal.ReadOnly() {
		return nil, store.ErrNotFound
	}
	return s.st.GetSource(ctx, cal.ID)
}

// RefreshNow refreshes a calendar's source at once for its owner and
// returns its state afterwards; a failed refresh is recorded there.
func (s *Service) RefreshNow(ctx context.Context, u *store.User, cal *store.Calendar) (*store.Source, error) {
	src, err := s.Source(ctx, u, cal)
	if err != nil {
		return nil, err
	}
	_ = s.refresh(ctx, cal, src)
	return s.st.GetSource(ctx, cal.ID)
}
