// Package reminders delivers the alarms of calendar events: on time, once
// per device channel, and without losing any when a node dies.
//
// A write to an object (from CalDAV or the JSON API) passes through Hook,
// which computes the next trigger of each of its alarms, for the owner and
// for every sharee with alarms or default reminders of their own, and
// stores them in the alarms table in the write's transaction. The
// scheduler (Run) leases alarm rows shortly before they trigger, queues
// one outbox message per channel (web push over the bus, e-mail, webhook)
// due at the trigger time, and moves each row to its next trigger, all in
// one transaction. The outbox workers then hand each message to its
// channel when it comes due, with retries, backoff and dead letters.
//
// Staging ahead (Options.Lookahead) keeps the work at the trigger time to
// one indexed lease and the hand-off itself. An edit that moves, cancels
// or acknowledges an instance withdraws the staged messages that nobody
// has tried yet (store.ReminderRef) and stages them again if they still
// hold; the idempotency key of each message (object, user, alarm,
// instance, trigger, channel) keeps a re-staged reminder from going out
// twice.
package reminders

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// Outbox kinds of reminder deliveries, one per channel.
const (
	KindWeb     = "reminder-web"
	KindEmail   = "reminder-email"
	KindWebhook = "reminder-webhook"
)

// Options configure the service.
type Options struct {
	Now func() time.Time
	// Lookahead is how long before a trigger its deliveries are staged
	// (default 2 min).
	Lookahead time.Duration
	// Stale is how late a trigger may be and still be delivered, after
	// the server was down (default 24 h).
	Stale time.Duration
	Batch int           // alarms staged per transaction (default 500)
	Poll  time.Duration // how often the scheduler looks (default 250 ms)
	// MailFrom is the sender of reminder e-mail.
	MailFrom string
	// Kick wakes the outbox workers after staging deliveries that are due.
	Kick func()
	// Notifier hears of sharees' changes to their own reminders, which
	// change what they read (nil: nobody listens).
	Notifier   calendar.Notifier
	Recurrence recurrence.Limits
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lookahead == 0 {
		o.Lookahead = 2 * time.Minute
	}
	if o.Stale == 0 {
		o.Stale = 24 * time.Hour
	}
	if o.Batch == 0 {
		o.Batch = 500
	}
	if o.Poll == 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.MailFrom == "" {
		o.MailFrom = "calendar@localhost"
	}
	if o.Recurrence == (recurrence.Limits{}) {
		o.Recurrence = recurrence.DefaultLimits
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Service computes, stores and stages reminders.
type Service struct {
	st       *store.Store
	opt      Options
	m        *metrics
	wake     chan struct{}
	settings *settingsCache
}

// New returns a service over st.
func New(st *store.Store, opt Options) *Service {
	opt.defaults()
	s := &Service{st: st, opt: opt, m: newMetrics(opt.Registerer), wake: make(chan struct{}, 1),
		settings: newSettingsCache(opt.Now)}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "almanac_reminders_overdue_seconds",
			Help: "How long the earliest alarm not yet staged has been due (0: none is); staging keeps it at 0.",
		}, s.overdue))
	}
	return s
}

// overdue is how long the earliest unstaged alarm has been due.
func (s *Service) overdue() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	at, ok, err := s.st.NextAlarm(ctx)
	if err != nil || !ok {
		return 0
	}
	return max(0, s.opt.Now().Sub(store.FromMicro(at)).Seconds())
}

// Hook returns the calendar write hook that keeps the alarms table up to
// date.
func (s *Service) Hook() calendar.Hook { return hook{s} }

type metrics struct {
	staged, skipped *prometheus.CounterVec
	delay           prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		staged:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_reminders_staged_total", Help: "Reminder deliveries queued, by channel."}, []string{"kind"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_reminders_skipped_total", Help: "Reminder triggers not delivered, by reason."}, []string{"reason"}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "almanac_reminders_stage_delay_seconds", Help: "How late triggers were staged (0 when ahead of time); hand-off lag is almanac_outbox_lag_seconds{kind=~\"reminder-.*\"}.",
			Buckets: []float64{0, .1, .5, 1, 2, 5, 30, 60, 600},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.staged, m.skipped, m.delay)
	}
	return m
}
