package secret

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	old, cur := NewKey(), NewKey()
	k1, err := New(old)
	if err != nil {
		t.Fatal(err)
	}
	sealed := k1.Seal([]byte("hunter2"), "source:1")
	if got, err := k1.Open(sealed, "source:1"); err != nil || string(got) != "hunter2" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := k1.Open(sealed, "source:2"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("opened in another context: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k1.Open(sealed, "source:1"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("opened a changed value: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	k2, _ := New(cur, old)
	if k2.Current(sealed) {
		t.Error("a value sealed with the old key counts as current")
	}
	if got, err := k2.Open(sealed, "source:1"); err != nil || string(got) != "hunter2" {
		t.Fatalf("open with the previous key: %q, %v", got, err)
	}
	k3, _ := New(cur)
	if _, err := k3.Open(sealed, "source:1"); !errors.Is(err, ErrNoKey) {
		t.Errorf("after dropping the old key: %v", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	keys, err := LoadFile(path)
	if err != nil || len(keys) != 1 {
		t.Fatalf("created: %d keys, %v", len(keys), err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	again, err := LoadFile(path)
	if err != nil || string(again[0]) != string(keys[0]) {
		t.Fatal("the key changed on the second load")
	}
	if err := WriteFile(path, [][]byte{NewKey(), keys[0]}); err != nil {
		t.Fatal(err)
	}
	if rotated, _ := LoadFile(path); len(rotated) != 2 || string(rotated[1]) != string(keys[0]) {
		t.Error("rotated file not read back")
	}
	if _, err := ParseKey(EncodeKey(keys[0])); err != nil {
		t.Error(err)
	}
}
