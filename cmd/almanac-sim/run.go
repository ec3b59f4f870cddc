package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sim is one run: the server, the profile, and what the simulated people
// share.
type sim struct {
	base  string
	p     *profile
	hc    *http.Client
	runID string
	// months are the months people may look at; reports holds the
	// calendar-query body of each.
	months  []time.Time
	focus   int
	reports [][]byte
	live    atomic.Bool
	log     *errorLog
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	base := fs.String("url", "", "base URL of the server, e.g. http://127.0.0.1:8080")
	path := fs.String("config", "cmd/almanac-sim/profiles/standard.json", "load profile (JSON)")
	dur := fs.Duration("duration", 0, "measured time, instead of the profile's")
	sessions := fs.Int("sessions", 0, "simulated people at once, instead of the profile's")
	think := fs.Duration("think", -1, "mean think time, instead of the profile's (0: a stress run)")
	keep := fs.Bool("keep", false, "leave the events the run made in the data set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		return errors.New("run: -url is required")
	}
	p, err := loadProfile(*path)
	if err != nil {
		return err
	}
	if *dur > 0 {
		p.Duration = duration(*dur)
	}
	if *sessions > 0 {
		p.Sessions = *sessions
	}
	if *think >= 0 {
		p.ThinkTime = duration(*think)
	}
	if err := p.validate(); err != nil {
		return err
	}
	// An interrupt ends the run early; what was measured is still reported.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return execute(ctx, *base, p, *keep, os.Stdout, os.Stderr)
}

// execute runs the profile and prints the report to out; it fails when a
// threshold does.
func execute(ctx context.Context, base string, p *profile, keep bool, out, logw io.Writer) error {
	res, err := simulate(ctx, base, p, keep, logw)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "## almanac-sim run: %s, %d sessions on users %d…%d, think time %s, %.1f s measured after %s warm-up\n\n",
		base, p.Sessions, p.Users.First, p.Users.First+p.Users.Count-1, time.Duration(p.ThinkTime),
		res.elapsed.Seconds(), time.Duration(p.Warmup))
	writeTable(out, res)
	fmt.Fprintln(out)
	return writeVerdicts(out, evaluate(p, res))
}

// simulate signs the people in, lets them work for the warm-up and the
// measured time, and signs them out again.
func simulate(ctx context.Context, base string, p *profile, keep bool, logw io.Writer) (*result, error) {
	s := newSim(base, p, logw)
	people, err := s.signInAll(ctx)
	if err != nil {
		return nil, err
	}
	defer s.signOutAll(people, keep)
	elapsed, err := s.drive(ctx, people)
	if err != nil {
		return nil, err
	}
	res := &result{elapsed: elapsed}
	recs := make([]*recorder, len(people))
	for i, pp := range people {
		recs[i] = pp.rec
	}
	res.rows = merge(recs)
	return res, nil
}

func newSim(base string, p *profile, logw io.Writer) *sim {
	s := &sim{base: base, p: p, hc: httpClient(2*p.Sessions + 8), log: &errorLog{w: logw, left: 5},
		runID: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
	from, _ := time.Parse(monthLayout, p.Months.From)
	to, _ := time.Parse(monthLayout, p.Months.To)
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		if m.Format(monthLayout) == p.FocusMonth {
			s.focus = len(s.months)
		}
		s.months = append(s.months, m)
		s.reports = append(s.reports, monthQuery(m))
	}
	return s
}

// httpClient reuses connections as a browser or a CalDAV client would: the
// pool holds one idle connection per worker at least.
func httpClient(idle int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        idle,
		MaxIdleConnsPerHost: idle,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// pickMonth is the index of a month to look at.
func (s *sim) pickMonth(rng *rand.Rand) int {
	if rng.Float64() < s.p.FocusShare {
		return s.focus
	}
	return rng.IntN(len(s.months))
}

// signInAll signs the people in a few at a time: a login checks an
// argon2id hash, and a crowd of them at once only measures that.
func (s *sim) signInAll(ctx context.Context) ([]*person, error) {
	users := pickUsers(s.p.Users, s.p.Sessions, s.p.Seed)
	people := make([]*person, len(users))
	errs := make([]error, len(users))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, n := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			people[i], errs[i] = s.signIn(ctx, i, n)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var in []*person
		for _, p := range people {
			if p != nil {
				in = append(in, p)
			}
		}
		s.signOutAll(in, false)
		return nil, err
	}
	return people, nil
}

// signOutAll cleans up after the run unless told to keep its events:
// first the organisers' deletions, then, once their cancellations have
// had a moment to arrive, the guests' copies.
func (s *sim) signOutAll(people []*person, keep bool) {
	if !keep {
		each(people, (*person).removeOwn)
		time.Sleep(time.Second)
		each(people, (*person).removeInvitations)
	}
	each(people, (*person).signOut)
}

// each runs f for every person at once.
func each(people []*person, f func(*person)) {
	var wg sync.WaitGroup
	for _, p := range people {
		wg.Go(func() { f(p) })
	}
	wg.Wait()
}

// drive runs the mix: unmeasured during the warm-up, measured for the
// duration. It returns the measured time, shorter if ctx ends early.
func (s *sim) drive(ctx context.Context, people []*person) (time.Duration, error) {
	stop := make(chan struct{})
	ops, cum := s.p.mixOps()
	var wg sync.WaitGroup
	for _, p := range people {
		wg.Go(func() { p.loop(stop, ops, cum) })
	}
	defer wg.Wait()
	defer close(stop)
	select {
	case <-time.After(time.Duration(s.p.Warmup)):
	case <-ctx.Done():
		return 0, errors.New("interrupted during the warm-up")
	}
	s.live.Store(true)
	start := time.Now()
	select {
	case <-time.After(time.Duration(s.p.Duration)):
	case <-ctx.Done():
	}
	s.live.Store(false)
	return time.Since(start), nil
}

// loop is one person at work until stop: an operation drawn by weight,
// then a pause of random length around the think time.
func (p *person) loop(stop <-chan struct{}, ops []string, cum []float64) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		i := sort.SearchFloat64s(cum, p.rng.Float64()*cum[len(cum)-1])
		opFuncs[ops[min(i, len(ops)-1)]](p)
		if think := time.Duration(p.sim.p.ThinkTime); think > 0 {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(p.rng.Int64N(int64(2 * think)))):
			}
		}
	}
}

// pickUsers chooses the sessions' users: whole blocks of ten drawn at
// random from the range, so that the people a session invites are
// often simulated too and answer.
func pickUsers(r userRange, sessions int, seed int64) []int {
	first, last := r.First, r.First+r.Count-1
	blocks := make([]int, 0, last/10-first/10+1)
	for b := first / 10; b <= last/10; b++ {
		blocks = append(blocks, b)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	rng.Shuffle(len(blocks), func(i, j int) { blocks[i], blocks[j] = blocks[j], blocks[i] })
	var out []int
	for _, b := range blocks {
		for n := max(b*10, first); n <= min(b*10+9, last) && len(out) < sessions; n++ {
			out = append(out, n)
		}
	}
	return out
}

// blockmates returns k users of n's block of ten (within the profile's
// range), other than n.
func (s *sim) blockmates(n, k int, rng *rand.Rand) []int {
	first, last := s.p.Users.First, s.p.Users.First+s.p.Users.Count-1
	var mates []int
	for m := max(n/10*10, first); m <= min(n/10*10+9, last); m++ {
		if m != n {
			mates = append(mates, m)
		}
	}
	rng.Shuffle(len(mates), func(i, j int) { mates[i], mates[j] = mates[j], mates[i] })
	return mates[:min(k, len(mates))]
}
