package calendar

import (
	"context"
	"errors"
	"fmt"
	"io"

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
	if _, err := s.authorize(ctx, u, cal, ActWrite); err != nil {
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
	for start := 0; start < len(sp.Resources); start += opt.BatchSize {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		batch := sp.Resources[start:min(start+opt.BatchSize, len(sp.Resources))]
		if err := s.importBatch(ctx, u, cal, sp, batch, rep, opt.MaxErrors); err != nil {
			return rep, err
		}
		if opt.Progress != nil {
			opt.Progress(start+len(batch), rep.Total)
		}
	}
	return rep, nil
}

func (s *Service) importBatch(ctx context.Context, u *store.User, cal *store.Calendar, sp *icalendar.Split, batch []*icalendar.Resource, rep *ImportReport, maxErrors int) error {
	items := make([]Item, 0, len(batch))
	var lines []int
	for _, r := range batch {
		data, err := sp.Data(r)
		if err != nil {
			rep.fail(r.UID, r.Line, objectError(err), maxErrors)
			continue
		}
		items = append(items, Item{Data: data, Ref: fmt.Sprint(r.Line), UID: r.UID})
		lines = append(lines, r.Line)
	}
	results, err := s.PutObjects(ctx, u, cal, items, OriginImport)
	if err != nil {
		return err
	}
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
			rep.fail(uid, lines[i], r.Err, maxErrors)
		}
	}
	return nil
}

func (rep *ImportReport) fail(uid string, line int, err error, maxErrors int) {
	rep.Failed++
	if len(rep.Errors) >= maxErrors {
		return
	}
	e := ImportError{UID: uid, Line: line, Message: err.Error()}
	var oe *ObjectError
	var uc *store.UIDConflictError
	switch {
	case errors.As(err, &oe):
		e.Precondition, e.Message = oe.Precondition, oe.Message
	case errors.As(err, &uc):
		e.Precondition = "no-uid-conflict"
	}
	rep.Errors = append(rep.Errors, e)
}
