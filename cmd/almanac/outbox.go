package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"

	"github.com/almanac/almanac/store"
)

const outboxUsage = `Usage:
  almanac outbox list [--status pending|done|dead] [--limit N]
  almanac outbox stats
  almanac outbox retry ID     deliver a dead (or waiting) message again, from attempt 1
  almanac outbox drop ID      delete a message that is not being delivered

The outbox holds every e-mail, webhook and push the server has to deliver.
Reminders are the kinds reminder-email, reminder-web and reminder-webhook
(REF reminder:EVENT-ID); they are queued shortly before they are due and
wait as pending until then. Scheduling messages are itip-local (to a user
of the server), email, and for large meetings imip-fanout (a job that
queues a batch of recipients per step, REF EVENT-ID) and imip (one
recipient's e-mail, rendered when delivered); REF EVENT-ID ADDRESS.
A message whose node stopped twice while delivering it becomes dead with
an error saying so.`

func runOutbox(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac outbox", outboxUsage)
	s.fs.SetOutput(stderr)
	var sc storageConfig
	sc.register(s)
	var status string
	var limit int
	s.fs.StringVar(&status, "status", "", "only messages with this status")
	s.fs.IntVar(&limit, "limit", 50, "at most this many messages")
	pos, err := parseInterleaved(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, outboxUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := sc.open(ctx, 2)
	if err != nil {
		fmt.Fprintln(stderr, "almanac outbox:", err)
		return 1
	}
	defer st.Close()
	if err := outboxCommand(ctx, st, pos, status, limit, stdout); err != nil {
		fmt.Fprintln(stderr, "almanac outbox:", err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func outboxCommand(ctx context.Context, st *store.Store, pos []string, status string, limit int, stdout io.Writer) error {
	switch {
	case pos[0] == "list" && len(pos) == 1:
		msgs, err := st.ListOutbox(ctx, status, limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tREF\tLAST ERROR")
		for _, m := range msgs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Kind, m.Status, m.Attempts,
				m.NextAttemptAt.Format("2006-01-02 15:04:05"), m.Ref, m.LastError)
		}
		return tw.Flush()
	case pos[0] == "stats" && len(pos) == 1:
		counts, lag, err := st.OutboxStats(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pending %d, done %d, dead %d; oldest due message waiting %s\n",
			counts[store.OutboxPending], counts[store.OutboxDone], counts[store.OutboxDead], lag)
		return nil
	case (pos[0] == "retry" || pos[0] == "drop") && len(pos) == 2:
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a message id: %w", pos[1], errUsage)
		}
		if pos[0] == "retry" {
			err = st.RetryOutbox(ctx, id)
		} else {
			err = st.DropOutbox(ctx, id)
		}
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no message %d to %s (done messages cannot be retried, leased ones not dropped)", id, pos[0])
		}
		if err == nil {
			fmt.Fprintf(stdout, "message %d: %s done\n", id, pos[0])
		}
		return err
	}
	return errUsage
}
