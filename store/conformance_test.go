package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/almanac/almanac/migrations"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func mustUser(t *testing.T, s *store.Store, name string) *store.User {
	t.Helper()
	u := &store.User{Name: name, Email: name + "@example.com", TimeZone: "Europe/Berlin"}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func mustCalendar(t *testing.T, s *store.Store, owner *store.User, name string) *store.Calendar {
	t.Helper()
	c := &store.Calendar{OwnerID: owner.ID, Name: name, DisplayName: "Cal " + name}
	if err := s.CreateCalendar(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func event(uid string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

func write(name, uid string, inst ...store.Instance) *store.ObjectWrite {
	return &store.ObjectWrite{Name: name, UID: uid, Component: "VEVENT", Data: event(uid),
		Instances: inst, IndexedUntil: store.Forever}
}

func TestMigrationsApplyToEmptyDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		list, err := migrations.List(s.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != list[len(list)-1].Version {
			t.Fatalf("schema version %d, %v; want %d", v, err, list[len(list)-1].Version)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
	})
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		if u.ID == 0 || u.UUID == "" {
			t.Fatalf("ids not set: %+v", u)
		}
		for _, dup := range []struct{ name, email, field string }{
			{"alice", "other@example.com", "name"},
			{"bob", "alice@example.com", "email"},
		} {
			err := s.CreateUser(ctx, &store.User{Name: dup.name, Email: dup.email})
			var fc *store.FieldConflictError
			if !errors.As(err, &fc) || fc.Field != dup.field || !errors.Is(err, store.ErrExists) {
				t.Errorf("duplicate %s: got %v", dup.field, err)
			}
		}
		got, err := s.GetUserByName(ctx, "alice")
		if err != nil || got.UUID != u.UUID || got.TimeZone != "Europe/Berlin" {
			t.Fatalf("GetUserByName: %+v, %v", got, err)
		}
		got.DisplayName, got.TimeZone = "Alice A.", "Asia/Kolkata"
		if err := s.UpdateUser(ctx, got); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetUserByUUID(ctx, u.UUID)
		if got.DisplayName != "Alice A." || got.TimeZone != "Asia/Kolkata" {
			t.Fatalf("update lost: %+v", got)
		}
		bob := mustUser(t, s, "bob")
		bob.Email = "alice@example.com"
		var fc *store.FieldConflictError
		if err := s.UpdateUser(ctx, bob); !errors.As(err, &fc) || fc.Field != "email" {
			t.Fatalf("update to taken email: %v", err)
		}
		if err := s.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted user: %v", err)
		}
		if err := s.DeleteUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "carol")
		now := s.Clock()
		sess := &store.Session{UserID: u.ID, Digest: "d1", CSRF: "c1", CreatedAt: now, ExpiresAt: now.Add(3600e9)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		expired := &store.Session{UserID: u.ID, Digest: "d2", CSRF: "c2", CreatedAt: now, ExpiresAt: now.Add(-1)}
		if err := s.CreateSession(ctx, expired); err != nil {
			t.Fatal(err)
		}
		if gu, got, err := s.SessionUser(ctx, "d1"); err != nil || gu.ID != u.ID || gu.Email != u.Email || got.UserID != u.ID ||
			got.ID != sess.ID || got.CSRF != "c1" || !got.ExpiresAt.Equal(sess.ExpiresAt.Truncate(1000)) {
			t.Fatalf("SessionUser: %+v %+v %v", gu, got, err)
		}
		if _, _, err := s.SessionUser(ctx, "d2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		if n, err := s.PurgeExpiredSessions(ctx); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		// A password change ends the other sessions, not the one making it.
		other := &store.Session{UserID: u.ID, Digest: "d3", CSRF: "c3", CreatedAt: now, ExpiresAt: now.Add(3600e9)}
		if err := s.CreateSession(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteOtherSessions(ctx, u.ID, "d1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, "d3"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the other session: %v", err)
		}
		if _, _, err := s.SessionUser(ctx, "d1"); err != nil {
			t.Fatalf("the session kept: %v", err)
		}
		p := &store.AppPassword{UserID: u.ID, Name: "phone", Digest: "x1"}
		if err := s.CreateAppPassword(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAppPassword(ctx, &store.AppPassword{UserID: u.ID, Name: "phone", Digest: "x2"}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate app password name: %v", err)
		}
		if got, pid, err := s.UserWithAppPassword(ctx, store.ByName, u.Name, "x1"); err != nil || got.ID != u.ID || pid != p.ID {
			t.Fatalf("UserWithAppPassword: %+v %d %v", got, pid, err)
		}
		if got, pid, err := s.UserWithAppPassword(ctx, store.ByEmail, u.Email, "x1"); err != nil || got.ID != u.ID || pid != p.ID {
			t.Fatalf("UserWithAppPassword by address: %+v %d %v", got, pid, err)
		}
		if _, _, err := s.UserWithAppPassword(ctx, store.ByName, "nobody", "x1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if err := s.TouchAppPassword(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListAppPasswords(ctx, u.ID)
		if err != nil || len(list) != 1 || list[0].LastUsedAt.IsZero() {
			t.Fatalf("ListAppPasswords: %+v %v", list, err)
		}
		if err := s.DeleteAppPassword(ctx, u.ID, "phone"); err != nil {
			t.Fatal(err)
		}
		if got, pid, err := s.UserWithAppPassword(ctx, store.ByName, u.Name, "x1"); err != nil || got.ID != u.ID || pid != 0 {
			t.Fatalf("revoked app password still valid: %d %v", pid, err)
		}
		if err := s.DeleteSession(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("logged-out session: %v", err)
		}
	})
}

func TestCalendars(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "dave")
		c := mustCalendar(t, s, u, "work")
		if err := s.CreateCalendar(ctx, &store.Calendar{OwnerID: u.ID, Name: "work"}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate calendar name: %v", err)
		}
		mustCalendar(t, s, u, "home")
		c.Color, c.Order, c.Components = "#ff0000", -1, []string{"VTODO"}
		if err := s.UpdateCalendar(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.Revision != 1 {
			t.Errorf("revision after update = %d, want 1", c.Revision)
		}
		list, err := s.ListCalendars(ctx, u.ID)
		if err != nil || len(list) != 2 || list[0].Name != "work" || !list[0].Supports("VTODO") || list[0].Supports("VEVENT") {
			t.Fatalf("ListCalendars: %+v %v", list, err)
		}
		props := []store.DeadProperty{{Namespace: "urn:x", Name: "a", XML: `<a xmlns="urn:x">1</a>`}}
		if err := s.PatchCalendarProperties(ctx, c.ID, props); err != nil {
			t.Fatal(err)
		}
		props[0].XML = ""
		props = append(props, store.DeadProperty{Namespace: "urn:x", Name: "b", XML: `<b xmlns="urn:x"/>`})
		if err := s.PatchCalendarProperties(ctx, c.ID, props); err != nil {
			t.Fatal(err)
		}
		got, err := s.CalendarProperties(ctx, c.ID)
		if err != nil || len(got) != 1 || got[0].Name != "b" {
			t.Fatalf("dead properties: %+v %v", got, err)
		}
		if err := s.DeleteCalendar(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetCalendarByUUID(ctx, c.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted calendar: %v", err)
		}
	})
}

func TestPutObjectPreconditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "erin"), "cal")
		w := write("a.ics", "uid-a")
		res, err := s.PutObject(ctx, c.ID, w, store.Conditions{IfNoneMatch: true})
		if err != nil || !res.Created || res.Revision != 1 {
			t.Fatalf("create: %+v %v", res, err)
		}
		if _, err := s.PutObject(ctx, c.ID, w, store.Conditions{IfNoneMatch: true}); !errors.Is(err, store.ErrPreconditionFailed) {
			t.Fatalf("If-None-Match on existing: %v", err)
		}
		if _, err := s.PutObject(ctx, c.ID, w, store.Conditions{IfMatch: "nope"}); !errors.Is(err, store.ErrPreconditionFailed) {
			t.Fatalf("If-Match mismatch: %v", err)
		}
		if _, err := s.PutObject(ctx, c.ID, write("new.ics", "uid-new"), store.Conditions{IfMatch: "*"}); !errors.Is(err, store.ErrPreconditionFailed) {
			t.Fatalf("If-Match * on missing: %v", err)
		}
		w.Data = append(bytes.Clone(w.Data), "X"...)
		res2, err := s.PutObject(ctx, c.ID, w, store.Conditions{IfMatch: res.ETag})
		if err != nil || res2.Created || res2.ETag == res.ETag || res2.UUID != res.UUID {
			t.Fatalf("overwrite: %+v %v", res2, err)
		}
		_, err = s.PutObject(ctx, c.ID, write("b.ics", "uid-a"), store.Conditions{})
		var conflict *store.UIDConflictError
		if !errors.As(err, &conflict) || conflict.Name != "a.ics" {
			t.Fatalf("UID conflict: %v", err)
		}
		cal, _ := s.GetCalendar(ctx, c.ID)
		if cal.Revision != 2 {
			t.Errorf("failed writes changed the revision: %d, want 2", cal.Revision)
		}
		o, err := s.GetObject(ctx, c.ID, "a.ics")
		if err != nil || !bytes.Equal(o.Data, w.Data) || o.ETag != res2.ETag || o.Size != len(w.Data) {
			t.Fatalf("GetObject: %+v %v", o, err)
		}
		if _, err := s.GetObject(ctx, c.ID, "b.ics"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("failed write left a resource: %v", err)
		}
	})
}

func TestObjectQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "fay"), "cal")
		var ids []int64
		for i := range 3 {
			res, err := s.PutObject(ctx, c.ID, write(fmt.Sprintf("%d.ics", i), fmt.Sprint("u", i)), store.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.ObjectID)
		}
		list, err := s.ListObjects(ctx, c.ID, false)
		if err != nil || len(list) != 3 || list[0].Data != nil {
			t.Fatalf("ListObjects: %d %v", len(list), err)
		}
		got, err := s.GetObjectsByID(ctx, append(ids[:2], 999999))
		if err != nil || len(got) != 2 || got[0].Data == nil {
			t.Fatalf("GetObjectsByID: %d %v", len(got), err)
		}
		got, err = s.GetObjectsByName(ctx, c.ID, []string{"2.ics", "missing.ics"})
		if err != nil || len(got) != 1 || got[0].UID != "u2" {
			t.Fatalf("GetObjectsByName: %+v %v", got, err)
		}
		o, err := s.GetObjectByUID(ctx, c.ID, "u1")
		if err != nil || o.Name != "1.ics" {
			t.Fatalf("GetObjectByUID: %+v %v", o, err)
		}
		if o2, err := s.GetObjectByUUID(ctx, o.UUID); err != nil || o2.ID != o.ID {
			t.Fatalf("GetObjectByUUID: %v", err)
		}
	})
}

func TestSyncLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "gus"), "cal")
		for _, n := range []string{"a", "b", "c"} {
			if _, err := s.PutObject(ctx, c.ID, write(n+".ics", n), store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.DeleteObject(ctx, c.ID, "b.ics", store.Conditions{IfMatch: "wrong"}); !errors.Is(err, store.ErrPreconditionFailed) {
			t.Fatalf("delete with wrong If-Match: %v", err)
		}
		rev, err := s.DeleteObject(ctx, c.ID, "b.ics", store.Conditions{})
		if err != nil || rev != 4 {
			t.Fatalf("delete: %d %v", rev, err)
		}
		if _, err := s.DeleteObject(ctx, c.ID, "b.ics", store.Conditions{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := s.PutObject(ctx, c.ID, write("a.ics", "a"), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		changes, cur, err := s.ChangesSince(ctx, c.ID, 0, 0)
		if err != nil || cur != 5 || names(changes) != "c a" {
			t.Fatalf("initial sync: %v cur=%d %v", names(changes), cur, err)
		}
		changes, _, _ = s.ChangesSince(ctx, c.ID, 2, 0)
		if names(changes) != "c -b a" || changes[1].UUID == "" {
			t.Fatalf("since 2: %q", names(changes))
		}
		changes, _, _ = s.ChangesSince(ctx, c.ID, 2, 2)
		if names(changes) != "c -b" || changes[1].Revision != 4 {
			t.Fatalf("truncated: %q", names(changes))
		}
		changes, _, _ = s.ChangesSince(ctx, c.ID, changes[1].Revision, 2)
		if names(changes) != "a" {
			t.Fatalf("continued: %q", names(changes))
		}
		if changes, _, _ = s.ChangesSince(ctx, c.ID, 5, 0); len(changes) != 0 {
			t.Fatalf("no changes expected: %q", names(changes))
		}
		for _, bad := range []int64{6, -1} {
			if _, _, err := s.ChangesSince(ctx, c.ID, bad, 0); !errors.Is(err, store.ErrInvalidSyncToken) {
				t.Errorf("token %d: %v", bad, err)
			}
		}
		if err := s.PruneTombstones(ctx, c.ID, 4); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ChangesSince(ctx, c.ID, 2, 0); !errors.Is(err, store.ErrInvalidSyncToken) {
			t.Fatalf("token older than pruned tombstones: %v", err)
		}
		if changes, _, err = s.ChangesSince(ctx, c.ID, 4, 0); err != nil || names(changes) != "a" {
			t.Fatalf("token at floor: %q %v", names(changes), err)
		}
	})
}

func names(cs []store.Change) string {
	var b bytes.Buffer
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.Deleted {
			b.WriteByte('-')
		}
		b.WriteString(c.Name[:len(c.Name)-len(".ics")])
	}
	return b.String()
}

func TestMoveObject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "hal")
		from, to := mustCalendar(t, s, u, "from"), mustCalendar(t, s, u, "to")
		hour := int64(3600e6)
		put, err := s.PutObject(ctx, from.ID, write("e.ics", "e", store.Instance{Start: 10 * hour, End: 12 * hour}), store.Conditions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutObject(ctx, to.ID, write("x.ics", "e"), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		var conflict *store.UIDConflictError
		if _, err := s.MoveObject(ctx, from.ID, "e.ics", to.ID, "e.ics", store.Conditions{}, true); !errors.As(err, &conflict) {
			t.Fatalf("move onto a UID in use: %v", err)
		}
		if _, err := s.DeleteObject(ctx, to.ID, "x.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		res, err := s.MoveObject(ctx, from.ID, "e.ics", to.ID, "moved.ics", store.Conditions{IfMatch: put.ETag}, false)
		if err != nil || !res.Created || res.ETag != put.ETag || res.UUID != put.UUID {
			t.Fatalf("move: %+v %v", res, err)
		}
		if _, err := s.GetObject(ctx, from.ID, "e.ics"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("source still there: %v", err)
		}
		in, _, err := s.ViewWindow(ctx, []int64{to.ID}, 0, 24*hour)
		if err != nil || len(in) != 1 || in[0].CalendarID != to.ID {
			t.Fatalf("index not moved: %+v %v", in, err)
		}
		ch, _, _ := s.ChangesSince(ctx, from.ID, put.Revision, 0)
		if names(ch) != "-e" {
			t.Fatalf("source log: %q", names(ch))
		}
		// A rename within one calendar logs both names.
		before, _ := s.GetCalendar(ctx, to.ID)
		if _, err := s.MoveObject(ctx, to.ID, "moved.ics", to.ID, "renamed.ics", store.Conditions{}, false); err != nil {
			t.Fatalf("rename: %v", err)
		}
		if ch, _, _ = s.ChangesSince(ctx, to.ID, before.Revision, 0); names(ch) != "-moved renamed" {
			t.Fatalf("rename log: %q", names(ch))
		}
	})
}

