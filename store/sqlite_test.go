package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointer checks that commits leave the write-ahead log to the
// background connection (the writer's threshold is only a backstop), and
// that it copies the log into the database file.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	err = tx.queryRow(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto)
	tx.rollback()
	if err != nil || auto != 10000 {
		t.Fatalf("writer wal_autocheckpoint %d, %v; want 10000", auto, err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	time.Sleep(500 * time.Millisecond) // the migrations' pages reach the file
	before := size()
	for i := range 300 {
		if err := s.CreateUser(ctx, &User{Name: fmt.Sprint("cp", i), Email: fmt.Sprint("cp", i, "@example.com")}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); size() == before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: the log was not checkpointed", before)
		}
	}
}
