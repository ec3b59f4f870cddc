package store_test

import (
	"context"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestObjectsMentioning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		cal := mustCalendar(t, s, u, "work")
		other := mustCalendar(t, s, u, "home")
		for _, w := range []struct {
			cal  int64
			name string
		}{{cal.ID, "a-7f3c"}, {cal.ID, "b"}, {other.ID, "c-7f3c"}} {
			if _, err := s.PutObject(ctx, w.cal, write(w.name+".ics", w.name), store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ObjectsMentioning(ctx, cal.ID, "7f3c")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].UID != "a-7f3c" || len(got[0].Data) == 0 {
			t.Fatalf("ObjectsMentioning: %+v", got)
		}
	})
}
