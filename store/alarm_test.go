package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// Due alarms are leased in trigger order, turned into outbox messages and
// moved on in one transaction; concurrent schedulers never take the same
// alarm; and the lease is a range scan of alarms_due.
func TestStageAlarms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada")
		c := mustCalendar(t, s, u, "cal")
		now := s.Clock()
		const n = 300
		for i := range n {
			w := write(fmt.Sprintf("e%d.ics", i), fmt.Sprintf("e%d", i))
			w.Alarms = &store.AlarmSet{Rows: []store.AlarmRow{{UserID: u.ID, UID: "a", Spec: []byte("{}"),
				NextAt: store.Micro(now.Add(time.Duration(i-n/2) * time.Second))}}}
			if _, err := s.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k, err := s.StageAlarms(ctx, store.Micro(now), 20, func(due []*store.DueAlarm) ([]store.AlarmUpdate, []store.OutboxMessage, error) {
						var ups []store.AlarmUpdate
						var msgs []store.OutboxMessage
						for _, d := range due {
							mu.Lock()
							seen[d.ID]++
							mu.Unlock()
							ups = append(ups, store.AlarmUpdate{Row: d.AlarmRow, Delete: true})
							msgs = append(msgs, store.OutboxMessage{Kind: "reminder-web", IdempotencyKey: fmt.Sprint("k", d.ID), Payload: []byte("x"),
								Ref: store.ReminderRef(d.ObjectUUID), DueAt: store.FromMicro(d.NextAt)})
						}
						return ups, msgs, nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					if k == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != n/2+1 {
			t.Errorf("staged %d alarms, want %d", len(seen), n/2+1)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("alarm %d staged %d times", id, k)
			}
		}
		msgs, _ := s.ListOutbox(ctx, "", 1000)
		if len(msgs) != n/2+1 {
			t.Errorf("%d messages", len(msgs))
		}
		if at, ok, err := s.NextAlarm(ctx); err != nil || !ok || at <= store.Micro(now) {
			t.Errorf("next alarm %v %v %v", at, ok, err)
		}
		// PostgreSQL plans by its statistics, and a table this small is
		// read whole; almanac-bench reminders shows the plan at scale.
		plan, err := s.ExplainAlarmLease(ctx)
		if err != nil || s.Dialect() == "sqlite" && !strings.Contains(plan, "alarms_due") {
			t.Errorf("lease plan does not use alarms_due (%v):\n%s", err, plan)
		}
		// Deleting an object withdraws its untried deliveries.
		if _, err := s.DeleteObject(ctx, c.ID, "e0.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		left, _ := s.ListOutbox(ctx, "", 1000)
		if len(left) != len(msgs)-1 {
			t.Errorf("after delete: %d messages", len(left))
		}
	})
}
