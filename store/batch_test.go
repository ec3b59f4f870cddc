package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func batchOf(ws ...*store.ObjectWrite) *store.Batch {
	b := &store.Batch{}
	for _, w := range ws {
		b.Writes = append(b.Writes, store.BatchWrite{ObjectWrite: w})
	}
	return b
}

func TestPutObjectsBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := mustCalendar(t, s, u, "work")
		day := int64(86400e6)
		var ws []*store.ObjectWrite
		for i := range 450 { // more than one multi-row statement
			ws = append(ws, write(fmt.Sprintf("e%03d.ics", i), fmt.Sprintf("uid-%d", i),
				store.Instance{Start: 1767225600e6 + int64(i)*day, End: 1767225600e6 + int64(i)*day + 3600e6}))
		}
		res, err := s.PutObjects(ctx, c.ID, batchOf(ws...))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.Writes {
			if r.Err != nil || !r.Created || r.ObjectID == 0 || r.Revision != int64(i+1) {
				t.Fatalf("write %d: %+v", i, r)
			}
		}
		got, err := s.GetObject(ctx, c.ID, "e123.ics")
		if err != nil || got.UID != "uid-123" || got.ETag != res.Writes[123].ETag || got.ID != res.Writes[123].ObjectID {
			t.Fatalf("object: %+v, %v", got, err)
		}
		in, _, err := s.ViewWindow(ctx, []int64{c.ID}, 1767225600e6+123*day, 1767225600e6+124*day)
		if err != nil || len(in) != 1 || in[0].ObjectID != got.ID {
			t.Fatalf("index: %+v, %v", in, err)
		}
		changes, rev, err := s.ChangesSince(ctx, c.ID, 0, 0)
		if err != nil || len(changes) != 450 || rev != 450 {
			t.Fatalf("changes: %d, rev %d, %v", len(changes), rev, err)
		}
	})
}

func TestPutObjectsPerWriteErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := mustCalendar(t, s, u, "work")
		first, err := s.PutObject(ctx, c.ID, write("a.ics", "A"), store.Conditions{})
		if err != nil {
			t.Fatal(err)
		}
		b := batchOf(write("a.ics", "A"), write("b.ics", "A"), write("c.ics", "C"), write("d.ics", "D"))
		b.Writes[0].Conditions = store.Conditions{IfMatch: "stale"}
		b.Writes[3].Conditions = store.Conditions{IfMatch: first.ETag} // d.ics does not exist
		res, err := s.PutObjects(ctx, c.ID, b)
		if err != nil {
			t.Fatal(err)
		}
		var uc *store.UIDConflictError
		switch {
		case !errors.Is(res.Writes[0].Err, store.ErrPreconditionFailed):
			t.Errorf("stale If-Match: %v", res.Writes[0].Err)
		case !errors.As(res.Writes[1].Err, &uc) || uc.Name != "a.ics":
			t.Errorf("UID held by a.ics: %v", res.Writes[1].Err)
		case res.Writes[2].Err != nil || res.Writes[2].Revision != first.Revision+1:
			t.Errorf("c.ics: %+v", res.Writes[2])
		case !errors.Is(res.Writes[3].Err, store.ErrPreconditionFailed):
			t.Errorf("If-Match on a missing resource: %v", res.Writes[3].Err)
		}
		if _, err := s.PutObjects(ctx, c.ID, batchOf(write("x.ics", "X"), write("x.ics", "Y"))); err == nil {
			t.Error("a batch writing one name twice was accepted")
		}
		if _, err := s.PutObjects(ctx, c.ID+1000, batchOf(write("x.ics", "X"))); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing calendar: %v", err)
		}
	})
}

func TestPutObjectsReplacesContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := mustCalendar(t, s, u, "feed")
		if _, err := s.PutObjects(ctx, c.ID, batchOf(write("a.ics", "A"), write("b.ics", "B"), write("c.ics", "C"))); err != nil {
			t.Fatal(err)
		}
		// The new feed keeps b unchanged, rewrites c, drops a and adds d.
		b := batchOf(write("c.ics", "C"), write("d.ics", "D"))
		b.Keep, b.DeleteOthers = []string{"b.ics"}, true
		res, err := s.PutObjects(ctx, c.ID, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Deleted) != 1 || res.Deleted[0].Name != "a.ics" || res.Deleted[0].Revision != 4 {
			t.Fatalf("deleted %+v", res.Deleted)
		}
		objs, err := s.ListObjects(ctx, c.ID, false)
		if err != nil || len(objs) != 3 || objs[0].Name != "b.ics" || objs[2].Name != "d.ics" {
			t.Fatalf("objects after replace: %v, %v", objs, err)
		}
		changes, _, err := s.ChangesSince(ctx, c.ID, 3, 0)
		if err != nil || len(changes) != 3 || !changes[0].Deleted {
			t.Fatalf("changes since 3: %+v, %v", changes, err)
		}
		// Replacing with nothing written and nothing to delete changes nothing.
		b = &store.Batch{Keep: []string{"b.ics", "c.ics", "d.ics"}, DeleteOthers: true}
		if _, err := s.PutObjects(ctx, c.ID, b); err != nil {
			t.Fatal(err)
		}
		if cal, _ := s.GetCalendar(ctx, c.ID); cal.Revision != 6 {
			t.Errorf("revision %d after an empty batch, want 6", cal.Revision)
		}
	})
}

func TestSourcesAndPublications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := &store.Calendar{OwnerID: u.ID, Name: "holidays", Source: store.SourceICS}
		src := &store.Source{Kind: store.SourceICS, URL: "https://example.com/h.ics", RefreshEvery: 3600e9}
		if err := s.CreateSourceCalendar(ctx, c, src); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCalendar(ctx, c.ID)
		if err != nil || !got.ReadOnly() {
			t.Fatalf("calendar: %+v, %v", got, err)
		}
		due, err := s.LeaseSources(ctx, 10, 60e9)
		if err != nil || len(due) != 1 || due[0].URL != src.URL || !due[0].SyncSupported {
			t.Fatalf("lease: %+v, %v", due, err)
		}
		if again, _ := s.LeaseSources(ctx, 10, 60e9); len(again) != 0 {
			t.Fatal("a leased source was leased again")
		}
		next := s.Clock().Add(3600e9)
		if err := s.FinishRefresh(ctx, c.ID, store.SourceOutcome{ETag: `"v1"`, Next: next, SyncSupported: true}); err != nil {
			t.Fatal(err)
		}
		st, _ := s.GetSource(ctx, c.ID)
		if st.ETag != `"v1"` || st.Failures != 0 || st.LastSuccessAt.IsZero() {
			t.Fatalf("after success: %+v", st)
		}
		if err := s.FinishRefresh(ctx, c.ID, store.SourceOutcome{Err: errors.New("boom"), Next: next}); err != nil {
			t.Fatal(err)
		}
		if st, _ = s.GetSource(ctx, c.ID); st.Failures != 1 || st.LastError != "boom" || st.ETag != `"v1"` {
			t.Fatalf("after failure: %+v", st)
		}
		p := &store.Publication{CalendarID: c.ID, Digest: "d1", Token: []byte("sealed"), Level: "busy"}
		if err := s.PutPublication(ctx, p); err != nil {
			t.Fatal(err)
		}
		p.Digest, p.Level = "d2", "full"
		if err := s.PutPublication(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetPublicationByDigest(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("rotated token still found: %v", err)
		}
		if pub, err := s.GetPublicationByDigest(ctx, "d2"); err != nil || pub.Level != "full" {
			t.Errorf("publication: %+v, %v", pub, err)
		}
		if err := s.DeleteCalendar(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSource(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("source outlived its calendar: %v", err)
		}
	})
}
