package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// openSQLite opens the database file at path with one writer connection
// and a pool of readers: SQLite allows a single writer, and WAL mode lets
// readers run beside it without waiting.
func openSQLite(ctx context.Context, path string, opt Options) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: sqlite: %w", err)
		}
	}
	pragmas := url.Values{"_pragma": {
		"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)",
		"busy_timeout(10000)", "cache_size(-32000)",
	}}
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// The writer creates the file and sets WAL before any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	n := opt.MaxConns
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	reads := newStmtQuerier(r)
	return &Store{
		dialect: "sqlite",
		read:    reads,
		begin: func(ctx context.Context) (txQuerier, error) {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				return nil, err
			}
			return sqlTx{sqlQuerier{tx}, tx}, nil
		},
		ping: func(ctx context.Context) error {
			if err := w.PingContext(ctx); err != nil {
				return err
			}
			return r.PingContext(ctx)
		},
		close: func() { reads.close(); r.Close(); w.Close() },
		now:   time.Now,
	}, nil
}
