package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestProposals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := &store.User{Name: "org", Email: "org@example.com"}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		p := &store.Proposal{UserID: u.ID, UID: "ev-1", Name: "a", Attendee: "mailto:carol@example.net", Comment: "later?",
			Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}
		isNew, err := st.PutProposal(ctx, p)
		if err != nil || !isNew || p.UUID == "" || p.State != store.ProposalPending {
			t.Fatalf("put: %v %v %+v", isNew, err, p)
		}
		again := &store.Proposal{UserID: u.ID, UID: "ev-1", Name: "a", Attendee: "mailto:carol@example.net", Data: []byte("x")}
		if isNew, err := st.PutProposal(ctx, again); err != nil || isNew || again.UUID != p.UUID {
			t.Fatalf("a repeated delivery: %v %v %+v", isNew, err, again)
		}
		list, err := st.Proposals(ctx, u.ID, "ev-1")
		if err != nil || len(list) != 1 || list[0].Comment != "later?" {
			t.Fatalf("list: %v %v", list, err)
		}
		if list, _ := st.Proposals(ctx, u.ID, "ev-2"); len(list) != 0 {
			t.Errorf("another event's proposals: %v", list)
		}
		if err := st.SetProposalState(ctx, u.ID, p.UUID, store.ProposalPending, store.ProposalDeclined); err != nil {
			t.Fatal(err)
		}
		if err := st.SetProposalState(ctx, u.ID, p.UUID, store.ProposalPending, store.ProposalAccepted); !errors.Is(err, store.ErrPreconditionFailed) {
			t.Errorf("deciding twice: %v", err)
		}
		if err := st.SetProposalState(ctx, u.ID, store.NewUUID(), store.ProposalPending, store.ProposalAccepted); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such proposal: %v", err)
		}
		if got, err := st.GetProposal(ctx, u.ID, p.UUID); err != nil || got.State != store.ProposalDeclined {
			t.Errorf("get: %+v %v", got, err)
		}
		if _, err := st.GetProposal(ctx, u.ID+1, p.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another user's proposal: %v", err)
		}
	})
}
