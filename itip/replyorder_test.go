package itip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RFC 5546 §2.1.5: of two replies of the same SEQUENCE, the later DTSTAMP
// wins, whatever order they arrive in; a lower SEQUENCE loses to a higher.
// Replies alike in both (made within one second) are ordered by arrival
// when the server knows it.
func TestReplyOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replies  []string // files in testdata/reply-order, applied in order
		want     string   // Bob's PARTSTAT after them
		stale    []bool   // whether each reply was found older than the record
		arrivals []int64  // Message.Arrival of each, when set
	}{
		{"later first", []string{"accept-0103", "decline-0102"}, Accepted, []bool{false, true}, nil},
		{"in order", []string{"decline-0102", "accept-0103"}, Accepted, []bool{false, false}, nil},
		{"a later change", []string{"accept-0103", "decline-0104"}, Declined, []bool{false, false}, nil},
		{"the same reply twice", []string{"accept-0103", "accept-0103"}, Accepted, []bool{false, false}, nil},
		{"higher sequence first", []string{"tentative-0101-seq3", "decline-0104"}, Tentative, []bool{false, true}, nil},
		{"lower sequence, later stamp", []string{"decline-0104", "accept-0105-seq1"}, Declined, []bool{false, true}, nil},
		{"same stamp, later arrival", []string{"decline-0103", "accept-0103"}, Accepted, []bool{false, false}, []int64{7, 9}},
		{"same stamp, earlier arrival", []string{"decline-0103", "accept-0103"}, Declined, []bool{false, true}, []int64{9, 7}},
		{"same stamp, arrival unknown", []string{"decline-0103", "accept-0103"}, Accepted, []bool{false, false}, []int64{9, 0}},
		{"arrival then a later stamp", []string{"accept-0103", "decline-0104"}, Declined, []bool{false, false}, []int64{9, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := meeting(t)
			for i, name := range tc.replies {
				data, err := os.ReadFile(filepath.Join("testdata", "reply-order", name+".ics"))
				if err != nil {
					t.Fatal(err)
				}
				msg := mustParse(t, data)
				if tc.arrivals != nil {
					msg.Arrival = tc.arrivals[i]
				}
				out, err := ApplyReply(obj, msg, "bob@example.net")
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if stale := len(out.Stale) > 0; stale != tc.stale[i] {
					t.Errorf("%s: stale %v, want %v", name, stale, tc.stale[i])
				}
				if i == 1 && name == tc.replies[0] && (out.Changed || out.Stamped) {
					t.Errorf("a repeated reply changed the copy: %+v", out)
				}
			}
			if got := PartStat(obj.Master().Component, "mailto:bob@example.net"); got != tc.want {
				t.Errorf("PARTSTAT %s, want %s", got, tc.want)
			}
		})
	}
}

// The record of the latest reply stays in the organizer's copy: messages
// sent from it do not carry it.
func TestReplyStampNotSent(t *testing.T) {
	obj := meeting(t)
	data, err := os.ReadFile(filepath.Join("testdata", "reply-order", "accept-0103.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := ApplyReply(obj, mustParse(t, data), "bob@example.net"); err != nil || !out.Stamped {
		t.Fatalf("apply: %+v %v", out, err)
	}
	p := FindAttendee(obj.Master().Component, "mailto:bob@example.net")
	if got := p.Params.Get(ReplyStampParam); got != "2/20260103T100000Z" {
		t.Fatalf("recorded %q", got)
	}
	for _, to := range []string{"mailto:bob@example.net", "mailto:carol@example.org"} {
		req, err := BuildRequest(obj, to, now)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ReplaceAll(string(req), "\r\n ", ""), ReplyStampParam) { // unfolded
			t.Errorf("the REQUEST to %s carries %s:\n%s", to, ReplyStampParam, req)
		}
	}
}
