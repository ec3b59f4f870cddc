package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// Reminder is what a channel delivers: the payload of web and webhook
// messages, and the content of reminder e-mail.
type Reminder struct {
	// ID names this delivery of the reminder: alarm, instance and trigger.
	ID            string    `json:"id"`
	EventID       string    `json:"event_id"`
	CalendarID    string    `json:"calendar_id"`
	ReminderID    string    `json:"reminder_id"` // the alarm's UID
	Action        string    `json:"action"`      // DISPLAY or EMAIL
	Summary       string    `json:"summary,omitempty"`
	Description   string    `json:"description,omitempty"`
	TriggerAt     time.Time `json:"trigger_at"`
	InstanceStart time.Time `json:"instance_start,omitzero"`
	InstanceEnd   time.Time `json:"instance_end,omitzero"`
	RecurrenceID  time.Time `json:"recurrence_id,omitzero"`
	Repeat        int       `json:"repeat,omitempty"`
}

// delivery is the outbox payload of web and webhook reminders.
type delivery struct {
	UserID   int64    `json:"user_id"`
	UserUUID string   `json:"user_uuid"`
	Key      string   `json:"key"`
	Reminder Reminder `json:"reminder"`
}

// maxPerRow bounds the triggers of one alarm staged in one pass (a
// repetition every minute within the lookahead, say).
const maxPerRow = 16

// Run stages reminders until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		if _, err := s.StageDue(ctx); err != nil && ctx.Err() == nil {
			s.opt.Logger.Warn("staging reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Kick asks the scheduler to look now.
func (s *Service) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// StageDue stages every alarm triggering within the lookahead, in batches,
// and reports how many it staged.
func (s *Service) StageDue(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		now := s.opt.Now()
		var dueNow bool
		n, err := s.st.StageAlarms(ctx, store.Micro(now.Add(s.opt.Lookahead)), s.opt.Batch, func(due []*store.DueAlarm) ([]store.AlarmUpdate, []store.OutboxMessage, error) {
			up, msgs, err := s.stage(now, due)
			for _, m := range msgs {
				dueNow = dueNow || !m.DueAt.After(now)
			}
			return up, msgs, err
		})
		total += n
		if dueNow && s.opt.Kick != nil {
			s.opt.Kick()
		}
		if err != nil || n < s.opt.Batch {
			return total, err
		}
	}
	return total, ctx.Err()
}

// stage turns due alarm rows into deliveries and moves each to its next
// trigger.
func (s *Service) stage(now time.Time, due []*store.DueAlarm) ([]store.AlarmUpdate, []store.OutboxMessage, error) {
	c := &stageCache{s: s, series: map[int64]*parsed{}, hooks: map[int64]bool{}}
	until := now.Add(s.opt.Lookahead)
	var ups []store.AlarmUpdate
	var msgs []store.OutboxMessage
	for _, d := range due {
		var a alarm.Alarm
		if err := json.Unmarshal(d.Spec, &a); err != nil {
			ups = append(ups, store.AlarmUpdate{Row: d.AlarmRow, Delete: true})
			continue
		}
		row := d.AlarmRow
		del := false
		for k := 0; k < maxPerRow && !del && row.NextAt <= store.Micro(until); k++ {
			if !row.Recheck {
				msgs = append(msgs, s.messagesFor(c, d, &a, row, now)...)
			}
			del = !s.advance(c, d, &a, &row, now)
		}
		ups = append(ups, store.AlarmUpdate{Row: row, Delete: del})
	}
	return ups, msgs, nil
}

// advance moves row to the alarm's next trigger; false when there is none.
func (s *Service) advance(c *stageCache, d *store.DueAlarm, a *alarm.Alarm, row *store.AlarmRow, now time.Time) bool {
	after := store.FromMicro(row.NextAt)
	if row.Recheck {
		after = now
	}
	if !a.Recurring && !row.Recheck {
		// One instance: only its repetitions are left, no parsing needed.
		if row.Repeat >= a.Repeat {
			return false
		}
		row.NextAt = store.Micro(a.Interval.AddTo(after).UTC())
		row.Repeat++
		return true
	}
	p := c.parse(d)
	if p == nil {
		return false
	}
	f, recheck, err := alarm.Next(a, p.obj, p.series, p.zones, after)
	switch {
	case errors.Is(err, alarm.ErrNoMore) && !recheck.IsZero():
		row.NextAt, row.Recheck = store.Micro(recheck), true
		return true
	case err != nil:
		return false
	}
	setFire(row, f)
	return true
}

