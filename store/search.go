package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// Search over the text of events. Each object has a row in object_text
// with its text, as the caller derived it (ObjectWrite.Text, normalised:
// lower-case words separated by spaces), and the span of its instances;
// SQLite indexes the text with FTS5, PostgreSQL with a GIN index over a
// tsvector. The row is written in the object's transaction and goes with
// it (ON DELETE CASCADE).

// SearchHit is an object whose text matches a search.
type SearchHit struct {
	ID         int64
	UUID       string
	CalendarID int64
}

// narrowSearch is the number of matches up to which a search reads each
// match and sorts them; past it, it reads the calendars' events in time
// order (from now, forward and back) and keeps those that match, which
// finds enough of them long before the end. A match costs SQLite an
// index lookup, PostgreSQL a visit to a table page: it reads fewer.
func (s *Store) narrowSearch() int {
	if s.dialect == "postgres" {
		return 250
	}
	return 1000
}

// SearchObjects returns up to limit events of the calendars whose text
// has, for each of words, a word that begins with it. words must be
// normalised as the text is (calendar.SearchWords) and hold letters and
// digits only. Events not over by now come first, by start (those under
// way, then those to come); then past ones, the latest first.
func (s *Store) SearchObjects(ctx context.Context, calIDs []int64, words []string, now int64, limit int) ([]SearchHit, error) {
	if len(calIDs) == 0 || len(words) == 0 {
		return nil, nil
	}
	terms := make([]string, len(words))
	var match, cond string
	if s.dialect == "postgres" {
		for i, w := range words {
			terms[i] = w + ":*"
		}
		match, cond = strings.Join(terms, " & "), `t.words @@ to_tsquery('simple', $1)`
	} else {
		for i, w := range words {
			terms[i] = `"` + w + `"*`
		}
		match, cond = strings.Join(terms, " "), `t.object_id IN (SELECT rowid FROM object_text_fts WHERE object_text_fts MATCH $1)`
	}
	cals := s.listArg(calIDs)
	// The matches, up to the point where the other way is quicker.
	narrow := `SELECT t.object_id, t.first_start, t.last_end FROM object_text_fts f JOIN object_text t ON t.object_id = f.rowid
		WHERE object_text_fts MATCH $1 AND t.calendar_id ` + s.inList(2) + ` LIMIT $3`
	from := `object_text t INDEXED BY object_text_time`
	if s.dialect == "postgres" {
		// The GIN index alone (calendar_id + 0 keeps the planner off the
		// other one); for a broad search the planner combines both.
		narrow = `SELECT t.object_id, t.first_start, t.last_end FROM object_text t WHERE ` + cond +
			` AND t.calendar_id + 0 ` + s.inList(2) + ` LIMIT $3`
		from = `object_text t`
	}
	matches, err := s.searchRows(ctx, narrow, match, cals, s.narrowSearch()+1)
	if err != nil {
		return nil, err
	}
	if len(matches) <= s.narrowSearch() {
		slices.SortFunc(matches, func(a, b textRow) int {
			return cmp.Or(searchKey(a, now).compare(searchKey(b, now)), cmp.Compare(a.objID, b.objID))
		})
		ids := make([]int64, 0, min(limit, len(matches)))
		for _, m := range matches[:min(limit, len(matches))] {
			ids = append(ids, m.objID)
		}
		return s.searchHits(ctx, ids)
	}
	// Those not over, then the past ones, latest first: the last year
	// first, which a search matching this many events mostly fills.
	ids, err := s.searchIDs(ctx, `SELECT t.object_id FROM `+from+` WHERE t.calendar_id `+s.inList(2)+`
		AND t.last_end >= $3 AND `+cond+` ORDER BY t.first_start, t.object_id LIMIT $4`, match, cals, now, limit)
	if err != nil {
		return nil, err
	}
	upper := now
	for _, lower := range []int64{now - 366*24*3600*1_000_000, 0} {
		if len(ids) >= limit {
			break
		}
		past, err := s.searchIDs(ctx, `SELECT t.object_id FROM `+from+` WHERE t.calendar_id `+s.inList(2)+`
			AND t.last_end < $3 AND t.last_end >= $5 AND `+cond+` ORDER BY t.last_end DESC, t.object_id LIMIT $4`,
			match, cals, upper, limit-len(ids), lower)
		if err != nil {
			return nil, err
		}
		ids = append(ids, past...)
		upper = lower
	}
	return s.searchHits(ctx, ids)
}

// rank orders search results: not over (by start), then over (latest first).
type rank struct {
	past bool
	at   int64
}

func searchKey(r textRow, now int64) rank {
	if r.end < now {
		return rank{true, -r.end}
	}
	return rank{false, r.first}
}

