package calendar

import (
	"context"
	"errors"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestCalendarWithProperties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		c := &store.Calendar{Name: "work", DisplayName: "Work"}
		dead := []store.DeadProperty{{Namespace: "urn:x", Name: "a", XML: `<a xmlns="urn:x"/>`}}
		if err := f.s.CreateCalendarWithProperties(ctx, f.owner, c, dead); err != nil {
			t.Fatal(err)
		}
		if c.OwnerID != f.owner.ID || len(c.Components) == 0 {
			t.Fatalf("created %+v", c)
		}
		bad := *c
		bad.Color = "red"
		if err := f.s.UpdateCalendarWithProperties(ctx, f.owner, &bad, nil); !isInvalid(err, "color") {
			t.Fatalf("bad colour: %v", err)
		}
		c.Color = "#FF0000"
		if err := f.s.UpdateCalendarWithProperties(ctx, f.owner, c, []store.DeadProperty{{Namespace: "urn:x", Name: "a"}}); err != nil {
			t.Fatal(err)
		}
		props, err := f.s.CalendarProperties(ctx, f.owner, c)
		if err != nil || len(props) != 0 {
			t.Fatalf("properties after removal: %v %v", props, err)
		}
		stranger := &store.User{Name: "stranger", Email: "s@example.com"}
		if err := st.CreateUser(ctx, stranger); err != nil {
			t.Fatal(err)
		}
		if err := f.s.UpdateCalendarWithProperties(ctx, stranger, c, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stranger: %v", err)
		}
	})
}

func isInvalid(err error, field string) bool {
	var inv *InvalidError
	return errors.As(err, &inv) && inv.Field == field
}
