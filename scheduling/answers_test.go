package scheduling

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// putAnswers writes a file of testdata/answers as Alice's client would.
func (h *hookEnv) putAnswers(cal *store.Calendar, file string) {
	h.t.Helper()
	h.write(context.Background(), cal, file)
}

// seedAnswers stores a file of testdata/answers as the server's record of
// a meeting whose answers came in: the organizer cannot write a local
// user's answer (RFC 6638 §3.2.1), and these tests start from them.
func (h *hookEnv) seedAnswers(cal *store.Calendar, file string) {
	h.t.Helper()
	h.write(withServerWrite(context.Background(), &serverWrite{sched: store.Scheduling{Role: store.SchedOrganizer, ScheduleTag: newTag()}}), cal, file)
}

func (h *hookEnv) write(ctx context.Context, cal *store.Calendar, file string) {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "answers", file))
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.cals.PutObject(ctx, h.users["alice"], cal, "event.ics", data, store.Conditions{}); err != nil {
		h.t.Fatalf("put %s: %v", file, err)
	}
}

// stored reads Alice's stored copy back.
func (h *hookEnv) stored(cal *store.Calendar) (*store.Object, *icalendar.Object) {
	h.t.Helper()
	o, err := h.st.GetObject(context.Background(), cal.ID, "event.ics")
	if err != nil {
		h.t.Fatal(err)
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	return o, obj
}

// answerOf renders an attendee's PARTSTAT and RSVP in component key of
// obj, e.g. "ACCEPTED" or "NEEDS-ACTION;RSVP=TRUE".
func answerOf(obj *icalendar.Object, key, email string) string {
	c := itip.Component(obj, key)
	if c == nil {
		return "no component"
	}
	p := itip.FindAttendee(c.Component, "mailto:"+email)
	if p == nil {
		return "not invited"
	}
	out := itip.PartStat(c.Component, "mailto:"+email)
	if r := p.Params.Get("RSVP"); r != "" {
		out += ";RSVP=" + strings.ToUpper(r)
	}
	return out
}

// TestRescheduleResetsAnswers: a change of time, recurrence or place
// asks every attendee again (RFC 6638 §3.2.8), whether or not the
// organizer's client raised SEQUENCE; the server raises it when the
// client did not. The organizer's own answer stays, and so do all
// answers when the change is the organizer's own data or does not move
// the meeting. Instance by instance: moving one override resets only it.
// The master's SEQUENCE is raised also by a change that asks nothing but
// RFC 5546 §2.1.4 names (EXDATE, STATUS).
func TestRescheduleResetsAnswers(t *testing.T) {
	const bob, carol, alice = "bob@almanac.test", "carol@example.net", "alice@almanac.test"
	const asked = "NEEDS-ACTION;RSVP=TRUE"
	const week3 = "20260316T080000Z"
	type want struct {
		key, who, answer string
	}
	cases := []struct {
		name     string
		old, new string
		seq      int // the stored master SEQUENCE
		sends    bool
		answers  []want
	}{
		{"moved, SEQUENCE raised", "answered.ics", "moved.ics", 1, true,
			[]want{{"", bob, asked}, {"", carol, asked}, {"", alice, "ACCEPTED"}}},
		{"moved, SEQUENCE kept by the client", "answered.ics", "moved-same-sequence.ics", 1, true,
			[]want{{"", bob, asked}, {"", carol, asked}, {"", alice, "ACCEPTED"}}},
		{"made longer", "answered.ics", "longer.ics", 1, true,
			[]want{{"", bob, asked}, {"", carol, asked}}},
		{"another room", "answered.ics", "relocated.ics", 1, true,
			[]want{{"", bob, asked}, {"", carol, asked}}},
		{"renamed: an update that asks nothing", "answered.ics", "renamed.ics", 0, true,
			[]want{{"", bob, "ACCEPTED"}, {"", carol, "TENTATIVE"}}},
		{"the organizer's alarm", "answered.ics", "alarm.ics", 0, false,
			[]want{{"", bob, "ACCEPTED"}, {"", carol, "TENTATIVE"}}},
		{"TRANSP and CATEGORIES", "answered.ics", "transp-categories.ics", 0, false,
			[]want{{"", bob, "ACCEPTED"}, {"", carol, "TENTATIVE"}}},
		{"one override moved", "weekly.ics", "weekly-override-moved.ics", 0, true,
			[]want{{week3, bob, asked}, {week3, carol, asked}, {week3, alice, "ACCEPTED"}, {"", bob, "ACCEPTED"}, {"", carol, "DECLINED"}}},
		{"series made longer", "weekly.ics", "weekly-longer.ics", 1, true,
			[]want{{"", bob, asked}, {"", carol, asked}, {week3, bob, "ACCEPTED"}, {week3, carol, "DECLINED"}}},
		// The moved instance goes back to the series' time: asked again,
		// in an override of its own that carries the new SEQUENCE.
		{"a moved override removed", "weekly.ics", "weekly-override-removed.ics", 0, true,
			[]want{{week3, bob, asked}, {week3, carol, asked}, {"", bob, "ACCEPTED"}, {"", carol, "DECLINED"}}},
		// RFC 5546 §2.1.4: a new EXDATE or STATUS takes a new SEQUENCE,
		// and asks nothing.
		{"an occurrence removed", "weekly.ics", "weekly-exdate.ics", 1, true,
			[]want{{"", bob, "ACCEPTED"}, {"", carol, "DECLINED"}}},
		{"cancelled", "answered.ics", "cancelled.ics", 1, true,
			[]want{{"", bob, "ACCEPTED"}, {"", carol, "TENTATIVE"}}},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHookEnv(t, st)
		for _, tc := range cases {
			cal := h.calendar()
			h.seedAnswers(cal, tc.old)
			mark := h.lastID()
			h.putAnswers(cal, tc.new)
			if sent := h.sent(mark); (len(sent) > 0) != tc.sends {
				t.Errorf("%s: sent %v", tc.name, sent)
			}
			o, obj := h.stored(cal)
			if seq := masterSequence(obj); seq != tc.seq || o.Sequence != tc.seq {
				t.Errorf("%s: SEQUENCE %d (column %d), want %d", tc.name, seq, o.Sequence, tc.seq)
			}
			for _, w := range tc.answers {
				if got := answerOf(obj, w.key, w.who); got != w.answer {
					t.Errorf("%s: %s in %q is %s, want %s", tc.name, w.who, w.key, got, w.answer)
				}
			}
		}
	})
}

