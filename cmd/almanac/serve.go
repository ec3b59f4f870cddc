package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/bus"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/changefeed"
	"github.com/almanac/almanac/egress"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/publish"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/web"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type serveConfig struct {
	storage           storageConfig
	Listen            string
	NATSURL           string
	BusSubjects       string
	LogLevel          string
	LogFormat         string
	AllowRegistration bool
	SecureCookies     bool
	NoViewCache       bool
	ShutdownGrace     time.Duration
	SMTP              mailer.Config
	MailFrom          string
	AdminListen       string
	Mail              mailInConfig
	Secrets           secretConfig
	Feeds             feedConfig
	Limits            limitsConfig
	MaxImportBytes    int
	WebhookPrivate    bool
	ReminderLookahead time.Duration
	Login             loginConfig
	HTTP              httpConfig
	MetricsToken      string
	// secureCookiesSet says --secure-cookies was given, by flag or
	// variable; otherwise it follows --public-url.
	secureCookiesSet bool
	BusOutagePoll    time.Duration
	TLS              tlsConfig
}

const serveUsage = `Usage: almanac serve [flags]

Runs the server. With no settings it listens on 127.0.0.1:8080, keeps its data
in an SQLite file under ./data and runs its message bus in-process. Point it at
PostgreSQL and NATS to run several nodes side by side.`

func (c *serveConfig) register(s *settings) {
	c.storage.register(s)
	s.String(&c.Listen, "listen", "127.0.0.1:8080", "address to serve HTTP on")
	s.String(&c.NATSURL, "nats-url", "", "nats:// URL of an external NATS server; empty: embedded server")
	s.String(&c.BusSubjects, "bus-subjects", string(changefeed.DefaultSubjects), "first token of the bus subjects; the same on every node of one installation, different for installations sharing a NATS server")
	s.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	s.String(&c.LogFormat, "log-format", "text", "text or json")
	s.Bool(&c.AllowRegistration, "allow-registration", true, "let anyone create an account with POST /api/v1/users/register")
	s.Bool(&c.SecureCookies, "secure-cookies", false, "mark session cookies Secure (default: on when --public-url is https://)")
	s.Bool(&c.NoViewCache, "no-view-cache", false, "compute every calendar view afresh (to measure the query path)")
	s.Duration(&c.ShutdownGrace, "shutdown-grace", 15*time.Second, "how long in-flight requests may finish after SIGTERM")
	s.String(&c.SMTP.Host, "smtp-host", "", "SMTP relay for outgoing mail; empty: write mail as .eml files to DATA_DIR/mail-out")
	s.Int(&c.SMTP.Port, "smtp-port", 0, "SMTP relay port (0: 587, or 465 with --smtp-security=tls)")
	s.String(&c.SMTP.Security, "smtp-security", "starttls", "starttls, tls or none")
	s.String(&c.SMTP.Username, "smtp-username", "", "SMTP relay user name (empty: no authentication)")
	s.String(&c.SMTP.Password, "smtp-password", "", "SMTP relay password")
	s.String(&c.AdminListen, "admin-listen", "", "address for the admin endpoints (/metrics, pprof profiles under /debug/pprof/); empty: off. Keep it private")
	s.String(&c.MetricsToken, "metrics-token", "", "serve /metrics on the public listener too, to requests with Authorization: Bearer TOKEN; empty: only on --admin-listen")
	s.String(&c.MailFrom, "mail-from", "", "sender address of the server's own mail (default: calendar@HOST of --listen)")
	c.Mail.register(s)
	s.Int(&c.MaxImportBytes, "import-max-bytes", 16<<20, "largest iCalendar file imported over HTTP, about 30,000 events (almanac import has no limit)")
	c.Secrets.register(s)
	c.Feeds.register(s)
	c.Limits.register(s)
	s.Bool(&c.WebhookPrivate, "webhook-allow-private", false, "let reminder webhooks reach loopback and private addresses (tests, internal deployments)")
	s.Duration(&c.ReminderLookahead, "reminder-lookahead", 2*time.Minute, "how long before a reminder is due its deliveries are queued")
	c.Login.register(s)
	c.HTTP.register(s)
	s.Duration(&c.BusOutagePoll, "bus-outage-poll", 5*time.Second, "while the bus is unreachable, how often open change streams read the change logs instead (0: only once it is back)")
	c.TLS.register(s)
}

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac serve", serveUsage)
	s.fs.SetOutput(stderr)
	var cfg serveConfig
	cfg.register(s)
	if err := s.Parse(args); err != nil {
		return exitUsage(err, stderr)
	}
	cfg.tlsDefaults(s)
	cfg.secureCookiesSet = s.isSet("secure-cookies")
	log, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintln(stderr, "almanac serve:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The first signal shuts down cleanly (exit status 0); once it has
	// come, a second Ctrl-C ends the process at once.
	context.AfterFunc(ctx, stop)
	if err := serve(ctx, cfg, log, stdout); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	log.Info("server stopped")
	return 0
}

