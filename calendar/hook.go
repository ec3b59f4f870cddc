package calendar

import (
	"context"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// Hook lets a feature take part in every object write, whichever front end
// makes it: implicit scheduling (RFC 6638) and reminders plug in here. A
// hook runs after the data is validated and authorised, before anything is
// stored. It may replace what is stored (the server's own changes, such as
// SCHEDULE-STATUS parameters) and add side effects, which commit in the same
// transaction as the write or not at all. It must not write anything
// itself; an error aborts the write and reaches the client.
type Hook interface {
	BeforePut(ctx context.Context, p *PutContext) error
	BeforeDelete(ctx context.Context, d *DeleteContext) error
}

// PutContext describes a create or update.
type PutContext struct {
	User     *store.User
	Calendar *store.Calendar
	Role     Role
	Name     string
	// Object is the parsed new data and Series its expansion.
	Object *icalendar.Object
	Series *recurrence.Series
	// Write is what will be stored. A hook that changes Write.Data must
	// keep it valid and describing the same instances, or set Reshaped;
	// it may append to Write.Outbox.
	Write *store.ObjectWrite
	// Conditions are the write's preconditions; a hook may add to them.
	// A hook that read the stored version sets Conditions.Stored: if the
	// resource changes before the write commits, PutObject runs the hooks
	// again on the new version.
	Conditions *store.Conditions
	// Origin says whether a client wrote the object (OriginClient) or it
	// comes from an import or a calendar's source. Hooks must not act on
	// the user's behalf towards others (send invitations, RFC 6638) for
	// data that the user did not just write.
	Origin Origin
	// Limits are the service's, for the hooks that enforce one
	// (scheduling holds the attendees it invites to MaxAttendees).
	Limits Limits
	// Reshaped is set by a hook that added or removed components (and
	// wrote Write.Data from Object): the write's instances are derived
	// again before the next hook runs.
	Reshaped bool
}

// DeleteContext describes a deletion.
type DeleteContext struct {
	User     *store.User
	Calendar *store.Calendar
	Role     Role
	Name     string
	Previous *store.Object // the resource being deleted, with its data
	// Outbox collects side effects committed with the deletion.
	Outbox []store.OutboxMessage
}
