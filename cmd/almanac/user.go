package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/store"
	"golang.org/x/term"
)

const userUsage = `Usage:
  almanac user add NAME --email EMAIL [--display-name N] [--time-zone TZ] [--password-stdin | --no-password]
  almanac user passwd NAME [--password-stdin]
  almanac user list
  almanac user delete NAME
  almanac user app-password NAME LABEL     create an app password for a CalDAV client
  almanac user app-passwords NAME          list a user's app passwords
  almanac user revoke NAME LABEL           revoke an app password

Without --password-stdin the password is asked for on the terminal; with no
terminal (a script, a pipe) --password-stdin is required:
  echo "$PASSWORD" | almanac user add alice --email alice@example.com --password-stdin
--no-password makes an account that signs in with app passwords only.`

type userCmd struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	st             *store.Store
	acc            *account.Service
}

func runUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac user", userUsage)
	s.fs.SetOutput(stderr)
	var sc storageConfig
	sc.register(s)
	var email, displayName, tz string
	var pwStdin, noPassword bool
	s.String(&email, "email", "", "e-mail address (user add)")
	s.String(&displayName, "display-name", "", "display name (user add)")
	s.String(&tz, "time-zone", "UTC", "IANA time zone of the user (user add)")
	s.fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
	s.fs.BoolVar(&noPassword, "no-password", false, "user add: no password login, only app passwords")
	pos, err := parseInterleaved(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, userUsage)
		return 2
	}
	if pwStdin && noPassword {
		return exitUsage(errors.New("--password-stdin and --no-password exclude each other"), stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := sc.open(ctx, 2)
	if err != nil {
		fmt.Fprintln(stderr, "almanac user:", err)
		return 1
	}
	defer st.Close()
	c := &userCmd{stdin: stdin, stdout: stdout, stderr: stderr, st: st, acc: account.New(st, account.Options{})}
	pw := passwordSource{stdin: pwStdin, none: noPassword}
	err = c.dispatch(ctx, pos, account.NewUser{Email: email, DisplayName: displayName, TimeZone: tz}, pw)
	if err != nil {
		fmt.Fprintln(stderr, "almanac user:", err)
		if errors.Is(err, errUsage) || errors.Is(err, errNoTerminal) {
			return 2
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("wrong arguments; see almanac user --help")

// passwordSource says where a new password comes from: standard input,
// the terminal (neither set), or nowhere (an account without one).
type passwordSource struct{ stdin, none bool }

func (c *userCmd) dispatch(ctx context.Context, pos []string, nu account.NewUser, pw passwordSource) error {
	want := map[string]int{"add": 2, "passwd": 2, "list": 1, "delete": 2, "app-password": 3, "app-passwords": 2, "revoke": 3}
	if n, ok := want[pos[0]]; !ok || n != len(pos) {
		return errUsage
	}
	switch pos[0] {
	case "add":
		nu.Name = pos[1]
		if !pw.none {
			p, err := c.password(pw.stdin)
			if err != nil {
				return err
			}
			nu.Password = p
		}
		u, err := c.acc.Create(ctx, nu)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "created user %s <%s> (id %s)\n", u.Name, u.Email, u.UUID)
	case "passwd":
		u, err := c.user(ctx, pos[1])
		if err != nil {
			return err
		}
		if pw.none {
			return errors.New("--no-password is for user add")
		}
		p, err := c.password(pw.stdin)
		if err != nil {
			return err
		}
		if err := c.acc.SetPassword(ctx, u.ID, p); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "password of %s changed; their sessions were ended\n", u.Name)
	case "list":
		return c.list(ctx)
	case "delete":
		u, err := c.user(ctx, pos[1])
		if err != nil {
			return err
		}
		if err := c.acc.Delete(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "deleted user %s and everything they owned\n", u.Name)
	default:
		return c.appPasswords(ctx, pos)
	}
	return nil
}

func (c *userCmd) appPasswords(ctx context.Context, pos []string) error {
	u, err := c.user(ctx, pos[1])
	if err != nil {
		return err
	}
	switch pos[0] {
	case "app-password":
		secret, err := c.acc.CreateAppPassword(ctx, u.ID, pos[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "app password %q for %s (shown once): %s\n", pos[2], u.Name, secret)
	case "app-passwords":
		list, err := c.st.ListAppPasswords(ctx, u.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED")
		for _, p := range list {
			used := "never"
			if !p.LastUsedAt.IsZero() {
				used = p.LastUsedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.CreatedAt.Format("2006-01-02 15:04"), used)
		}
		return tw.Flush()
	case "revoke":
		if err := c.st.DeleteAppPassword(ctx, u.ID, pos[2]); err != nil {
			return fmt.Errorf("app password %q of %s: %w", pos[2], u.Name, err)
		}
		fmt.Fprintf(c.stdout, "revoked app password %q of %s\n", pos[2], u.Name)
	}
	return nil
}

func (c *userCmd) user(ctx context.Context, name string) (*store.User, error) {
	u, err := c.st.GetUserByName(ctx, strings.ToLower(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no user named %q", name)
	}
	return u, err
}

func (c *userCmd) list(ctx context.Context) error {
	users, err := c.st.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tEMAIL\tTIME ZONE\tID")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Email, u.TimeZone, u.UUID)
	}
	return tw.Flush()
}

// errNoTerminal: a password was to be asked for, but standard input is a
// pipe or a file. Reading it from there silently would take whatever the
// script sent, or nothing, for a password.
var errNoTerminal = errors.New("standard input is not a terminal to ask for the password on: " +
	"pipe the password in with --password-stdin, or use --no-password for an account with app passwords only")

// password reads a password from stdin's first line or, on a terminal,
// asks for it twice without echo.
func (c *userCmd) password(fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errNoTerminal
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(c.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		return string(b), err
	}
	p1, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	p2, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", errors.New("the passwords differ")
	}
	return p1, nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("user add NAME --email X").
func parseInterleaved(s *settings, args []string) ([]string, error) {
	var pos []string
	for {
		if err := s.Parse(args); err != nil {
			return nil, err
		}
		args = s.fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
