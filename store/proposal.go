package store

import (
	"context"
	"time"
)

// Proposal states.
const (
	ProposalPending  = "pending"
	ProposalAccepted = "accepted"
	ProposalDeclined = "declined"
)

// Proposal is a COUNTER an organizer received (RFC 5546 §3.2.7): an
// attendee's proposed change to one of the organizer's events (UID),
// pending until the organizer accepts or declines it.
type Proposal struct {
	ID        int64
	UUID      string
	UserID    int64  // the organizer
	UID       string // the event's UID
	Name      string // unique per user: a repeated delivery adds nothing
	Attendee  string // calendar user address of the proposer
	Comment   string
	Data      []byte // the COUNTER message
	State     string
	CreatedAt time.Time
}

const proposalColumns = `id, uuid, user_id, uid, name, attendee, comment, data, state, created_at`

func scanProposal(r row) (*Proposal, error) {
	var p Proposal
	var created int64
	err := r.Scan(&p.ID, &p.UUID, &p.UserID, &p.UID, &p.Name, &p.Attendee, &p.Comment, &p.Data, &p.State, &created)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	p.CreatedAt = FromMicro(created)
	return &p, err
}

// PutProposal stores a pending proposal; one with the same name is kept as
// it is. It reports whether p is new, and fills in its ids.
func (s *Store) PutProposal(ctx context.Context, p *Proposal) (bool, error) {
	var n int64
	err := s.inTx(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `INSERT INTO proposals (uuid, user_id, uid, name, attendee, comment, data, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_id, name) DO NOTHING`,
			NewUUID(), p.UserID, p.UID, p.Name, p.Attendee, p.Comment, p.Data, ProposalPending, s.nowMicro())
		if err != nil {
			return err
		}
		got, err := scanProposal(q.queryRow(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE user_id = $1 AND name = $2`, p.UserID, p.Name))
		if err == nil {
			*p = *got
		}
		return err
	})
	return n > 0, err
}

// Proposals returns the proposals userID received for the event uid,
// oldest first.
func (s *Store) Proposals(ctx context.Context, userID int64, uid string) ([]*Proposal, error) {
	rs, err := s.read.query(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE user_id = $1 AND uid = $2 ORDER BY id`, userID, uid)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Proposal
	for rs.Next() {
		p, err := scanProposal(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rs.Err()
}

// GetProposal returns one of userID's proposals by its public id, or
// ErrNotFound.
func (s *Store) GetProposal(ctx context.Context, userID int64, uuid string) (*Proposal, error) {
	return scanProposal(s.read.queryRow(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE user_id = $1 AND uuid = $2`, userID, uuid))
}

// SetProposalState moves a proposal from state from to state to. It
// returns ErrNotFound for no such proposal and ErrPreconditionFailed for
// one not in state from, so that two answers to one proposal do not both
// take effect.
func (s *Store) SetProposalState(ctx context.Context, userID int64, uuid, from, to string) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE proposals SET state = $1 WHERE user_id = $2 AND uuid = $3 AND state = $4`,
			to, userID, uuid, from)
		if err != nil || n > 0 {
			return err
		}
		if _, err := scanProposal(q.queryRow(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE user_id = $1 AND uuid = $2`, userID, uuid)); err != nil {
			return err
		}
		return ErrPreconditionFailed
	})
}
