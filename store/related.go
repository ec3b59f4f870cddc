package store

import "context"

// ObjectsMentioning returns the resources of a calendar, with their data,
// whose bytes contain needle: the candidates for a property that names
// another resource (RELATED-TO), which no index holds. It reads the whole
// calendar, so callers use it on rare paths only, and parse what it
// returns to confirm the match.
func (s *Store) ObjectsMentioning(ctx context.Context, calID int64, needle string) ([]*Object, error) {
	cond := `instr(data, $2) > 0`
	if s.dialect == "postgres" {
		cond = `position($2::bytea in data) > 0`
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id = $1 AND `+cond, calID, []byte(needle))
}
