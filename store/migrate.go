package store

import (
	"context"
	"fmt"

	"github.com/almanac/almanac/migrations"
)

// Migrate applies every migration the database has not recorded yet, each in
// its own transaction together with its record. It is safe to run on every
// start and from several nodes at once on PostgreSQL (an advisory lock makes
// the others wait).
func (s *Store) Migrate(ctx context.Context) error {
	list, err := migrations.List(s.dialect)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	for _, m := range list {
		err := s.inTx(ctx, func(q querier) error {
			if s.dialect == "postgres" {
				if _, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(7352186401)`); err != nil {
					return err
				}
			}
			var n int
			if err := q.queryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := q.exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := q.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, s.nowMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// SchemaVersion returns the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
