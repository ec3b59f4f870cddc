package caldav

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
)

// getCalendar answers GET and HEAD of a calendar collection with the whole
// calendar as one iCalendar object, streamed. RFC 4791 leaves GET on a
// collection to the server; answering it with the calendar lets users
// export it and other programs subscribe to it with the same URL and
// credentials. Conditional requests are answered 304 from the calendar's
// revision (its CTag) without reading any object.
func (h *Handler) getCalendar(w http.ResponseWriter, r *http.Request, t *target) error {
	etag := t.cal.UUID + "-" + strconv.FormatInt(t.cal.Revision, 10)
	if !t.role.Can(calendar.ActRead) {
		etag += "-busy" // free/busy viewers get another representation
	}
	if httpserver.NotModified(w, r, etag, t.cal.UpdatedAt) {
		return nil
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/calendar; charset=utf-8")
	hd.Set("Content-Disposition", `inline; filename="`+url.PathEscape(t.cal.Name)+`.ics"`)
	hd.Set("Cache-Control", "private, no-cache")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	body, finish := httpserver.Compressed(w, r)
	cw := &httpserver.CountingWriter{W: body}
	if err := h.cals.Export(r.Context(), t.user, t.cal, cw); err != nil {
		if cw.N == 0 {
			return err
		}
		// The status is sent; all that can be done is to cut the body
		// short, which the client sees as an incomplete calendar.
		logError(r, err)
		return nil
	}
	return finish()
}
