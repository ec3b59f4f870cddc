package store

import (
	"context"
	"fmt"
	"strings"
)

// FillEveryTable puts rows rows in every table Copy copies, with values
// made from each column's kind: ids and references i (so that foreign keys
// hold), other integers 0 or 1 (booleans on PostgreSQL), text with quotes
// and non-ASCII letters, bytes with a NUL.
func FillEveryTable(ctx context.Context, s *Store, rows int) error {
	return s.inTx(ctx, func(q querier) error {
		for _, table := range copyTables {
			cols, err := s.columns(ctx, q, table)
			if err != nil {
				return err
			}
			names := make([]string, len(cols))
			var args []any
			for i, c := range cols {
				names[i] = c.name
			}
			for r := 1; r <= rows; r++ {
				for _, c := range cols {
					args = append(args, fillValue(c, r))
				}
			}
			if _, err := q.exec(ctx, s.insertSQL(table, names, cols, rows), args...); err != nil {
				return fmt.Errorf("fill %s: %w", table, err)
			}
			if err := s.resetIdentity(ctx, q, table, cols); err != nil {
				return err
			}
		}
		return recountUsage(ctx, q)
	})
}

func fillValue(c tableColumn, r int) any {
	switch c.kind {
	case 'i':
		if c.name == "id" || strings.HasSuffix(c.name, "_id") {
			return int64(r)
		}
		return int64(r % 2)
	case 'b':
		return r%2 == 1
	case 'x':
		return []byte{0, byte(r), 0xff, '\n'}
	}
	return fmt.Sprintf("%s %d «é» \"q\" '", c.name, r)
}
