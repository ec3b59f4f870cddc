package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/almanac/almanac/migrations"
	"github.com/jackc/pgx/v5"
)

// Probe is what a database holds, as far as Almanac is concerned.
type Probe struct {
	Dialect string
	// Exists is false for an SQLite file that is not there yet (the server
	// makes it on first start).
	Exists bool
	// Version is the newest migration applied (0: none), Latest the newest
	// this binary has.
	Version, Latest int
}

// ProbeDatabase connects to the database named by url (as Open takes it)
// and reads its schema version, changing nothing: no file is created and
// no migration applied. "almanac config check" uses it.
func ProbeDatabase(ctx context.Context, url string) (Probe, error) {
	var p Probe
	var err error
	if isPostgresURL(url) {
		p, err = probePostgres(ctx, url)
	} else {
		p, err = probeSQLite(ctx, sqlitePath(url))
	}
	if err != nil {
		return p, err
	}
	list, err := migrations.List(p.Dialect)
	if err != nil {
		return p, err
	}
	p.Latest = list[len(list)-1].Version
	return p, nil
}

func isPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

func sqlitePath(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
}

func probeSQLite(ctx context.Context, path string) (Probe, error) {
	p := Probe{Dialect: "sqlite"}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return p, nil
	} else if err != nil {
		return p, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	p.Exists = true
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return p, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return p, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	if n > 0 {
		err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&p.Version)
	}
	if err != nil {
		return p, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	return p, nil
}

func probePostgres(ctx context.Context, url string) (Probe, error) {
	p := Probe{Dialect: "postgres", Exists: true}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return p, fmt.Errorf("store: postgres: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return p, fmt.Errorf("store: postgres: %w", err)
	}
	if exists {
		if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&p.Version); err != nil {
			return p, fmt.Errorf("store: postgres: %w", err)
		}
	}
	return p, nil
}