// serve wires the node together and runs it until ctx ends.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer) error {
	if err := cfg.Login.check(); err != nil {
		return err
	}
	st, err := cfg.storage.open(ctx, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "dialect", st.Dialect())

	if !changefeed.Subjects(cfg.BusSubjects).Valid() {
		return fmt.Errorf("--bus-subjects %q: want one NATS subject token (no dots, spaces, * or >)", cfg.BusSubjects)
	}
	b, err := bus.Open(ctx, bus.Options{URL: cfg.NATSURL, DataDir: cfg.storage.DataDir, Name: "almanac", Logger: log})
	if err != nil {
		return err
	}
	defer b.Close()
	log.Info("bus connected", "embedded", b.Embedded())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.SMTP.Host == "" {
		cfg.SMTP.DropDir = filepath.Join(cfg.storage.DataDir, "mail-out")
	}
	cfg.SMTP.HeloName = cfg.heloName()
	mail, err := mailer.New(cfg.SMTP)
	if err != nil {
		return err
	}
	pub := changefeed.NewPublisher(b.Conn(), changefeed.Subjects(cfg.BusSubjects), log)
	webhooks := egress.New(egress.Options{AllowPrivate: cfg.WebhookPrivate, Timeout: 15 * time.Second, UserAgent: "Almanac"})
	handlers := map[string]outbox.Handler{
		reminders.KindEmail:   mail,
		reminders.KindWeb:     reminders.WebHandler(st, pub, reminders.FeedLanes(st.Dialect())),
		reminders.KindWebhook: reminders.NewWebhook(st, webhooks),
	}
	deliveries := outbox.New(st, outbox.Options{
		Handlers:    handlers,
		MaxAttempts: maxMailAttempts,
		Registerer:  reg,
		Logger:      log,
	})
	sched, err := newScheduler(cfg, st, deliveries.Kick, reg, log)
	if err != nil {
		return err
	}
	rem := reminders.New(st, reminders.Options{MailFrom: sched.MailFrom(), Lookahead: cfg.ReminderLookahead,
		Kick: deliveries.Kick, Notifier: pub, Registerer: reg, Logger: log})
	accounts := account.New(st, account.Options{AllowRegistration: cfg.AllowRegistration,
		AccountThrottle: cfg.Login.accountThrottle, AddressThrottle: cfg.Login.addressThrottle,
		Mail: account.MailOptions{From: sched.MailFrom(), PublicURL: cfg.publicURL(), Kick: deliveries.Kick}})
	handlers[account.MailKind] = mail
	keys, err := cfg.Secrets.keyring(cfg.storage.DataDir)
	if err != nil {
		return err
	}
	limits, err := cfg.Limits.limits()
	if err != nil {
		return err
	}
	if err := cfg.Mail.checkInvitations(); err != nil {
		return err
	}
	recur, err := cfg.Limits.recurrence()
	if err != nil {
		return err
	}
	// Reminders come after scheduling, so that they see what is stored.
	cals := calendar.New(st, calendar.Options{Notifier: pub, Kick: deliveries.Kick,
		Hooks: hooks(sched, rem), Secrets: keys, Viewer: rem, Limits: limits, Recurrence: recur})
	for kind, h := range sched.Handlers(cals, mail, maxMailAttempts) {
		handlers[kind] = h
	}
	feedOpt, err := cfg.Feeds.options()
	if err != nil {
		return err
	}
	feedOpt.Logger = log
	sources := external.New(cals, feedOpt)
	feed := changefeed.New(b.Conn(), changefeed.Subjects(cfg.BusSubjects), cals, log)
	watchBus(b, feed, reg)
	api := jsonapi.New(accounts, cals, jsonapi.Options{SecureCookies: cfg.secureCookies(), Feed: feed, Shutdown: ctx.Done(),
		Scheduler: sched, NoViewCache: cfg.NoViewCache, External: sources, MaxImportBytes: int64(cfg.MaxImportBytes),
		PublicURL: cfg.Mail.PublicURL, WebhookAllowPrivate: cfg.WebhookPrivate, Reminders: rem})
	dav := caldav.New(accounts, cals, caldav.Options{Logger: log, Scheduler: sched})

	r := chi.NewRouter()
	r.Use(httpserver.ClientAddress(cfg.Login.trusted))
	r.Use(httpserver.Observe(log, httpserver.NewMetrics(reg)), httpserver.HSTS(cfg.TLS.HSTSMaxAge))
	r.Use(httpserver.RequestBodies(cfg.HTTP.bodyBudget))
	r.Get("/healthz", httpserver.Healthz)
	// Without the bus the node still serves every request; only live
	// updates wait (streams catch up from the change logs), so a lost bus
	// must not take every node out of the load balancer.
	r.Get("/readyz", httpserver.Readyz(log,
		httpserver.Check{Name: "database", Ping: st.Ping},
		httpserver.Check{Name: "bus", Ping: b.Ping, Optional: true},
	))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	r.Handle("/metrics", publicMetrics(cfg.MetricsToken, metrics))
	r.Mount("/api/v1", api.Routes())
	capabilityLinks(r, api)
	r.Mount(publish.Prefix, publish.New(cals).Routes())
	// Everything else is the web client: its files, and index.html for
	// the paths it routes itself; discovery's PROPFIND on "/" is CalDAV's.
	webClient := web.Handler()
	dav.Register(r, webClient)
	r.Handle("/*", webClient)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if ln, err = cfg.TLS.listen(ctx, ln, cfg.Mail.PublicURL, cfg.storage.DataDir, log); err != nil {
		return err
	}
	url := cfg.TLS.scheme() + "://" + ln.Addr().String()
	log.Info("listening", "url", url)
	fmt.Fprintf(stdout, "Almanac is serving on %s\n", url)

	if cfg.AdminListen != "" {
		if err := serveAdmin(ctx, cfg.AdminListen, metrics, log); err != nil {
			return err
		}
	}
	mailIn, err := cfg.Mail.start(sched, sched.MailFrom(), log)
	if err != nil {
		return err
	}
	defer mailIn.stop()
	workers := startWorkers(ctx, log, st, cals, deliveries, sources, rem)
	workers.Go(func() { feed.Run(ctx, cfg.BusOutagePoll) })
	err = httpserver.ServeLimited(ctx, ln, r, cfg.ShutdownGrace, cfg.HTTP.limits(), log)
	workers.Wait()
	return err
}