func (a rank) compare(b rank) int {
	if a.past != b.past {
		if a.past {
			return 1
		}
		return -1
	}
	return cmp.Compare(a.at, b.at)
}

// searchRows reads (object, first start, last end) rows.
func (s *Store) searchRows(ctx context.Context, sql string, args ...any) ([]textRow, error) {
	rs, err := s.read.query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []textRow
	for rs.Next() {
		var r textRow
		if err := rs.Scan(&r.objID, &r.first, &r.end); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func (s *Store) searchIDs(ctx context.Context, sql string, args ...any) ([]int64, error) {
	rs, err := s.read.query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rs.Err()
}

// searchHits names the objects with the ids, in their order.
func (s *Store) searchHits(ctx context.Context, ids []int64) ([]SearchHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rs, err := s.read.query(ctx, `SELECT id, uuid, calendar_id FROM objects WHERE id `+s.inList(1), s.listArg(ids))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	byID := make(map[int64]SearchHit, len(ids))
	for rs.Next() {
		var h SearchHit
		if err := rs.Scan(&h.ID, &h.UUID, &h.CalendarID); err != nil {
			return nil, err
		}
		byID[h.ID] = h
	}
	out := make([]SearchHit, 0, len(ids))
	for _, id := range ids {
		if h, ok := byID[id]; ok {
			out = append(out, h)
		}
	}
	return out, rs.Err()
}

// textRow is an object's row in object_text.
type textRow struct {
	objID, calID int64
	body         string
	first, end   int64
}

// textOf is the search row of a write: its text and the span of its
// instances (to Forever for a series indexed only up to a horizon).
func textOf(objID, calID int64, w *ObjectWrite) textRow {
	r := textRow{objID: objID, calID: calID, body: w.Text}
	for i, in := range w.Instances {
		if i == 0 || in.Start < r.first {
			r.first = in.Start
		}
		r.end = max(r.end, in.End)
	}
	if w.IndexedUntil < Forever {
		r.end = Forever
	}
	return r
}

const textUpsert = ` ON CONFLICT (object_id) DO UPDATE SET calendar_id = excluded.calendar_id,
	first_start = excluded.first_start, last_end = excluded.last_end, body = excluded.body`

// putTexts writes search rows, in multi-row statements.
func (s *Store) putTexts(ctx context.Context, q querier, rows []textRow) error {
	for part := range slices.Chunk(rows, s.rowsPerStatement()) {
		ids, cals, firsts, ends := make(int64Col, len(part)), make(int64Col, len(part)), make(int64Col, len(part)), make(int64Col, len(part))
		bodies := make(textCol, len(part))
		for i, r := range part {
			ids[i], cals[i], firsts[i], ends[i], bodies[i] = r.objID, r.calID, r.first, r.end, r.body
		}
		sql, args := s.insertRows(`INSERT INTO object_text (object_id, calendar_id, first_start, last_end, body)`, textUpsert,
			ids, cals, firsts, ends, bodies)
		if _, err := q.exec(ctx, sql, args...); err != nil {
			return err
		}
	}
	return nil
}

// ObjectsWithoutText returns up to limit objects with their data, in
// order of their ids after the id after, that have no search row: those
// written before the store kept one.
func (s *Store) ObjectsWithoutText(ctx context.Context, after int64, limit int) ([]*Object, error) {
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects o
		WHERE o.id > $1 AND NOT EXISTS (SELECT 1 FROM object_text t WHERE t.object_id = o.id)
		ORDER BY o.id LIMIT $2`, after, limit)
}

// PutObjectTexts writes the search rows of existing objects (texts by
// object id), with the span of their instances as the index holds it.
// Objects deleted meanwhile are skipped.
func (s *Store) PutObjectTexts(ctx context.Context, texts map[int64]string) error {
	if len(texts) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(texts))
	for id := range texts {
		ids = append(ids, id)
	}
	return s.inTx(ctx, func(q querier) error {
		rs, err := q.query(ctx, `SELECT o.id, o.calendar_id, o.indexed_until, COALESCE(MIN(i.start_at), 0), COALESCE(MAX(i.end_at), 0)
			FROM objects o LEFT JOIN instances i ON i.object_id = o.id WHERE o.id `+s.inList(1)+`
			GROUP BY o.id, o.calendar_id, o.indexed_until`, s.listArg(ids))
		if err != nil {
			return err
		}
		var rows []textRow
		for rs.Next() {
			var r textRow
			var until int64
			if err := rs.Scan(&r.objID, &r.calID, &until, &r.first, &r.end); err != nil {
				rs.Close()
				return err
			}
			if until < Forever {
				r.end = Forever
			}
			r.body = texts[r.objID]
			rows = append(rows, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		return s.putTexts(ctx, q, rows)
	})
}
