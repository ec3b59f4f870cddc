// Package migrations holds the database schema as plain SQL files, one
// folder per dialect, embedded in the binary. Files are named
// NNNN_description.sql and are applied in order of NNNN; the store records
// each applied version so that every migration runs exactly once.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Dialects names the supported SQL dialects, which are also the folder names.
var Dialects = []string{"postgres", "sqlite"}

// List returns the migrations of dialect in the order they must be applied.
// Two files with the same version, a gap in the sequence (a file gone
// missing) or a badly named file are reported as errors so that a broken
// schema never reaches a database.
func List(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: unknown dialect %q: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations: %s/%s: name must be NNNN_description.sql", dialect, e.Name())
		}
		body, err := fs.ReadFile(files, dialect+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if i > 0 && m.Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations: %s: version %d is used twice (%s, %s)", dialect, m.Version, out[i-1].Name, m.Name)
		}
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s: expected version %d, found %d (%s)", dialect, i+1, m.Version, m.Name)
		}
	}
	return out, nil
}
