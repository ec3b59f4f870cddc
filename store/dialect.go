package store

import (
	"encoding/json"
	"strconv"
)

// inList returns "= ANY($n)" on PostgreSQL and an IN over json_each($n) on
// SQLite: either way one statement text for any number of values, so the
// prepared-statement caches stay small.
func (s *Store) inList(n int) string {
	p := "$" + strconv.Itoa(n)
	if s.dialect == "postgres" {
		return "= ANY(" + p + ")"
	}
	return "IN (SELECT value FROM json_each(" + p + "))"
}

// listArg is the argument that goes with inList.
func (s *Store) listArg(v any) any {
	if s.dialect == "postgres" {
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// instancesBy names the instances table for a scan that must use the
// partial index idx. PostgreSQL picks it from its statistics; SQLite,
// without them, prefers the covering instances_cover and would walk every
// instance before the window, so it is told.
func (s *Store) instancesBy(idx string) string {
	if s.dialect == "sqlite" {
		return "instances INDEXED BY " + idx
	}
	return "instances"
}