// TestNewAttendeeAskedToReply: whoever the server invites is asked to
// reply (RSVP=TRUE, RFC 5545 §3.2.17) unless the organizer said
// otherwise, and starts without an answer, also when invited again after
// being removed, whatever the organizer's client remembered.
func TestNewAttendeeAskedToReply(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		who   string
		want  string
	}{
		{"added without RSVP", []string{"answered.ics", "dave.ics"}, "dave@almanac.test", "NEEDS-ACTION;RSVP=TRUE"},
		{"added with RSVP=FALSE", []string{"answered.ics", "dave-no-rsvp.ics"}, "dave@almanac.test", "NEEDS-ACTION;RSVP=FALSE"},
		{"removed, then invited again with the old answer", []string{"answered.ics", "no-bob.ics", "bob-again.ics"}, "bob@almanac.test", "NEEDS-ACTION;RSVP=TRUE"},
		{"answered stays answered", []string{"answered.ics", "dave.ics"}, "bob@almanac.test", "ACCEPTED"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHookEnv(t, st)
		for _, tc := range cases {
			cal := h.calendar()
			h.seedAnswers(cal, tc.files[0])
			for _, f := range tc.files[1:] {
				h.putAnswers(cal, f)
			}
			if _, obj := h.stored(cal); answerOf(obj, "", tc.who) != tc.want {
				t.Errorf("%s: %s is %s, want %s", tc.name, tc.who, answerOf(obj, "", tc.who), tc.want)
			}
		}
	})
}

const (
	answersUID = "2B7E4C1A-9F3D-4E8B-A6C2-5D1F0E9A8B7C"
	weeklyUID  = "5C4D3E2F-1A0B-4C9D-8E7F-6A5B4C3D2E1F"
)

