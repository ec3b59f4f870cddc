package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// copyTables is every table of the schema but schema_migrations, parents
// before children so that foreign keys hold at every insert. Copy refuses
// a schema with a table missing here, so a migration that adds one must
// add it here too.
var copyTables = []string{
	"users", "app_passwords", "sessions",
	"calendars", "calendar_properties", "objects", "object_text", "instances", "changes", "shares",
	"outbox", "schedule_inbox", "alarms", "object_user_data", "reminder_settings",
	"publications", "calendar_sources", "mirror_items", "inbox_changes", "proposals",
	"known_addresses", "held_invitations", "reminder_feed",
}

// copyBatch is how many rows one INSERT carries.
const copyBatch = 200

// tableColumn is a table column and what kind of value it holds.
type tableColumn struct {
	name     string
	kind     byte // 'i' integer, 'b' boolean, 't' text, 'x' bytes
	identity bool // PostgreSQL GENERATED ALWAYS AS IDENTITY
}

// Copy copies every row of every table from src into dst, which must be
// empty and at the same schema version: users and their credentials and
// sessions, calendars with their properties, objects byte for byte with
// their ETags, the index, the change logs (so that sync tokens stay valid),
// shares, the outbox, the scheduling inbox, alarms, reminder settings, the
// reminders streams may replay, publications, subscriptions, the proposals
// organizers received, known addresses and held invitations. Row ids are
// kept, so every reference holds. dst gets everything in one transaction or
// nothing. src is read in one transaction too; servers should be stopped,
// or their writes during the copy are missed (Digests shows it). done is
// told of each table copied.
func Copy(ctx context.Context, src, dst *Store, done func(table string, rows int64)) error {
	if err := checkCopy(ctx, src, dst); err != nil {
		return err
	}
	rtx, err := src.snapshot(ctx)
	if err != nil {
		return err
	}
	defer rtx.rollback()
	return dst.inTx(ctx, func(w querier) error {
		for _, table := range copyTables {
			cols, err := dst.columns(ctx, w, table)
			if err != nil {
				return err
			}
			n, err := dst.copyTable(ctx, rtx, w, table, cols)
			if err != nil {
				return fmt.Errorf("store: copy %s: %w", table, err)
			}
			if err := dst.resetIdentity(ctx, w, table, cols); err != nil {
				return fmt.Errorf("store: copy %s: %w", table, err)
			}
			if done != nil {
				done(table, n)
			}
		}
		// The objects' triggers added their sizes to the copied totals.
		return recountUsage(ctx, w)
	})
}

// recountUsage sets each calendar's bytes_used from its objects.
func recountUsage(ctx context.Context, q querier) error {
	_, err := q.exec(ctx, `UPDATE calendars SET bytes_used =
		(SELECT COALESCE(SUM(size), 0) FROM objects WHERE calendar_id = calendars.id)`)
	return err
}

// checkCopy: same schema version, the tables Copy knows, dst empty.
func checkCopy(ctx context.Context, src, dst *Store) error {
	sv, err := src.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	dv, err := dst.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if sv != dv {
		return fmt.Errorf("store: copy from schema version %d to %d: migrate both to the same version", sv, dv)
	}
	for _, s := range []*Store{src, dst} {
		tables, err := s.tables(ctx)
		if err != nil {
			return err
		}
		want := append([]string{"schema_migrations"}, copyTables...)
		slices.Sort(want)
		if !slices.Equal(tables, want) {
			return fmt.Errorf("store: copy knows the tables %v, the %s database has %v", want, s.dialect, tables)
		}
	}
	for _, table := range copyTables {
		var n int64
		if err := dst.read.queryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("store: the destination is not empty (%d rows in %s)", n, table)
		}
	}
	return nil
}

// snapshot begins a transaction that reads one state of the database.
// On SQLite it is the writer's transaction, which also keeps writers out.
func (s *Store) snapshot(ctx context.Context) (txQuerier, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	if s.dialect == "postgres" {
		if _, err := tx.exec(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
			tx.rollback()
			return nil, err
		}
	}
	return tx, nil
}

// tables lists the tables of the schema, sorted.
func (s *Store) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.dialect == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.read.query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		// SQLite's full-text index of object_text and its shadow tables
		// follow object_text through triggers: copying it rebuilds them.
		if strings.HasPrefix(name, "object_text_fts") {
			continue
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out, rows.Err()
}

