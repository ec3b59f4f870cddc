package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
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
	// Checkpoints run in the background (checkpointer), not in the commit
	// that crossed SQLite's threshold: that commit would copy the log into
	// the database and wait for the disk, a stall of tens of milliseconds
	// for one unlucky request. The writer's own threshold stays, ten times
	// the default, as a bound on the log should the background connection
	// fall behind.
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_pragma=wal_autocheckpoint(10000)&_txlock=immediate")
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
	cp, err := startCheckpointer(path, pragmas, 100*time.Millisecond)
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
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
		close: func() { cp.stop(); reads.close(); r.Close(); w.Close() },
		now:   time.Now,
	}, nil
}

// checkpointer copies the write-ahead log into the database file from its
// own connection, off every request's path (SQLite's WAL mode, "Automatic
// Checkpoint"). A passive checkpoint waits for no reader or writer. The log
// starts again from its beginning at the first write after a checkpoint
// that copied all of it, so checkpoints come often, each with little to
// copy, to finish between two writes.
type checkpointer struct {
	db   *sql.DB
	done chan struct{}
	wg   sync.WaitGroup
}

func startCheckpointer(path string, pragmas url.Values, every time.Duration) (*checkpointer, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: sqlite checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, done: make(chan struct{})}
	c.wg.Add(1)
	go c.run(every)
	return c, nil
}

func (c *checkpointer) run(every time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			// A failed checkpoint leaves the log longer, nothing worse; the
			// next tick tries again.
			_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

func (c *checkpointer) stop() {
	close(c.done)
	c.wg.Wait()
	_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	c.db.Close()
}
