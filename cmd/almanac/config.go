package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/store"
)

// settings binds flags to ALMANAC_* environment variables: the variable
// gives the default, the flag overrides it, and --help shows both.
type settings struct {
	fs  *flag.FlagSet
	err error
}

func newSettings(name, usage string) *settings {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nSettings (flag, environment variable, default):\n", usage)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(fs.Output(), "  --%s  (%s)", f.Name, envName(f.Name))
			if f.DefValue != "" {
				fmt.Fprintf(fs.Output(), "  default %q", f.DefValue)
			}
			fmt.Fprintf(fs.Output(), "\n      %s\n", f.Usage)
		})
	}
	return &settings{fs: fs}
}

func envName(flagName string) string {
	return "ALMANAC_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (s *settings) env(name, def string) string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		return v
	}
	return def
}

func (s *settings) String(p *string, name, def, usage string) {
	s.fs.StringVar(p, name, s.env(name, def), usage)
}

func (s *settings) Bool(p *bool, name string, def bool, usage string) {
	v := def
	if e := s.env(name, ""); e != "" {
		b, err := strconv.ParseBool(e)
		if err != nil {
			s.err = fmt.Errorf("%s=%q: want true or false", envName(name), e)
		}
		v = b
	}
	s.fs.BoolVar(p, name, v, usage)
}

func (s *settings) Int(p *int, name string, def int, usage string) {
	v := def
	if e := s.env(name, ""); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil {
			s.err = fmt.Errorf("%s=%q: want an integer", envName(name), e)
		}
		v = n
	}
	s.fs.IntVar(p, name, v, usage)
}

func (s *settings) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	v := def
	if e := s.env(name, ""); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil {
			s.err = fmt.Errorf("%s=%q: want a duration such as 30s", envName(name), e)
		}
		v = d
	}
	s.fs.DurationVar(p, name, v, usage)
}

// Parse parses args, reporting a bad environment variable first.
func (s *settings) Parse(args []string) error {
	if s.err != nil {
		return s.err
	}
	return s.fs.Parse(args)
}

// storageConfig says where state lives; every subcommand that touches the
// database shares it.
type storageConfig struct {
	DataDir     string
	DatabaseURL string
	MaxConns    int
}

func (c *storageConfig) register(s *settings) {
	s.String(&c.DataDir, "data-dir", "data", "directory for the embedded database and message bus")
	s.String(&c.DatabaseURL, "database-url", "", "postgres://… URL of a PostgreSQL database; empty: embedded SQLite file in the data directory")
	s.Int(&c.MaxConns, "db-max-conns", 0, "database connection pool size (0: backend default)")
}

// open opens the configured store, applying pending migrations.
func (c *storageConfig) open(ctx context.Context, maxConns int) (*store.Store, error) {
	if c.MaxConns > 0 {
		maxConns = c.MaxConns
	}
	return store.Open(ctx, c.url(), store.Options{MaxConns: maxConns})
}

// url is the database to open: PostgreSQL when configured, otherwise the
// SQLite file in the data directory.
func (c *storageConfig) url() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "almanac.db")
}
