package calendar

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// BenchmarkExport exports a calendar of 5,000 events in Europe/Berlin,
// each with its VTIMEZONE as clients send them.
func BenchmarkExport(b *testing.B) {
	st := storetest.SQLite(b)
	s := New(st, Options{})
	ctx := context.Background()
	u := &store.User{Name: "b", Email: "b@example.com"}
	_ = st.CreateUser(ctx, u)
	cal := &store.Calendar{Name: "c", DisplayName: "C"}
	_ = s.CreateCalendar(ctx, u, cal)
	var items []BatchItem
	for i := range 5000 {
		items = append(items, BatchItem{Data: ics(strings.Replace(weeklyBerlin, "UID:weekly", fmt.Sprintf("UID:w%d", i), 1))})
	}
	if _, err := s.PutObjects(ctx, u, cal, items, OriginImport); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := s.Export(ctx, u, cal, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(5000, "objects")
}
