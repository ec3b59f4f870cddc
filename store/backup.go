package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// BackupSQLite writes a consistent copy of the SQLite database at path to
// dest, which must not exist, while servers may go on writing to it. VACUUM
// INTO reads the database in one read transaction, so the copy is the
// state after some commit, never between two; in WAL mode writers do not
// wait for it. The copy is checked (PRAGMA quick_check) before it counts.
// It returns the copy's schema version.
func BackupSQLite(ctx context.Context, path, dest string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, dest); err != nil {
		return 0, fmt.Errorf("store: backup of %s: %w", path, err)
	}
	return CheckSQLite(ctx, dest)
}

// CheckSQLite verifies the SQLite database file at path (PRAGMA
// quick_check) without changing it, and returns its schema version.
func CheckSQLite(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", path, err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&result); err != nil {
		return 0, fmt.Errorf("store: %s: %w", path, err)
	}
	if result != "ok" {
		return 0, fmt.Errorf("store: %s is damaged: %s", path, result)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: %s is not an Almanac database: %w", path, err)
	}
	return v, nil
}