type parsed struct {
	obj    *icalendar.Object
	series *recurrence.Series
	zones  alarm.Zones
}

// stageCache keeps what one batch looks up more than once.
type stageCache struct {
	s      *Service
	series map[int64]*parsed
	hooks  map[int64]bool // user id → has a webhook
}

// parse returns the object's expansion, nil when its data no longer
// parses (it did when written; the alarm is then dropped).
func (c *stageCache) parse(d *store.DueAlarm) *parsed {
	if p, ok := c.series[d.ObjectID]; ok {
		return p
	}
	var p *parsed
	obj, err := icalendar.ParseObject(d.Data, icalendar.Options{})
	if err == nil {
		var series *recurrence.Series
		zone := userZone(d.UserTimeZone)
		if series, err = recurrence.NewSeries(obj, recurrence.Options{Limits: c.s.opt.Recurrence, FloatingZone: zone}); err == nil {
			p = &parsed{obj: obj, series: series, zones: alarm.ZonesOf(obj, zone)}
		}
	}
	c.series[d.ObjectID] = p
	return p
}

func (c *stageCache) hasWebhook(user int64) bool {
	if v, ok := c.hooks[user]; ok {
		return v
	}
	set, err := c.s.st.GetReminderSettings(context.Background(), user, 0)
	v := err == nil && set.WebhookURL != ""
	c.hooks[user] = v
	return v
}

func userZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// messagesFor builds the deliveries of the trigger row stands at, one per
// channel: e-mail for EMAIL alarms; the user's open clients, and their
// webhook when they have one, for the others.
func (s *Service) messagesFor(c *stageCache, d *store.DueAlarm, a *alarm.Alarm, row store.AlarmRow, now time.Time) []store.OutboxMessage {
	at := store.FromMicro(row.NextAt)
	if now.Sub(at) > s.opt.Stale {
		s.m.skipped.WithLabelValues("stale").Inc()
		return nil
	}
	s.m.delay.Observe(max(0, now.Sub(at).Seconds()))
	r := Reminder{EventID: d.ObjectUUID, CalendarID: d.CalendarUUID, ReminderID: a.UID, Action: a.Action,
		Summary: a.Summary, Description: a.Description, TriggerAt: at, Repeat: row.Repeat}
	if row.InstanceStart != 0 {
		r.InstanceStart, r.InstanceEnd = store.FromMicro(row.InstanceStart), store.FromMicro(row.InstanceEnd)
	}
	if row.RecurrenceID != 0 {
		r.RecurrenceID = store.FromMicro(row.RecurrenceID)
	}
	r.ID = fmt.Sprintf("%s/%d/%s/%d/%d", d.ObjectUUID, d.UserID, a.UID, row.RecurrenceID, row.NextAt)
	var kinds []string
	// Mail goes only to an address its owner has proven (a sign-up's is
	// anyone's to claim); until then the reminder shows on their screens.
	if a.Action == alarm.Email && d.UserEmail != "" {
		kinds = []string{KindEmail}
	} else {
		kinds = []string{KindWeb}
		if c.hasWebhook(d.UserID) {
			kinds = append(kinds, KindWebhook)
		}
	}
	out := make([]store.OutboxMessage, 0, len(kinds))
	for _, k := range kinds {
		m := store.OutboxMessage{Kind: k, IdempotencyKey: "reminder/" + r.ID + "/" + k, DueAt: at, Ref: store.ReminderRef(d.ObjectUUID)}
		if k == KindEmail {
			m.Payload = s.mail(d, &r, m.IdempotencyKey)
		} else {
			m.Payload, _ = json.Marshal(delivery{UserID: d.UserID, UserUUID: d.UserUUID, Key: m.IdempotencyKey, Reminder: r})
		}
		s.m.staged.WithLabelValues(k).Inc()
		out = append(out, m)
	}
	return out
}