// watchBus tells the change feed when the bus connection is lost and back,
// and exposes the connection's state as a metric.
func watchBus(b *bus.Bus, feed *changefeed.Feed, reg prometheus.Registerer) {
	b.Watch(feed.BusChanged)
	if !b.Connected() {
		feed.BusChanged(false)
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "almanac_bus_connected",
		Help: "1 while the node is connected to the message bus, 0 while it reconnects."}, func() float64 {
		if b.Connected() {
			return 1
		}
		return 0
	}))
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// serveAdmin serves the metrics and profiling endpoints on their own
// listener, so that they are never exposed with the public API.
func serveAdmin(ctx context.Context, addr string, metrics http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("admin endpoints", "url", "http://"+ln.Addr().String()+"/", "metrics", "/metrics", "pprof", "/debug/pprof/")
	go func() {
		if err := httpserver.Serve(ctx, ln, mux, time.Second, log); err != nil {
			log.Warn("admin listener stopped", "err", err)
		}
	}()
	return nil
}

// capabilityLinks mounts the links mailed to people, whose token is the
// authority (RSVP answers, address verification): their paths never reach
// the access log, whatever the handler makes of them.
func capabilityLinks(r chi.Router, api *jsonapi.API) {
	r.With(httpserver.Secret).Mount("/rsvp", api.RSVPRoutes())
	r.With(httpserver.Secret).Mount(strings.TrimSuffix(account.VerifyPath, "/"), api.VerifyRoutes())
}

// publicMetrics is /metrics on the public listener: for requests with the
// bearer token when one is set, otherwise not there at all. The counters
// tell who is busy when, and how the server is built.
func publicMetrics(token string, metrics http.Handler) http.Handler {
	if token == "" {
		return http.NotFoundHandler()
	}
	return httpserver.RequireBearer(token, metrics)
}

// secureCookies is --secure-cookies, or, when it was not given, whether
// people reach the server over HTTPS (--public-url): a session cookie
// sent in clear could be read on the way.
func (c *serveConfig) secureCookies() bool {
	if c.secureCookiesSet {
		return c.SecureCookies
	}
	// SecureCookies is on already when the server serves TLS itself.
	return c.SecureCookies || strings.HasPrefix(strings.ToLower(c.Mail.PublicURL), "https://")
}