// TestDeleteAndMoveScheduleTag: DELETE and MOVE honour If-Schedule-Tag-Match
// as PUT does (RFC 6638 §3.2.10, §8.3), together with If-Match, and a
// resource without a Schedule-Tag matches none.
func TestDeleteAndMoveScheduleTag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ivy")
		from, to := mustCalendar(t, s, u, "from"), mustCalendar(t, s, u, "to")
		etags := map[string]string{}
		for _, name := range []string{"d", "m", "plain"} {
			w := write(name+".ics", name)
			if name != "plain" {
				w.Scheduling = store.Scheduling{ScheduleTag: "tag-" + name, Role: store.SchedAttendee}
			}
			res, err := s.PutObject(ctx, from.ID, w, store.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			etags[name] = res.ETag
		}
		cond := func(tag, etag string) store.Conditions {
			return store.Conditions{IfMatch: etag, IfScheduleTagMatch: &tag}
		}
		del := func(name string, c store.Conditions) error {
			_, err := s.DeleteObject(ctx, from.ID, name+".ics", c)
			return err
		}
		move := func(name string, c store.Conditions) error {
			_, err := s.MoveObject(ctx, from.ID, name+".ics", to.ID, name+".ics", c, false)
			return err
		}
		for _, tc := range []struct {
			what, name string
			op         func(string, store.Conditions) error
			cond       store.Conditions
		}{
			{"DELETE, stale tag", "d", del, cond("stale", "")},
			{"MOVE, stale tag", "m", move, cond("stale", "")},
			{"DELETE, no Schedule-Tag", "plain", del, cond("tag-d", "")},
			{"MOVE, no Schedule-Tag", "plain", move, cond("tag-m", "")},
			{"DELETE, tag but stale If-Match", "d", del, cond("tag-d", "stale")},
			{"MOVE, tag but stale If-Match", "m", move, cond("tag-m", "stale")},
		} {
			if err := tc.op(tc.name, tc.cond); !errors.Is(err, store.ErrPreconditionFailed) {
				t.Errorf("%s: %v, want ErrPreconditionFailed", tc.what, err)
			}
		}
		for c, want := range map[int64]int64{from.ID: 3, to.ID: 0} {
			if cal, err := s.GetCalendar(ctx, c); err != nil || cal.Revision != want {
				t.Fatalf("failed writes changed calendar %d: %+v %v", c, cal, err)
			}
		}
		if err := del("d", cond("tag-d", etags["d"])); err != nil {
			t.Fatalf("DELETE with the current tag: %v", err)
		}
		if err := move("m", cond("tag-m", "")); err != nil {
			t.Fatalf("MOVE with the current tag: %v", err)
		}
		if _, err := s.GetObject(ctx, from.ID, "d.ics"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted resource still there: %v", err)
		}
		if o, err := s.GetObject(ctx, to.ID, "m.ics"); err != nil || o.ScheduleTag != "tag-m" {
			t.Errorf("moved resource: %+v %v", o, err)
		}
	})
}

