package calendar

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/almanac/almanac/store"
	"golang.org/x/text/unicode/norm"
)

// maxSlugBytes keeps a name made from a display name short enough to type
// in a client's settings, well below maxNameBytes.
const maxSlugBytes = 64

// Slug makes the URL segment of a calendar from its display name: letters
// and digits of any script in lower case (NFC), every other run of
// characters one '-'. "Work" becomes "work", "Équipe Café" "équipe-café";
// a name with no letter or digit becomes "calendar".
func Slug(displayName string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFC.String(displayName) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
		if b.Len() >= maxSlugBytes {
			break
		}
	}
	s := truncateUTF8(b.String(), maxSlugBytes)
	if s == "" {
		return "calendar"
	}
	return s
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], "-")
}

// insertCalendar checks c and stores it with insert; a calendar without a
// name is given a free one made from its display name.
func (s *Service) insertCalendar(ctx context.Context, c *store.Calendar, insert func() error) error {
	named := c.Name != ""
	if !named {
		c.Name = Slug(c.DisplayName) // to check; createNamed may add a number
	}
	if err := CheckCalendar(c); err != nil {
		return err
	}
	if named {
		return insert()
	}
	return s.createNamed(ctx, c, insert)
}

// nameAttempts bounds the retries when concurrent creations take the name
// chosen; each attempt looks at the names in use afresh.
const nameAttempts = 5

// createNamed stores c under a free name made from its display name
// ("work", then "work-2", "work-3"…) with create, choosing again if another
// request took the name between the choice and the insert.
func (s *Service) createNamed(ctx context.Context, c *store.Calendar, create func() error) error {
	base := Slug(c.DisplayName)
	for range nameAttempts {
		taken, err := s.namesInHome(ctx, c.OwnerID)
		if err != nil {
			return err
		}
		c.Name = freeName(base, taken)
		err = create()
		if !errors.Is(err, store.ErrExists) {
			return err
		}
	}
	return store.ErrExists
}

// namesInHome lists the names in use in a user's calendar home: their own
// calendars' and those of the calendars shared with them.
func (s *Service) namesInHome(ctx context.Context, userID int64) (map[string]bool, error) {
	own, err := s.st.ListCalendars(ctx, userID)
	if err != nil {
		return nil, err
	}
	shares, err := s.st.SharesOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(own)+len(shares))
	for _, c := range own {
		taken[c.Name] = true
	}
	for _, sh := range shares {
		taken[sh.Name] = true
	}
	return taken, nil
}

// freeName is base, or base-N with the smallest N ≥ 2 not taken.
func freeName(base string, taken map[string]bool) string {
	if !taken[base] {
		return base
	}
	for n := 2; ; n++ {
		name := base + "-" + strconv.Itoa(n)
		if !taken[name] {
			return name
		}
	}
}
