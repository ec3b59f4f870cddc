package calendar

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// BatchSize is the number of objects written per transaction
	// (default 250).
	BatchSize int
	// Progress, when set, is called after each batch with the number of
	// objects handled so far and the total.
	Progress func(done, total int)
	Limits   icalendar.SplitLimits
	// MaxErrors bounds the per-object errors listed in the report (the
	// counts are always complete); default 1,000.
	MaxErrors int
}

// ImportReport says what an import did.
type ImportReport struct {
	Total     int `json:"total"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	// Errors lists the objects that were not imported and why.
	Errors []ImportError `json:"errors"`
	// Warnings are about the file as a whole: what was skipped.
	Warnings []string `json:"warnings"`
	// Calendar holds the properties of the file's VCALENDAR (name,
	// colour, time zone), for a caller that creates the calendar.
	Calendar icalendar.CalendarProps `json:"-"`
}

// ImportError is an object that could not be imported.
type ImportError struct {
	UID          string `json:"uid,omitempty"`
	Line         int    `json:"line"` // where the object starts in the file
	Precondition string `json:"precondition,omitempty"`
	Message      string `json:"message"`
}

// Import reads an iCalendar stream of size bytes (an export from Google,
// Outlook, Apple, Thunderbird or another server) and writes its objects to
// cal, one resource per UID with the VTIMEZONEs it needs. Each object is
// validated and indexed like a PUT, in transactions of BatchSize objects;
// an object that fails is reported and the import goes on. Importing the
// same data again updates the same resources, and writes nothing for
// objects that did not change. The error is for the import as a whole:
// data that is not iCalendar, a limit, the caller's rights, the database.
func (s *Service) Import(ctx context.Context, u *store.User, cal *store.Calendar, src io.ReaderAt, size int64, opt ImportOptions) (*ImportReport, error) {
	role, err := s.authorize(ctx, u, cal, ActWrite)
	if err != nil {
		return nil, err
	}
	if cal.ReadOnly() {
		return nil, ErrReadOnly
	}
	sp, err := icalendar.SplitStream(src, size, opt.Limits)
	if ie := (*icalendar.Error)(nil); errors.As(err, &ie) {
		return nil, objectError(err)
	} else if err != nil {
		return nil, err
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 250
	}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 1000
	}
	rep := &ImportReport{Total: len(sp.Resources), Warnings: sp.Warnings, Calendar: sp.Props, Errors: []ImportError{}}
	if opt.Progress != nil {
		opt.Progress(0, rep.Total)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := 0
	for b := range s.deriveBatches(ctx, cal, sp, opt.BatchSize) {
		for _, f := range b.unreadable {
			rep.fail(f.uid, f.line, f.err, opt.MaxErrors)
		}
		results, err := s.storeBatch(ctx, u, cal, role, b.derived, batchOptions{origin: OriginImport})
		if err != nil {
			return rep, err
		}
		rep.count(b.derived.items, results, opt.MaxErrors)
		done += len(b.derived.items) + len(b.unreadable)
		if opt.Progress != nil {
			opt.Progress(done, rep.Total)
		}
	}
	return rep, ctx.Err()
}

// importBatch is a batch of an import on its way to the store.
type importBatch struct {
	derived    *derivedBatch
	unreadable []importFailure // resources whose data could not be put together
}

type importFailure struct {
	uid  string
	line int
	err  error
}

// deriveBatches reads and derives the import's batches one ahead of the
// writer, so that validation and expansion (CPU) overlap with the
// database's work on the previous batch.
func (s *Service) deriveBatches(ctx context.Context, cal *store.Calendar, sp *icalendar.Split, size int) <-chan importBatch {
	out := make(chan importBatch, 1)
	go func() {
		defer close(out)
		for start := 0; start < len(sp.Resources); start += size {
			b := importBatch{}
			var items []BatchItem
			for _, r := range sp.Resources[start:min(start+size, len(sp.Resources))] {
				data, err := sp.Data(r)
				if err != nil {
					b.unreadable = append(b.unreadable, importFailure{r.UID, r.Line, objectError(err)})
					continue
				}
				items = append(items, BatchItem{Data: data, Ref: strconv.Itoa(r.Line), UID: r.UID})
			}
			b.derived = s.deriveBatch(cal, items)
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// count adds a batch's results to the report.
func (rep *ImportReport) count(items []BatchItem, results []ItemResult, maxErrors int) {
	for i, r := range results {
		switch r.Status {
		case ItemCreated:
			rep.Created++
		case ItemUpdated:
			rep.Updated++
		case ItemUnchanged:
			rep.Unchanged++
		default:
			uid := r.UID
			if uid == "" {
				uid = items[i].UID
			}
			line, _ := strconv.Atoi(items[i].Ref)
			rep.fail(uid, line, r.Err, maxErrors)
		}
	}
}

func (rep *ImportReport) fail(uid string, line int, err error, maxErrors int) {
	rep.Failed++
	if len(rep.Errors) >= maxErrors {
		return
	}
	e := ImportError{UID: uid, Line: line, Message: err.Error()}
	var oe *ObjectError
	var uc *store.UIDConflictError
	var qe *QuotaError
	switch {
	case errors.As(err, &oe):
		e.Precondition, e.Message = oe.Precondition, oe.Message
	case errors.As(err, &uc):
		e.Precondition = "no-uid-conflict"
	case errors.As(err, &qe):
		e.Precondition = "quota-not-exceeded" // RFC 4331 §6
	}
	rep.Errors = append(rep.Errors, e)
}
