package caldav

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// syncCollection answers the sync-collection REPORT (RFC 6578 §3): the
// members changed since the token, deleted ones as 404, from the change log.
func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	if !t.role.Can(calendar.ActRead) {
		return calendar.ErrForbidden
	}
	since, op, err := parseSync(r, root, func(tok string) (int64, error) { return parseCalendarToken(t.cal, tok) })
	if err != nil {
		return err
	}
	limit, err := syncLimit(root)
	if err != nil {
		return err
	}
	ctx := r.Context()
	fetch := 0
	if limit > 0 {
		fetch = limit + 1
	}
	var changes []store.Change
	rev := since
	// A client polling an unchanged calendar sends the revision just read
	// with the calendar: nothing changed since, and the log need not be
	// asked.
	if since == 0 || since != t.cal.Revision {
		if changes, rev, err = h.st.ChangesSince(ctx, t.cal.ID, since, fetch); err != nil {
			return err
		}
	}
	changes, next, truncated := truncate(changes, limit, rev)
	ms := newMultistatus(w, r)
	if err := h.writeChanges(r, ms, t, op, changes); err != nil {
		abort(r, err)
	}
	if truncated {
		// RFC 6578 §3.6: the collection answers 507 and the token lets
		// the client continue where this answer stopped.
		ms.status(t.href(), http.StatusInsufficientStorage)
	}
	return ms.close(calendarToken(t.cal, next))
}

// parseSync reads what every sync-collection REPORT asks: its level (only
// checked: the collections synchronised hold no collections), the
// revision its token names, and the properties to return.
func parseSync(r *http.Request, root *node, token func(string) (int64, error)) (int64, *objectProps, error) {
	if err := checkSyncLevel(root); err != nil {
		return 0, nil, err
	}
	since, err := token(root.child(nsDAV, "sync-token").textOr(""))
	if err != nil {
		return 0, nil, err
	}
	op, err := parseObjectProps(root)
	return since, op, err
}

// checkSyncLevel reads DAV:sync-level (RFC 6578 §3.3): 1 or infinite,
// which are the same for collections that hold no collections. Clients
// written to the drafts send none.
func checkSyncLevel(root *node) error {
	lv := root.child(nsDAV, "sync-level")
	if lv == nil {
		return nil
	}
	switch strings.TrimSpace(lv.Text) {
	case "1", "infinite", "infinity":
		return nil
	}
	return badXML("sync-level must be 1 or infinite")
}

// syncLimit reads DAV:limit/DAV:nresults (RFC 5323 §5.17, RFC 6578 §3.7).
func syncLimit(root *node) (int, error) {
	lim := root.child(nsDAV, "limit")
	if lim == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(lim.child(nsDAV, "nresults").textOr("")))
	if err != nil || n < 1 {
		return 0, precondition(http.StatusForbidden, nsDAV, "number-of-matches-within-limits", "DAV:nresults must be a positive integer")
	}
	return n, nil
}

// truncate cuts changes to limit. The continuation token is the revision of
// the last change kept; changes sharing that revision stay together so
// that none is skipped.
func truncate(changes []store.Change, limit int, rev int64) ([]store.Change, int64, bool) {
	if limit <= 0 || len(changes) <= limit {
		return changes, rev, false
	}
	cut := limit
	for cut > 0 && changes[cut].Revision == changes[cut-1].Revision {
		cut--
	}
	if cut == 0 {
		cut = limit
		for cut < len(changes) && changes[cut].Revision == changes[cut-1].Revision {
			cut++
		}
	}
	return changes[:cut], changes[cut-1].Revision, true
}

// writeChanges writes the changed members with their properties and the
// deleted ones as 404 (RFC 6578 §3.5), reading live objects in batches.
func (h *Handler) writeChanges(r *http.Request, ms *multistatus, t *target, op *objectProps, changes []store.Change) error {
	ctx := r.Context()
	const batch = 500
	for len(changes) > 0 {
		n := min(batch, len(changes))
		part := changes[:n]
		changes = changes[n:]
		var names []string
		for _, c := range part {
			if !c.Deleted {
				names = append(names, c.Name)
			}
		}
		var objs []*store.Object
		var err error
		if op.direct() {
			objs, err = h.st.GetObjectHeads(ctx, t.cal.ID, names, op.data != nil)
		} else {
			objs, err = h.st.GetObjectsByName(ctx, t.cal.ID, names)
		}
		if err == nil {
			err = h.cals.ViewObjects(ctx, t.user, t.cal, objs)
		}
		if err != nil {
			return err
		}
		byName := make(map[string]*store.Object, len(objs))
		for _, o := range objs {
			byName[o.Name] = o
		}
		sort.SliceStable(part, func(i, j int) bool { return part[i].Revision < part[j].Revision })
		for _, c := range part {
			o := byName[c.Name]
			if o == nil {
				ms.status(objectHref(t.owner.Name, t.calName, c.Name), http.StatusNotFound)
				continue
			}
			if err := h.writeObject(ctx, ms, t, op, o, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// textOr returns the element's text, or def when the element is absent.
func (n *node) textOr(def string) string {
	if n == nil {
		return def
	}
	return n.Text
}
