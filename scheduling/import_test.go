package scheduling

import (
	"bytes"
	"context"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store/storetest"
)

// TestImportSendsNothing imports a meeting the user organises with local
// and external attendees: an import brings in what happened elsewhere, so
// nobody is invited (and nothing is queued) on the user's behalf.
func TestImportSendsNothing(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	data := event("imported-meeting", 0, "", "bob@almanac.test", "carol@example.com")
	rep, err := e.cals.Import(ctx, e.users["alice"], e.work, bytes.NewReader(data), int64(len(data)), calendar.ImportOptions{})
	if err != nil || rep.Created != 1 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	if msgs, _ := e.st.ListOutbox(ctx, "", 10); len(msgs) != 0 {
		t.Errorf("the import queued %d messages", len(msgs))
	}
	if obj, _ := e.copyOf("bob", "imported-meeting"); obj != nil {
		t.Error("bob got a copy of an imported meeting")
	}
}