func answersFile(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "answers", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lastMailAnswer reads the attendee's PARTSTAT and RSVP in the master of
// the last e-mail sent to them.
func (e *env) lastMailAnswer(to string) string {
	e.t.Helper()
	list := e.mailTo(to)
	if len(list) == 0 {
		return "no mail"
	}
	in, err := itip.ParseMail(bytes.NewReader(list[len(list)-1].Data))
	if err != nil {
		e.t.Fatal(err)
	}
	obj := &icalendar.Object{Components: in.Message.Components}
	return in.Message.Method + " " + answerOf(obj, "", to)
}

// TestRescheduleAsksAttendeesAgain follows a reschedule into every copy:
// the attendee's copy and the update mail ask again (RFC 6638 §3.2.8),
// and an answer to the new version counts.
func TestRescheduleAsksAttendeesAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice := e.users["alice"]
		e.put(alice, e.work, "review.ics", answersFile(t, "answered.ics"), store.Conditions{})
		e.accept("bob", answersUID)
		e.eventually("carol's invitation", func() bool { return len(e.mailTo("carol@example.net")) == 1 })

		// Moved by a client that leaves SEQUENCE alone.
		e.put(alice, e.work, "review.ics", answersFile(t, "moved-same-sequence.ics"), store.Conditions{})
		e.eventually("bob asked again", func() bool { return e.partstat("bob", answersUID, "", "bob") == itip.NeedsAction })
		_, bobs := e.copyOf("bob", answersUID)
		if seq := masterSequence(bobs); seq != 1 {
			t.Errorf("bob's copy has SEQUENCE %d, want 1", seq)
		}
		if got := answerOf(bobs, "", "bob@almanac.test"); got != "NEEDS-ACTION;RSVP=TRUE" {
			t.Errorf("bob's copy: %s", got)
		}
		e.eventually("carol's update", func() bool { return len(e.mailTo("carol@example.net")) == 2 })
		if got := e.lastMailAnswer("carol@example.net"); got != "REQUEST NEEDS-ACTION;RSVP=TRUE" {
			t.Errorf("carol's update mail: %s", got)
		}

		// Bob accepts the new time; his answer carries SEQUENCE 1 and counts.
		o, obj := e.copyOf("bob", answersUID)
		itip.SetPartStat(obj.Master().Component, "mailto:bob@almanac.test", itip.Accepted)
		data, _ := icalendar.Marshal(obj.Calendar.Component)
		cal, _ := st.GetCalendar(context.Background(), o.CalendarID)
		e.put(e.users["bob"], cal, o.Name, data, store.Conditions{IfMatch: o.ETag})
		e.eventually("bob's new answer at alice", func() bool { return e.partstat("alice", answersUID, "", "bob") == itip.Accepted })
	})
}

// TestRescheduleOneInstance: moving one override asks again for that
// instance only, in the attendee's copy too.
func TestRescheduleOneInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice := e.users["alice"]
		const week3 = "20260316T080000Z"
		e.put(alice, e.work, "standup.ics", answersFile(t, "weekly.ics"), store.Conditions{})
		e.accept("bob", weeklyUID)
		e.put(alice, e.work, "standup.ics", answersFile(t, "weekly-override-moved.ics"), store.Conditions{})
		e.eventually("the moved instance asked again", func() bool {
			return e.partstat("bob", weeklyUID, week3, "bob") == itip.NeedsAction
		})
		if ps := e.partstat("bob", weeklyUID, "", "bob"); ps != itip.Accepted {
			t.Errorf("bob's answer to the series became %s", ps)
		}
		if ps := e.partstat("alice", weeklyUID, "", "carol@example.net"); ps != itip.Declined {
			t.Errorf("carol's answer to the series became %s", ps)
		}
	})
}

