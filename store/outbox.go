package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OutboxMessage is a side effect waiting for delivery.
type OutboxMessage struct {
	ID             int64
	Kind           string // which handler delivers it, e.g. "email"
	IdempotencyKey string
	Payload        []byte
	Status         string // pending, done, dead
	Attempts       int
	DueAt          time.Time // when it should go out (reminders are due later)
	NextAttemptAt  time.Time
	LastError      string
	Ref            string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxDone    = "done"
	OutboxDead    = "dead"
)

// enqueue inserts messages in the caller's transaction; a message whose
// idempotency key is already known is skipped. Rows go in multi-row
// statements: an invitation to a large meeting queues hundreds at once,
// and one round trip each would dominate the write.
func enqueue(ctx context.Context, q querier, now int64, msgs []OutboxMessage) error {
	const perStmt = 50
	for len(msgs) > 0 {
		n := min(len(msgs), perStmt)
		sql, args := outboxInsert(now, msgs[:n])
		if _, err := q.exec(ctx, sql, args...); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

func outboxInsert(now int64, msgs []OutboxMessage) (string, []any) {
	var b strings.Builder
	b.WriteString(`INSERT INTO outbox (kind, idempotency_key, payload, due_at, next_attempt_at, ref, created_at, updated_at) VALUES `)
	args := make([]any, 0, len(msgs)*6)
	for i, m := range msgs {
		due := now
		if !m.DueAt.IsZero() {
			due = Micro(m.DueAt)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		p := i * 6
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", p+1, p+2, p+3, p+4, p+4, p+5, p+6, p+6)
		args = append(args, m.Kind, m.IdempotencyKey, m.Payload, due, m.Ref, now)
	}
	b.WriteString(` ON CONFLICT (idempotency_key) DO NOTHING`)
	return b.String(), args
}

// Enqueue records messages for delivery in their own transaction.
func (s *Store) Enqueue(ctx context.Context, msgs ...OutboxMessage) error {
	return s.inTx(ctx, func(q querier) error { return enqueue(ctx, q, s.nowMicro(), msgs) })
}

const outboxColumns = `id, kind, idempotency_key, payload, status, attempts, due_at, next_attempt_at, last_error, ref, created_at, updated_at`

func scanOutbox(r row) (*OutboxMessage, error) {
	var m OutboxMessage
	var due, next, created, updated int64
	err := r.Scan(&m.ID, &m.Kind, &m.IdempotencyKey, &m.Payload, &m.Status, &m.Attempts, &due, &next,
		&m.LastError, &m.Ref, &created, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m.DueAt, m.NextAttemptAt = FromMicro(due), FromMicro(next)
	m.CreatedAt, m.UpdatedAt = FromMicro(created), FromMicro(updated)
	return &m, nil
}

// What a lease writes in last_error when it claims a message whose
// previous lease ran out with no outcome recorded: the node holding it
// stopped, or the delivery outlived its lease. A message that may take
// its node down with it is then delivered on its own (OutboxIsolated,
// see outbox.Worker), and one whose lease runs out again while it is
// comes back OutboxCrashed.
const (
	OutboxInterrupted = "interrupted: the previous attempt did not finish (its node may have stopped)"
	OutboxIsolated    = "being delivered on its own after an interrupted attempt"
	OutboxCrashed     = "interrupted again while delivered on its own: it may stop the process"
)

// LeaseOutbox claims up to n pending messages whose time has come, for
// lease; each claim counts as an attempt. On PostgreSQL rows locked by
// another node's lease are skipped, so every message goes to one worker.
// A message claimed again after its lease ran out without an outcome has
// OutboxInterrupted or OutboxCrashed as its LastError.
func (s *Store) LeaseOutbox(ctx context.Context, n int, lease time.Duration) ([]*OutboxMessage, error) {
	now := s.nowMicro()
	lock := ""
	if s.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []*OutboxMessage
	err := s.inTx(ctx, func(q querier) error {
		// Every outcome sets leased_until back to 0: a row that still has
		// one was claimed and never finished.
		rs, err := q.query(ctx, `UPDATE outbox SET leased_until = $2, attempts = attempts + 1, updated_at = $1,
				last_error = CASE WHEN leased_until = 0 THEN last_error WHEN last_error = $4 THEN $5 ELSE $6 END
			WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 AND leased_until < $1
				ORDER BY next_attempt_at LIMIT $3`+lock+`)
			RETURNING `+outboxColumns, now, now+lease.Microseconds(), n, OutboxIsolated, OutboxCrashed, OutboxInterrupted)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			m, err := scanOutbox(rs)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rs.Err()
	})
	return out, err
}

// IsolateOutbox records that a leased message is being delivered on its
// own (OutboxIsolated), so that the next lease can tell if its node
// stopped meanwhile.
func (s *Store) IsolateOutbox(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `UPDATE outbox SET last_error = $2, updated_at = $3 WHERE id = $1`, id, OutboxIsolated, s.nowMicro())
		return err
	})
}

// ReleaseOutbox gives back leased messages that were never handed to a
// handler (the worker is stopping): they are due again at once, and the
// lease does not count as an attempt.
func (s *Store) ReleaseOutbox(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `UPDATE outbox SET leased_until = 0, attempts = attempts - 1, updated_at = $1
			WHERE status = 'pending' AND id `+s.inList(2), s.nowMicro(), s.listArg(ids))
		return err
	})
}

