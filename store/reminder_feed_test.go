package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// The reminders handed to a user's clients are read back after a
// position, each once however often its delivery was tried, and purged
// after a while; ids keep growing after a purge.
func TestReminderFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		ann, ben := mustUser(t, s, "ann"), mustUser(t, s, "ben")
		if last, err := s.LastFedReminder(ctx, ann.ID); err != nil || last != 0 {
			t.Fatalf("last of nobody: %d %v", last, err)
		}
		feed := func(u *store.User, key string) int64 {
			t.Helper()
			id, err := s.FeedReminder(ctx, u.ID, key, []byte(`{"id":"`+key+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		a1 := feed(ann, "a1")
		b1 := feed(ben, "b1")
		a2 := feed(ann, "a2")
		if again := feed(ann, "a1"); again != a1 {
			t.Errorf("a repeated delivery got id %d, want %d", again, a1)
		}
		if last, _ := s.LastFedReminder(ctx, ann.ID); last != a2 {
			t.Errorf("last %d, want %d", last, a2)
		}
		for _, tc := range []struct {
			after int64
			limit int
			want  []string
		}{
			{0, 10, []string{`{"id":"a1"}`, `{"id":"a2"}`}},
			{a1, 10, []string{`{"id":"a2"}`}},
			{a2, 10, nil},
			{0, 1, []string{`{"id":"a2"}`}}, // the latest when there are more
		} {
			got, err := s.RemindersFedSince(ctx, ann.ID, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var payloads []string
			for _, r := range got {
				payloads = append(payloads, string(r.Payload))
			}
			if len(payloads) != len(tc.want) || (len(payloads) > 0 && payloads[0] != tc.want[0]) {
				t.Errorf("after %d limit %d: %v, want %v", tc.after, tc.limit, payloads, tc.want)
			}
		}
		now = now.Add(25 * time.Hour)
		if n, err := s.PurgeReminderFeed(ctx, now.Add(-24*time.Hour)); err != nil || n != 3 {
			t.Fatalf("purged %d, %v", n, err)
		}
		if a3 := feed(ann, "a3"); a3 <= max(a2, b1) {
			t.Errorf("id %d after a purge, want more than %d", a3, max(a2, b1))
		}
	})
}

// Reminders recorded together get their ids in order; one recorded
// before keeps its id.
func TestReminderFeedBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ann")
		first, err := s.FeedReminder(ctx, u.ID, "k1", []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var entries []store.FeedEntry
		for _, k := range []string{"k2", "k1", "k3"} {
			entries = append(entries, store.FeedEntry{UserID: u.ID, Key: k, Payload: []byte(`{"k":"` + k + `"}`)})
		}
		ids, err := s.FeedReminders(ctx, entries)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 3 || ids[1] != first || ids[0] <= first || ids[2] <= first || ids[0] == ids[2] {
			t.Fatalf("ids %v (k1 was %d)", ids, first)
		}
		got, err := s.RemindersFedSince(ctx, u.ID, first, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("since %d: %d reminders, %v", first, len(got), err)
		}
	})
}