// TestInvitedAgainStartsUnanswered: removed, then invited again, an
// attendee has no answer in either copy.
func TestInvitedAgainStartsUnanswered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice := e.users["alice"]
		e.put(alice, e.work, "review.ics", answersFile(t, "answered.ics"), store.Conditions{})
		e.accept("bob", answersUID)
		e.put(alice, e.work, "review.ics", answersFile(t, "no-bob.ics"), store.Conditions{})
		e.eventually("bob's copy cancelled", func() bool {
			_, obj := e.copyOf("bob", answersUID)
			return obj.Master().Status() == "CANCELLED"
		})
		e.put(alice, e.work, "review.ics", answersFile(t, "bob-again.ics"), store.Conditions{})
		e.eventually("bob invited again", func() bool {
			_, obj := e.copyOf("bob", answersUID)
			return obj.Master().Status() != "CANCELLED"
		})
		_, bobs := e.copyOf("bob", answersUID)
		_, alices := e.copyOf("alice", answersUID)
		for who, obj := range map[string]*icalendar.Object{"bob's": bobs, "alice's": alices} {
			if got := answerOf(obj, "", "bob@almanac.test"); got != "NEEDS-ACTION;RSVP=TRUE" {
				t.Errorf("%s copy: bob %s", who, got)
			}
		}
		if o, _ := e.copyOf("bob", answersUID); o.PartStat != itip.NeedsAction {
			t.Errorf("bob's copy is listed as %s", o.PartStat)
		}
	})
}

// accept has user accept every instance of uid in their copy, as their
// client would, and waits for the organizer's copy to show it.
func (e *env) accept(user, uid string) {
	e.t.Helper()
	addr := "mailto:" + user + "@almanac.test"
	if err := e.rewrite(user, uid, answer(addr, itip.Accepted)); err != nil {
		e.t.Fatal(err)
	}
	e.eventually(user+"'s answer at the organizer", func() bool {
		_, obj := e.copyOf("alice", uid)
		for _, c := range obj.Components {
			if itip.Invited(c.Component, addr) && itip.PartStat(c.Component, addr) != itip.Accepted {
				return false
			}
		}
		return true
	})
}

// TestOrganizerCannotAnswerForOthers: RFC 6638 §3.2.1 has the server
// refuse an organizer's PARTSTAT for another user other than
// NEEDS-ACTION. A user of this server answers in their own copy; the
// organizer's client may ask them again, but not answer for them, and a
// write with If-Schedule-Tag-Match keeps the answers the server recorded
// (§3.2.10) even with a new SEQUENCE.
func TestOrganizerCannotAnswerForOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice := e.users["alice"]
		const uid = "for-others"
		write := func(seq int, bob, summary string, cond store.Conditions) {
			t.Helper()
			data := strings.Replace(string(event(uid, seq, "", "bob@almanac.test", "carol@example.net")),
				"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "ATTENDEE;PARTSTAT="+bob+":mailto:bob", 1)
			data = strings.Replace(data, "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol", 1)
			data = strings.Replace(data, "SUMMARY:Planning", "SUMMARY:"+summary, 1)
			e.put(alice, e.work, "m.ics", []byte(data), cond)
		}
		both := func(what, want string) {
			t.Helper()
			e.settled()
			if a, b := e.partstat("alice", uid, "", "bob"), e.partstat("bob", uid, "", "bob"); a != want || b != want {
				t.Errorf("%s: bob is %s at alice, %s in his copy; want %s", what, a, b, want)
			}
		}

		write(0, itip.Accepted, "Planning", store.Conditions{IfNoneMatch: true})
		both("a new event", itip.NeedsAction)
		if got := e.partstat("alice", uid, "", "carol@example.net"); got != itip.Accepted {
			t.Errorf("an outside attendee's answer the organizer brought: %s", got)
		}

		e.accept("bob", uid)
		write(1, itip.Declined, "Planning (agenda)", store.Conditions{})
		both("an update answering for bob", itip.Accepted)

		write(2, itip.NeedsAction, "Planning (agenda, again)", store.Conditions{})
		both("an update asking bob again", itip.NeedsAction)

		e.accept("bob", uid)
		o, _ := e.copyOf("alice", uid)
		write(3, itip.NeedsAction, "Planning (final)", store.Conditions{IfScheduleTagMatch: &o.ScheduleTag})
		both("a stale view written with If-Schedule-Tag-Match", itip.Accepted)
	})
}
