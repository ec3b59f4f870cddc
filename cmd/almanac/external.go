package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store"
)

// secretConfig says where the key that seals stored secrets (remote
// passwords, publication tokens) comes from.
type secretConfig struct {
	Key     string
	OldKeys string
	KeyFile string
}

func (c *secretConfig) register(s *settings) {
	s.String(&c.Key, "secret-key", "", "base64 key (32 bytes) that seals stored passwords and tokens; empty: the key file. Every node needs the same key")
	s.String(&c.OldKeys, "secret-old-keys", "", "comma-separated previous keys, still accepted for opening while 'almanac secrets rotate' re-seals with the current one")
	s.String(&c.KeyFile, "secret-key-file", "", "key file (one base64 key per line, current first), created on first use; default DATA_DIR/secret.key")
}

// keyring loads the configured keys: --secret-key when set, else the key
// file, created with a fresh key if missing.
func (c *secretConfig) keyring(dataDir string) (*secret.Keyring, error) {
	keys, err := c.keys(dataDir)
	if err != nil {
		return nil, err
	}
	return secret.New(keys[0], keys[1:]...)
}

func (c *secretConfig) keys(dataDir string) ([][]byte, error) {
	if c.Key == "" {
		return secret.LoadFile(c.file(dataDir))
	}
	cur, err := secret.ParseKey(c.Key)
	if err != nil {
		return nil, fmt.Errorf("--secret-key: %w", err)
	}
	old, err := secret.ParseKeys(c.OldKeys)
	if err != nil {
		return nil, fmt.Errorf("--secret-old-keys: %w", err)
	}
	return append([][]byte{cur}, old...), nil
}

func (c *secretConfig) file(dataDir string) string {
	if c.KeyFile != "" {
		return c.KeyFile
	}
	return filepath.Join(dataDir, "secret.key")
}

// feedConfig bounds subscriptions and mirrors (see external.Options).
type feedConfig struct {
	AllowPrivate bool
	AllowFrom    string
	MaxBytes     int
	Timeout      time.Duration
	MaxObjects   int
	MaxInstances int
	MinInterval  time.Duration
}

func (c *feedConfig) register(s *settings) {
	s.Bool(&c.AllowPrivate, "allow-private-fetch", false, "let subscriptions and mirrors reach loopback, private and link-local addresses (tests; otherwise refused against request forgery)")
	s.String(&c.AllowFrom, "allow-fetch-from", "", "comma-separated networks (CIDR) that subscriptions may reach although they are not public, e.g. an intranet's")
	s.Int(&c.MaxBytes, "feed-max-bytes", 20<<20, "largest feed or CalDAV answer fetched")
	s.Duration(&c.Timeout, "feed-timeout", time.Minute, "longest a fetch may take, body included")
	s.Int(&c.MaxObjects, "feed-max-objects", 20_000, "most events one subscription or mirror may hold")
	s.Int(&c.MaxInstances, "feed-max-instances", 250_000, "most indexed instances one refresh may bring")
	s.Duration(&c.MinInterval, "feed-min-interval", 15*time.Minute, "shortest refresh interval, and the first delay after a failure")
}

func (c *feedConfig) options() (external.Options, error) {
	opt := external.Options{AllowPrivate: c.AllowPrivate, MaxBytes: int64(c.MaxBytes), Timeout: c.Timeout,
		MaxObjects: c.MaxObjects, MaxInstances: c.MaxInstances, MinInterval: c.MinInterval}
	for _, f := range strings.Split(c.AllowFrom, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return opt, fmt.Errorf("--allow-fetch-from %q: %w", f, err)
		}
		opt.AllowNetworks = append(opt.AllowNetworks, p)
	}
	return opt, nil
}

const secretsUsage = `Usage: almanac secrets rotate | generate

  generate  print a new random key, for --secret-key
  rotate    re-seal every stored secret (remote calendar passwords,
            publication tokens) with the current key.

Rotating the key:
  with a key file (the default): "almanac secrets rotate" adds a new key at
  the top of the file, re-seals everything with it, and drops the old keys.
  with --secret-key: set --secret-key to a new key (almanac secrets
  generate) and --secret-old-keys to the old one, run "almanac secrets
  rotate", then restart the servers without --secret-old-keys.`

func runSecrets(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac secrets", secretsUsage)
	s.fs.SetOutput(stderr)
	var sc storageConfig
	var keys secretConfig
	sc.register(s)
	keys.register(s)
	pos, err := parseInterleaved(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	if len(pos) != 1 || (pos[0] != "rotate" && pos[0] != "generate") {
		fmt.Fprintln(stderr, secretsUsage)
		return 2
	}
	if pos[0] == "generate" {
		fmt.Fprintln(stdout, secret.EncodeKey(secret.NewKey()))
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := rotate(ctx, sc, keys, stdout); err != nil {
		fmt.Fprintln(stderr, "almanac secrets:", err)
		return 1
	}
	return 0
}

// rotate re-seals every stored secret with the current key; with a key
// file, a new current key is made first and the old ones dropped after.
func rotate(ctx context.Context, sc storageConfig, keys secretConfig, stdout io.Writer) error {
	list, err := keys.keys(sc.DataDir)
	if err != nil {
		return err
	}
	fromFile := keys.Key == ""
	if fromFile {
		list = append([][]byte{secret.NewKey()}, list...)
		if err := secret.WriteFile(keys.file(sc.DataDir), list); err != nil {
			return err
		}
	}
	kr, err := secret.New(list[0], list[1:]...)
	if err != nil {
		return err
	}
	st, err := sc.open(ctx, 2)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := reseal(ctx, st, kr)
	if err != nil {
		return err
	}
	if fromFile {
		if err := secret.WriteFile(keys.file(sc.DataDir), list[:1]); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "re-sealed %d secrets with the current key\n", n)
	return nil
}

// reseal opens every stored secret and seals it again with the current
// key, in one transaction.
func reseal(ctx context.Context, st *store.Store, kr *secret.Keyring) (int, error) {
	sources, err := st.ListSources(ctx)
	if err != nil {
		return 0, err
	}
	pubs, err := st.ListPublications(ctx)
	if err != nil {
		return 0, err
	}
	srcOut, pubOut := map[int64][]byte{}, map[int64][]byte{}
	for _, src := range sources {
		if len(src.Secret) == 0 || kr.Current(src.Secret) {
			continue
		}
		b, err := resealOne(ctx, st, kr, src.CalendarID, src.Secret, external.PasswordContext)
		if err != nil {
			return 0, err
		}
		srcOut[src.CalendarID] = b
	}
	for _, p := range pubs {
		if kr.Current(p.Token) {
			continue
		}
		b, err := resealOne(ctx, st, kr, p.CalendarID, p.Token, calendar.PublicationContext)
		if err != nil {
			return 0, err
		}
		pubOut[p.CalendarID] = b
	}
	return len(srcOut) + len(pubOut), st.UpdateSecrets(ctx, srcOut, pubOut)
}

func resealOne(ctx context.Context, st *store.Store, kr *secret.Keyring, calID int64, sealed []byte, context func(*store.Calendar) string) ([]byte, error) {
	cal, err := st.GetCalendar(ctx, calID)
	if err != nil {
		return nil, err
	}
	plain, err := kr.Open(sealed, context(cal))
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", cal.UUID, err)
	}
	return kr.Seal(plain, context(cal)), nil
}