// columns lists a table's stored columns in the order of their names;
// generated ones (object_text.words on PostgreSQL) compute themselves.
func (s *Store) columns(ctx context.Context, q querier, table string) ([]tableColumn, error) {
	sql := `SELECT name, upper(type), 'NO' FROM pragma_table_info($1) ORDER BY name`
	if s.dialect == "postgres" {
		sql = `SELECT column_name, upper(data_type), is_identity FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY column_name`
	}
	rows, err := q.query(ctx, sql, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableColumn
	for rows.Next() {
		var c tableColumn
		var typ, identity string
		if err := rows.Scan(&c.name, &typ, &identity); err != nil {
			return nil, err
		}
		c.kind, c.identity = columnKind(typ), identity == "YES"
		out = append(out, c)
	}
	if len(out) == 0 && rows.Err() == nil {
		return nil, fmt.Errorf("store: no table %s", table)
	}
	return out, rows.Err()
}

func columnKind(typ string) byte {
	switch {
	case strings.Contains(typ, "INT"):
		return 'i'
	case strings.Contains(typ, "BOOL"):
		return 'b'
	case strings.Contains(typ, "BLOB"), strings.Contains(typ, "BYTEA"):
		return 'x'
	}
	return 't'
}

// copyTable streams a table's rows from r into w in batches.
func (s *Store) copyTable(ctx context.Context, r, w querier, table string, cols []tableColumn) (int64, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	rows, err := r.query(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	batch := make([]any, 0, copyBatch*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.exec(ctx, s.insertSQL(table, names, cols, len(batch)/len(cols)), batch...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			if vals[i], err = convert(vals[i], c.kind); err != nil {
				return n, fmt.Errorf("tableColumn %s: %w", c.name, err)
			}
		}
		batch = append(batch, vals...)
		n++
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// insertSQL inserts rows rows of the columns, keeping their ids.
func (s *Store) insertSQL(table string, names []string, cols []tableColumn, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")")
	if s.dialect == "postgres" && slices.ContainsFunc(cols, func(c tableColumn) bool { return c.identity }) {
		b.WriteString(" OVERRIDING SYSTEM VALUE")
	}
	b.WriteString(" VALUES ")
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// convert turns a value read from one dialect into what the other's
// tableColumn of kind takes: SQLite keeps booleans as 0 and 1, and may hand
// back text for a BLOB tableColumn or bytes for a TEXT one.
func convert(v any, kind byte) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case 'i', 'b':
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case int32:
			n = int64(x)
		case int16:
			n = int64(x)
		case bool:
			if x {
				n = 1
			}
		default:
			return nil, fmt.Errorf("%T where an integer belongs", v)
		}
		if kind == 'b' {
			return n != 0, nil
		}
		return n, nil
	case 'x':
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	}
	return nil, fmt.Errorf("%T in a column of kind %c", v, kind)
}

// resetIdentity moves PostgreSQL's identity sequences past the copied ids,
// so that the next row inserted gets a fresh one.
func (s *Store) resetIdentity(ctx context.Context, q querier, table string, cols []tableColumn) error {
	for _, c := range cols {
		if !c.identity {
			continue
		}
		_, err := q.exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE(MAX(`+c.name+`), 0), 1), COALESCE(MAX(`+c.name+`), 0) > 0) FROM `+table,
			table, c.name)
		if err != nil {
			return err
		}
	}
	return nil
}

// TableDigest sums up a table's content: its row count and a digest of
// its rows in any order, the same for the same rows on either dialect.
type TableDigest struct {
	Rows int64
	Sum  [4]uint64
}

// Digests returns the digest of every table Copy copies; a copy is
// complete when both stores give the same.
func (s *Store) Digests(ctx context.Context) (map[string]TableDigest, error) {
	out := map[string]TableDigest{}
	for _, table := range copyTables {
		cols, err := s.columns(ctx, s.read, table)
		if err != nil {
			return nil, err
		}
		d, err := s.digest(ctx, table, cols)
		if err != nil {
			return nil, fmt.Errorf("store: digest of %s: %w", table, err)
		}
		out[table] = d
	}
	return out, nil
}

// digest adds up a hash of each row, so that the order rows come in (which
// differs with the dialects' collations) does not matter.
func (s *Store) digest(ctx context.Context, table string, cols []tableColumn) (TableDigest, error) {
	var d TableDigest
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	rows, err := s.read.query(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+table)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return d, err
		}
		h := sha256.New()
		for i, c := range cols {
			v, err := convert(vals[i], c.kind)
			if err != nil {
				return d, err
			}
			writeCanonical(h, v)
		}
		sum := h.Sum(nil)
		for i := range d.Sum {
			d.Sum[i] += binary.BigEndian.Uint64(sum[8*i:])
		}
		d.Rows++
	}
	return d, rows.Err()
}

// writeCanonical writes a value so that equal values of either dialect
// write the same bytes: integers and booleans as numbers, text and bytes
// as their bytes, each with its length.
func writeCanonical(h interface{ Write([]byte) (int, error) }, v any) {
	var b []byte
	switch x := v.(type) {
	case nil:
		b = []byte{'n'}
	case int64:
		b = strconv.AppendInt([]byte{'i'}, x, 10)
	case bool:
		b = []byte{'i', '0'}
		if x {
			b[1] = '1'
		}
	case string:
		b = append([]byte{'s'}, x...)
	case []byte:
		b = append([]byte{'s'}, x...)
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	_, _ = h.Write(n[:])
	_, _ = h.Write(b)
}