func TestViewWindowOverlap(t *testing.T) {
	const h = int64(3600e6)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "ivy"), "cal")
		objs := map[string][]store.Instance{
			"before":   {{Start: 0, End: 10 * h}},
			"touching": {{Start: 5 * h, End: 10 * h}},
			"inside":   {{Start: 12 * h, End: 13 * h}},
			"across":   {{Start: 9 * h, End: 11 * h}},
			"zero-in":  {{Start: 10 * h, End: 10 * h}},
			"zero-end": {{Start: 20 * h, End: 20 * h}},
			"long":     {{Start: -1000 * h, End: 1000 * h}},
			"after":    {{Start: 20 * h, End: 21 * h}},
			"floating": {{Start: 25 * h, End: 26 * h, Floating: true}},
			"series":   {{Start: -48 * h, End: -47 * h, RecurrenceID: -48 * h}, {Start: 15 * h, End: 16 * h, RecurrenceID: 15 * h}},
		}
		names := map[int64]string{}
		for n, in := range objs {
			res, err := s.PutObject(ctx, c.ID, write(n+".ics", n, in...), store.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			names[res.ObjectID] = n
		}
		got, _, err := s.ViewWindow(ctx, []int64{c.ID}, 10*h, 20*h)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, in := range got {
			seen[names[in.ObjectID]]++
		}
		want := map[string]int{"inside": 1, "across": 1, "zero-in": 1, "long": 1, "floating": 1, "series": 1}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("overlapping [10h, 20h): got %v, want %v", seen, want)
		}
	})
}

// TestConcurrentWriters checks that writers to one calendar serialise: every
// write gets its own revision and none is lost.
func TestConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "jon"), "cal")
		const workers, each = 8, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					n := fmt.Sprintf("w%d-%d", w, i)
					if _, err := s.PutObject(ctx, c.ID, write(n+".ics", n, store.Instance{Start: int64(i), End: int64(i + 1)}), store.Conditions{}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		cal, _ := s.GetCalendar(ctx, c.ID)
		changes, _, _ := s.ChangesSince(ctx, c.ID, 0, 0)
		if cal.Revision != workers*each || len(changes) != workers*each {
			t.Fatalf("revision %d, %d changes; want %d", cal.Revision, len(changes), workers*each)
		}
		for i, ch := range changes {
			if ch.Revision != int64(i+1) {
				t.Fatalf("change %d has revision %d", i, ch.Revision)
			}
		}
	})
}

// TestConcurrentUIDClaims races writers that put the same UID under
// different names: exactly one may win (RFC 4791 §5.3.2.1).
func TestConcurrentUIDClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "kim"), "cal")
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.PutObject(ctx, c.ID, write(fmt.Sprintf("r%d.ics", i), "same"), store.Conditions{})
				var conflict *store.UIDConflictError
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.As(err, &conflict):
					t.Errorf("unexpected error: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d writers won the UID, want 1", wins)
		}
	})
}

func TestSettle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if err := s.Settle(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