// OutboxByKey returns the message with the idempotency key, whatever its
// status, or ErrNotFound (delivered messages are purged after a while).
func (s *Store) OutboxByKey(ctx context.Context, key string) (*OutboxMessage, error) {
	return scanOutbox(s.read.queryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE idempotency_key = $1`, key))
}

// OutboxUntried counts the messages with the given idempotency keys that
// are still waiting for their first attempt, or in it.
func (s *Store) OutboxUntried(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	var n int
	err := s.read.queryRow(ctx, `SELECT count(*) FROM outbox WHERE status = 'pending' AND last_error = ''
		AND idempotency_key `+s.inList(1), s.listArg(keys)).Scan(&n)
	return n, err
}

// CompleteOutbox marks a message delivered.
func (s *Store) CompleteOutbox(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `UPDATE outbox SET status = 'done', leased_until = 0, last_error = '', updated_at = $2 WHERE id = $1`, id, s.nowMicro())
		return err
	})
}

// NextOutboxDue returns when the earliest pending message that nobody
// holds comes due (reminders are queued ahead of time), or false when
// there is none.
func (s *Store) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	var at int64
	err := s.read.queryRow(ctx, `SELECT next_attempt_at FROM outbox WHERE status = 'pending' AND leased_until < $1
		ORDER BY next_attempt_at LIMIT 1`, s.nowMicro()).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return FromMicro(at), true, nil
}

// CompleteOutboxBatch marks messages delivered, in one statement.
func (s *Store) CompleteOutboxBatch(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `UPDATE outbox SET status = 'done', leased_until = 0, last_error = '', updated_at = $1
			WHERE id `+s.inList(2), s.nowMicro(), s.listArg(ids))
		return err
	})
}

// FailOutbox records a failed attempt: the message is retried at retryAt,
// or becomes dead when dead is set.
func (s *Store) FailOutbox(ctx context.Context, id int64, errText string, retryAt time.Time, dead bool) error {
	status := OutboxPending
	if dead {
		status = OutboxDead
	}
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `UPDATE outbox SET status = $2, last_error = $3, next_attempt_at = $4, leased_until = 0, updated_at = $5
			WHERE id = $1`, id, status, errText, Micro(retryAt), s.nowMicro())
		return err
	})
}

// RetryOutbox makes a dead (or pending) message due now with a fresh count
// of attempts. It returns ErrNotFound.
func (s *Store) RetryOutbox(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		now := s.nowMicro()
		n, err := q.exec(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, leased_until = 0, updated_at = $2
			WHERE id = $1 AND status <> 'done'`, id, now)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// DropOutbox deletes a message that is not being delivered. It returns
// ErrNotFound.
func (s *Store) DropOutbox(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM outbox WHERE id = $1 AND (status <> 'pending' OR leased_until < $2)`, id, s.nowMicro())
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// ListOutbox returns messages with the status (all when empty), newest
// first, at most limit.
func (s *Store) ListOutbox(ctx context.Context, status string, limit int) ([]*OutboxMessage, error) {
	rs, err := s.read.query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE $1 = '' OR status = $1
		ORDER BY id DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*OutboxMessage
	for rs.Next() {
		m, err := scanOutbox(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

// byRef selects the outbox messages about $1. The index on ref is partial
// (it leaves out messages with an empty ref), and SQLite uses it only when
// the query repeats that condition: it does not infer it from "ref = $1",
// and would scan the whole outbox, delivered messages of the past week
// included.
const byRef = `ref = $1 AND ref <> ''`

// OutboxByRef returns the messages about ref, oldest first.
func (s *Store) OutboxByRef(ctx context.Context, ref string) ([]*OutboxMessage, error) {
	rs, err := s.read.query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE `+byRef+` ORDER BY id`, ref)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*OutboxMessage
	for rs.Next() {
		m, err := scanOutbox(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

// OutboxStats counts messages by status, and reports how long the oldest
// pending message has been due (the delivery lag).
func (s *Store) OutboxStats(ctx context.Context) (counts map[string]int64, oldestDue time.Duration, err error) {
	rs, err := s.read.query(ctx, `SELECT status, count(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, 0, err
	}
	defer rs.Close()
	counts = map[string]int64{}
	for rs.Next() {
		var st string
		var n int64
		if err := rs.Scan(&st, &n); err != nil {
			return nil, 0, err
		}
		counts[st] = n
	}
	if err := rs.Err(); err != nil {
		return nil, 0, err
	}
	var oldest int64
	now := s.nowMicro()
	err = s.read.queryRow(ctx, `SELECT COALESCE(MIN(next_attempt_at), $1) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1`, now).Scan(&oldest)
	return counts, time.Duration(now-oldest) * time.Microsecond, err
}

// PurgeOutbox deletes delivered messages older than before.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `DELETE FROM outbox WHERE status = 'done' AND updated_at < $1`, Micro(before))
		return err
	})
	return n, err
}
