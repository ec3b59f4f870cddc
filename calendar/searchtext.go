package calendar

import (
	"context"
	"strings"
	"unicode"

	"github.com/emersion/go-ical"
	"golang.org/x/text/unicode/norm"

	"github.com/almanac/almanac/icalendar"
)

// What a search finds an event by: its title, location and description,
// and its organizer's and attendees' names and addresses, in every
// component (the master and its overrides). The text is normalised so
// that both stores' indexes see the same words: lower case, accents
// removed ("Café" is found by "cafe"), and anything but letters and
// digits a separator ("alice@example.com" is the words alice, example
// and com).

// maxSearchText bounds the text kept of one object: a long description
// is searched by its beginning.
const maxSearchText = 16 << 10

// maxSearchWords bounds the words of one search.
const maxSearchWords = 8

// SearchText is the normalised text of obj.
func SearchText(obj *icalendar.Object) string {
	var b strings.Builder
	seen := map[string]bool{}
	add := func(s string) {
		if s = normalizeText(s); s != "" && !seen[s] && b.Len() < maxSearchText {
			seen[s] = true
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
	}
	for _, c := range obj.Components {
		add(c.Summary())
		add(c.Text(ical.PropLocation))
		add(c.Text(ical.PropDescription))
		for _, name := range []string{ical.PropOrganizer, ical.PropAttendee} {
			for _, p := range c.Props.Values(name) {
				add(p.Params.Get(ical.ParamCommonName))
				v := p.Value
				if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
					v = v[7:]
				}
				add(v)
			}
		}
	}
	s := b.String()
	if len(s) > maxSearchText {
		s = s[:strings.LastIndexByte(s[:maxSearchText], ' ')+1]
	}
	return strings.TrimSpace(s)
}

// SearchWords are the words of a search, normalised as SearchText is:
// at most eight, each at least one letter or digit, without repeats.
func SearchWords(q string) []string {
	var out []string
	for _, w := range strings.Fields(normalizeText(q)) {
		if len(out) == maxSearchWords {
			break
		}
		dup := false
		for _, o := range out {
			dup = dup || o == w
		}
		if !dup {
			out = append(out, w)
		}
	}
	return out
}

// normalizeText lowers s, takes the accents off its letters and turns
// every run of other characters into one space.
func normalizeText(s string) string {
	var b strings.Builder
	space := true
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: dropped
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(norm.NFC.String(b.String()))
}

// IndexSearchText gives objects stored before search existed their search
// text, a page at a time, and reports how many it did. Objects whose data
// no longer parses get an empty text, so that they are not read again.
func (s *Service) IndexSearchText(ctx context.Context) (int, error) {
	n := 0
	var after int64
	for ctx.Err() == nil {
		objs, err := s.st.ObjectsWithoutText(ctx, after, 200)
		if err != nil || len(objs) == 0 {
			return n, err
		}
		texts := make(map[int64]string, len(objs))
		for _, o := range objs {
			text := ""
			if obj, err := icalendar.ParseObject(o.Data, icalendar.Options{}); err == nil && obj.Type == "VEVENT" {
				text = SearchText(obj)
			}
			texts[o.ID] = text
		}
		if err := s.st.PutObjectTexts(ctx, texts); err != nil {
			return n, err
		}
		n += len(objs)
		after = objs[len(objs)-1].ID
	}
	return n, ctx.Err()
}
