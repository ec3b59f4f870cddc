package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/almanac/almanac/migrations"
	"github.com/almanac/almanac/store"
)

const backupUsage = `Usage: almanac backup [--data-dir DIR] FILE

Writes a backup of the embedded SQLite database and the key files of the
data directory (the secret key that seals stored passwords and tokens, the
RSVP link key) to FILE, a .tar.gz. The server may keep running: the copy is
a consistent snapshot (SQLite's VACUUM INTO) and writers do not wait for it.

With PostgreSQL, back up the database with pg_dump instead (docs/deploy.md);
the keys are then the only files to keep.`

const restoreUsage = `Usage: almanac restore [--data-dir DIR] [--force] FILE

Restores a backup made by "almanac backup" into the data directory, which
must be empty or missing; --force replaces the database and keys of a
non-empty one (stop the server first). Start the server on it afterwards.`

// The archive holds the manifest first, then the files it names; nothing
// else is read from it.
const (
	manifestName  = "almanac-backup.json"
	backupDBName  = "almanac.db"
	backupKeyName = "secret.key"
	backupRSVP    = "rsvp.key"
)

// backupManifest describes an archive.
type backupManifest struct {
	Format        int       `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	SchemaVersion int       `json:"schema_version"`
	Files         []string  `json:"files"`
}

func runBackup(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac backup", backupUsage)
	s.fs.SetOutput(stderr)
	var sc storageConfig
	var keys secretConfig
	sc.register(s)
	keys.register(s)
	pos, err := parseInterleaved(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, backupUsage)
		return 2
	}
	if sc.DatabaseURL != "" {
		fmt.Fprintln(stderr, "almanac backup: the database is PostgreSQL: back it up with pg_dump (docs/deploy.md), and keep the key files")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m, err := backup(ctx, sc, keys, pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "almanac backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %v (schema version %d) to %s\n", m.Files, m.SchemaVersion, pos[0])
	if keys.Key != "" {
		fmt.Fprintln(stderr, "note: the secret key comes from --secret-key, not a file, so it is not in the backup: keep it with the backup")
	}
	return 0
}

// backup writes the archive next to its final name and renames it, so
// that FILE is either the old file or a whole new backup.
func backup(ctx context.Context, sc storageConfig, keys secretConfig, file string) (*backupManifest, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(file), ".almanac-backup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dbCopy := filepath.Join(tmp, backupDBName)
	v, err := store.BackupSQLite(ctx, sc.url(), dbCopy)
	if err != nil {
		return nil, err
	}
	m := &backupManifest{Format: 1, CreatedAt: time.Now().UTC(), SchemaVersion: v}
	sources := map[string]string{backupDBName: dbCopy}
	m.Files = append(m.Files, backupDBName)
	for name, path := range map[string]string{backupKeyName: keys.file(sc.DataDir), backupRSVP: filepath.Join(sc.DataDir, "rsvp.key")} {
		if _, err := os.Stat(path); err == nil {
			sources[name] = path
			m.Files = append(m.Files, name)
		}
	}
	part := filepath.Join(tmp, "archive")
	if err := writeArchive(part, m, sources); err != nil {
		return nil, err
	}
	if err := os.Rename(part, file); err != nil {
		return nil, err
	}
	return m, nil
}

func writeArchive(path string, m *backupManifest, sources map[string]string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	manifest, _ := json.MarshalIndent(m, "", "  ")
	if err := addBytes(tw, manifestName, manifest, m.CreatedAt); err != nil {
		return err
	}
	for _, name := range m.Files {
		if err := addFile(tw, name, sources[name]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func addBytes(tw *tar.Writer, name string, b []byte, mod time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: mod}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func addFile(tw *tar.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func runRestore(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac restore", restoreUsage)
	s.fs.SetOutput(stderr)
	var sc storageConfig
	var keys secretConfig
	sc.register(s)
	keys.register(s)
	var force bool
	s.fs.BoolVar(&force, "force", false, "replace the database and keys of a data directory that is not empty")
	pos, err := parseInterleaved(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, restoreUsage)
		return 2
	}
	if err := checkRestoreTarget(sc.DataDir, force); err != nil {
		fmt.Fprintln(stderr, "almanac restore:", err)
		return 1
	}
	m, err := restore(context.Background(), pos[0], sc.DataDir, keys.file(sc.DataDir))
	if err != nil {
		fmt.Fprintln(stderr, "almanac restore:", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %v of %s (schema version %d) into %s\n", m.Files, m.CreatedAt.Format(time.RFC3339), m.SchemaVersion, sc.DataDir)
	return 0
}

// checkRestoreTarget refuses a data directory with something in it, so
// that a restore never mixes with or silently replaces live data.
func checkRestoreTarget(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if !force {
		return fmt.Errorf("the data directory %s is not empty: restore into an empty one, or use --force (with the server stopped) to replace its database and keys", dir)
	}
	return nil
}

// restore unpacks the archive into temporary files in dataDir and moves
// them into place once all of them are read and the database checked.
func restore(ctx context.Context, file, dataDir, keyFile string) (*backupManifest, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dataDir, ".almanac-restore-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	m, err := unpack(file, tmp)
	if err != nil {
		return nil, err
	}
	v, err := store.CheckSQLite(ctx, filepath.Join(tmp, backupDBName))
	if err != nil {
		return nil, err
	}
	if list, _ := migrations.List("sqlite"); v > len(list) {
		return nil, fmt.Errorf("the backup is at schema version %d, newer than this binary's %d: restore it with a newer almanac", v, len(list))
	}
	targets := map[string]string{backupDBName: filepath.Join(dataDir, "almanac.db"), backupKeyName: keyFile, backupRSVP: filepath.Join(dataDir, "rsvp.key")}
	// A write-ahead log left by the old database would be applied to the
	// restored one: remove it with the database it belongs to.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(targets[backupDBName] + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	for _, name := range m.Files {
		if err := os.Rename(filepath.Join(tmp, name), targets[name]); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// unpack reads the manifest and the files it names into dir.
func unpack(file, dir string) (*backupManifest, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not an Almanac backup: %w", file, err)
	}
	tr := tar.NewReader(gz)
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return nil, fmt.Errorf("%s is not an Almanac backup (no %s first)", file, manifestName)
	}
	var m backupManifest
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil || m.Format != 1 {
		return nil, fmt.Errorf("%s: unknown backup format (%v)", file, err)
	}
	want := map[string]bool{}
	for _, name := range m.Files {
		if name != backupDBName && name != backupKeyName && name != backupRSVP {
			return nil, fmt.Errorf("%s names an unknown file %q", file, name)
		}
		want[name] = true
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if !want[h.Name] {
			return nil, fmt.Errorf("%s holds %q, which its manifest does not name", file, h.Name)
		}
		delete(want, h.Name)
		if err := extract(tr, filepath.Join(dir, h.Name)); err != nil {
			return nil, err
		}
	}
	if len(want) > 0 || !slices.Contains(m.Files, backupDBName) {
		return nil, fmt.Errorf("%s is incomplete: %v missing", file, want)
	}
	return &m, nil
}

func extract(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
