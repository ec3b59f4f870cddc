package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtQuerier runs queries on a database/sql pool through prepared
// statements, prepared once per query text and kept: SQLite compiles a
// statement on every call otherwise, which for the view query costs as
// much as running it. The query texts are constants (inList keeps lists
// out of them), so the cache stays small; past maxStmts it stops growing.
type stmtQuerier struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const maxStmts = 512

func newStmtQuerier(db *sql.DB) *stmtQuerier {
	return &stmtQuerier{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, or nil when the cache is
// full.
func (q *stmtQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	q.mu.Lock()
	st, ok := q.stmts[query]
	full := q.stmts == nil || len(q.stmts) >= maxStmts // closed, or full
	q.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := q.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if prev, ok := q.stmts[query]; ok || q.stmts == nil { // prepared meanwhile, or closed
		st.Close()
		return prev, nil
	}
	q.stmts[query] = st
	return st, nil
}

func (q *stmtQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return sqlQuerier{q.db}.exec(ctx, query, args...)
}

func (q *stmtQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return sqlQuerier{q.db}.query(ctx, query, args...)
	}
	r, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (q *stmtQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close releases the statements.
func (q *stmtQuerier) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, st := range q.stmts {
		st.Close()
	}
	q.stmts = nil
}
