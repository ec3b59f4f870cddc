package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store"
)

// Publication is a calendar's publication as its owner sees it.
type Publication struct {
	Token     string // the secret part of the URL
	Level     Level
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PublicationContext binds a sealed publication token to its calendar.
func PublicationContext(cal *store.Calendar) string { return "publication-token\x00" + cal.UUID }

// TokenDigest is how a publication token is looked up: the token itself
// is never searchable in the database.
func TokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Publication returns cal's publication; the caller must be allowed to
// share the calendar. It returns store.ErrNotFound when it is not
// published.
func (s *Service) Publication(ctx context.Context, u *store.User, cal *store.Calendar) (*Publication, error) {
	if _, err := s.authorize(ctx, u, cal, ActShare); err != nil {
		return nil, err
	}
	p, err := s.st.GetPublication(ctx, cal.ID)
	if err != nil {
		return nil, err
	}
	return s.openPublication(cal, p)
}

func (s *Service) openPublication(cal *store.Calendar, p *store.Publication) (*Publication, error) {
	token, err := s.keys.Open(p.Token, PublicationContext(cal))
	if err != nil {
		return nil, err
	}
	return &Publication{Token: string(token), Level: Level(p.Level),
		CreatedAt: store.FromMicro(p.CreatedAt), UpdatedAt: store.FromMicro(p.UpdatedAt)}, nil
}

// Publish publishes cal at level, or changes the level of its
// publication; with rotate, or when it was not published, the URL gets a
// new token and the old one stops working at once. The caller must be
// allowed to share the calendar. created says whether it was not
// published before.
func (s *Service) Publish(ctx context.Context, u *store.User, cal *store.Calendar, level Level, rotate bool) (pub *Publication, created bool, err error) {
	if _, err := s.authorize(ctx, u, cal, ActShare); err != nil {
		return nil, false, err
	}
	if _, ok := ParseLevel(string(level)); !ok {
		return nil, false, &InvalidError{"level", "must be busy, titles or full"}
	}
	cur, err := s.st.GetPublication(ctx, cal.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		created, rotate = true, true
	case err != nil:
		return nil, false, err
	}
	p := &store.Publication{CalendarID: cal.ID, Level: string(level)}
	if rotate {
		token := newToken()
		p.Digest, p.Token = TokenDigest(token), s.keys.Seal([]byte(token), PublicationContext(cal))
	} else {
		p.Digest, p.Token = cur.Digest, cur.Token
	}
	if err := s.st.PutPublication(ctx, p); err != nil {
		return nil, false, err
	}
	stored, err := s.st.GetPublication(ctx, cal.ID)
	if err != nil {
		return nil, false, err
	}
	pub, err = s.openPublication(cal, stored)
	return pub, created, err
}

// Unpublish revokes cal's publication: its URL stops working at once. It
// returns store.ErrNotFound when it was not published.
func (s *Service) Unpublish(ctx context.Context, u *store.User, cal *store.Calendar) error {
	if _, err := s.authorize(ctx, u, cal, ActShare); err != nil {
		return err
	}
	return s.st.DeletePublication(ctx, cal.ID)
}

// Published returns the calendar published under token and its
// publication, or store.ErrNotFound.
func (s *Service) Published(ctx context.Context, token string) (*store.Calendar, *store.Publication, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, store.ErrNotFound
	}
	p, err := s.st.GetPublicationByDigest(ctx, TokenDigest(token))
	if err != nil {
		return nil, nil, err
	}
	cal, err := s.st.GetCalendar(ctx, p.CalendarID)
	return cal, p, err
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Secrets returns the keyring that seals stored secrets, for the
// packages that keep their own (sources' passwords).
func (s *Service) Secrets() *secret.Keyring { return s.keys }
