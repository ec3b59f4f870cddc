package calendar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestExpensiveObjectsRefused: an object of 200 RRULEs is refused as
// not a calendar object resource the server takes, and one of ten dense
// rules (within MaxRules) runs out of the write's expansion budget and is
// refused with max-instances; an ordinary series is taken, and nothing
// of the refused ones is stored.
func TestExpensiveObjectsRefused(t *testing.T) {
	tests := []struct {
		file, pre string
	}{
		{"many-rules.ics", PreValidObject},
		{"ten-rules.ics", PreMaxInstances},
		{"every-minute.ics", ""},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		for _, tt := range tests {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.s.PutObject(ctx, f.owner, f.cal, tt.file, data, store.Conditions{})
			var oe *ObjectError
			switch {
			case tt.pre == "" && err != nil:
				t.Errorf("%s: %v", tt.file, err)
			case tt.pre != "" && (!errors.As(err, &oe) || oe.Precondition != tt.pre):
				t.Errorf("%s: err = %v, want %s", tt.file, err, tt.pre)
			}
		}
		objs, err := st.ListObjects(ctx, f.cal.ID, false)
		if err != nil || len(objs) != 1 {
			t.Fatalf("stored %d objects, %v", len(objs), err)
		}
	})
}

// BenchmarkWriteManyRules measures the refusal of the 200-RRULE object:
// a parse and a count, not an expansion of its rules (it used to cost
// seconds of a core and hundreds of megabytes a write).
func BenchmarkWriteManyRules(b *testing.B) {
	benchmarkWrite(b, "many-rules.ics")
}

// BenchmarkWriteTenRules measures the refusal of ten dense rules, which
// spends the write's expansion budget.
func BenchmarkWriteTenRules(b *testing.B) {
	benchmarkWrite(b, "ten-rules.ics")
}

func benchmarkWrite(b *testing.B, file string) {
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b, storetest.SQLite(b))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.s.PutObject(ctx, f.owner, f.cal, "x.ics", data, store.Conditions{}); err == nil {
			b.Fatal("accepted")
		}
	}
}
