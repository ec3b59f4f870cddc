package external

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// multigetChunk is how many resources one calendar-multiget asks for.
const multigetChunk = 100

// changes is what a mirror must do to catch up with the remote collection.
type changes struct {
	fetch     []member // new or changed resources
	gone      []string // paths of removed ones
	token     string
	supported bool // the server answers sync-collection
}

// refreshMirror brings a mirrored CalDAV collection up to date: the
// changes since the last sync token when the server supports
// sync-collection (RFC 6578), else a listing of every resource's ETag
// compared with what was fetched before; then the new and changed
// resources are fetched with calendar-multiget (RFC 4791 §7.9) and written
// together with the deletions in one transaction.
func (s *Service) refreshMirror(ctx context.Context, cal *store.Calendar, src *store.Source) (result, error) {
	out := result{SourceOutcome: store.SourceOutcome{SyncToken: src.SyncToken, SyncSupported: src.SyncSupported}}
	hc, err := s.davClient(cal, src)
	if err != nil {
		return out, err
	}
	known, err := s.st.MirrorItems(ctx, cal.ID)
	if err != nil {
		return out, err
	}
	ch, err := remoteChanges(ctx, hc, src, known)
	if err != nil {
		return out, fail(src.URL, "%v", err)
	}
	if n := len(known) + len(ch.fetch) - len(ch.gone); n > s.opt.MaxObjects {
		return out, fail(src.URL, "the collection holds about %d objects; this server mirrors at most %d", n, s.opt.MaxObjects)
	}
	items, etags, unreadable := fetchAll(ctx, hc, src.URL, ch.fetch)
	var goneNames []string
	for _, p := range ch.gone {
		if it, ok := known[p]; ok {
			goneNames = append(goneNames, it.Name)
		}
	}
	results, err := s.cals.SyncSource(ctx, cal, items, calendar.SyncOptions{Deletes: goneNames, MaxInstances: s.opt.MaxInstances})
	if err != nil {
		return out, err
	}
	if err := s.recordItems(ctx, cal, items, results, etags, ch.gone); err != nil {
		return out, err
	}
	if err := s.pruneTombstones(ctx, cal); err != nil {
		return out, err
	}
	out.SyncToken, out.SyncSupported, out.Warning = ch.token, ch.supported, skippedWarning(unreadable, results)
	return out, nil
}

// davClient is an HTTP client for the source's server: egress's, with
// every answer bounded, logging in with the stored credentials.
func (s *Service) davClient(cal *store.Calendar, src *store.Source) (webdav.HTTPClient, error) {
	var hc webdav.HTTPClient = limitedClient{c: s.http, max: s.opt.MaxBytes}
	if src.Username == "" && len(src.Secret) == 0 {
		return hc, nil
	}
	password := ""
	if len(src.Secret) > 0 {
		b, err := s.keys.Open(src.Secret, PasswordContext(cal))
		if err != nil {
			return nil, fmt.Errorf("the stored password cannot be read (%w); enter it again", err)
		}
		password = string(b)
	}
	return webdav.HTTPClientWithBasicAuth(hc, src.Username, password), nil
}

// remoteChanges finds what changed in the remote collection.
func remoteChanges(ctx context.Context, hc webdav.HTTPClient, src *store.Source, known map[string]store.MirrorItem) (*changes, error) {
	if src.SyncSupported {
		ch, err := syncChanges(ctx, hc, src.URL, src.SyncToken, known)
		if errors.Is(err, errInvalidToken) {
			ch, err = syncChanges(ctx, hc, src.URL, "", known)
		}
		if !errors.Is(err, errSyncUnsupported) {
			return ch, err
		}
	}
	return listChanges(ctx, hc, src.URL, known)
}

// syncChanges collects a sync-collection answer, following truncated ones
// (RFC 6578 §3.6). From an empty token the answer lists every member, so
// whatever is known but not listed is gone.
func syncChanges(ctx context.Context, hc webdav.HTTPClient, collection, token string, known map[string]store.MirrorItem) (*changes, error) {
	full := token == ""
	var members []member
	for range 1000 {
		ans, err := guard(func() (*syncAnswer, error) { return syncCollection(ctx, hc, collection, token) })
		if err != nil {
			return nil, err
		}
		members, token = append(members, ans.Members...), ans.Token
		if !ans.Truncated || token == "" {
			break
		}
	}
	ch := diff(members, known, full)
	ch.token, ch.supported = token, true
	return ch, nil
}

// listChanges lists the collection with PROPFIND (Depth: 1) and compares
// ETags, for servers without sync-collection.
func listChanges(ctx context.Context, hc webdav.HTTPClient, collection string, known map[string]store.MirrorItem) (*changes, error) {
	c, err := webdav.NewClient(hc, collection)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(collection)
	infos, err := guard(func() ([]webdav.FileInfo, error) { return c.ReadDir(ctx, base.Path, false) })
	if err != nil {
		return nil, fmt.Errorf("listing the collection: %w", err)
	}
	var members []member
	for _, fi := range infos {
		if !fi.IsDir && fi.Path != base.Path {
			members = append(members, member{Path: fi.Path, ETag: fi.ETag})
		}
	}
	return diff(members, known, true), nil
}

// diff turns a list of members into changes against what is known.
func diff(members []member, known map[string]store.MirrorItem, full bool) *changes {
	ch := &changes{}
	listed := map[string]bool{}
	for _, m := range members {
		listed[m.Path] = true
		switch it, ok := known[m.Path]; {
		case m.Gone && ok:
			ch.gone = append(ch.gone, m.Path)
		case !m.Gone && (!ok || it.ETag != m.ETag || m.ETag == ""):
			ch.fetch = append(ch.fetch, m)
		}
	}
	if full {
		for p := range known {
			if !listed[p] {
				ch.gone = append(ch.gone, p)
			}
		}
	}
	slices.Sort(ch.gone)
	return ch
}

// fetchAll fetches resources with calendar-multiget, a chunk at a time; a
// chunk the server (or go-ical, which go-webdav decodes with) cannot
// answer whole is fetched one resource at a time, so one bad resource
// costs only itself. It returns the items, their ETags by local name, and
// how many could not be read.
func fetchAll(ctx context.Context, hc webdav.HTTPClient, collection string, list []member) ([]calendar.BatchItem, map[string]string, int) {
	c, err := caldav.NewClient(hc, collection)
	if err != nil {
		return nil, nil, len(list)
	}
	base, _ := url.Parse(collection)
	var items []calendar.BatchItem
	etags := map[string]string{}
	bad := 0
	for part := range slices.Chunk(list, multigetChunk) {
		paths := make([]string, len(part))
		for i, m := range part {
			paths[i] = m.Path
		}
		objs, err := multiget(ctx, c, base.Path, paths)
		if err != nil {
			objs = nil
			for _, p := range paths {
				if o, err := guard(func() (*caldav.CalendarObject, error) { return c.GetCalendarObject(ctx, p) }); err == nil {
					objs = append(objs, *o)
				}
			}
		}
		got := 0
		for _, o := range objs {
			data, err := icalendar.MarshalDecoded(o.Data.Component)
			if err != nil {
				continue
			}
			name := localName(o.Path)
			items = append(items, calendar.BatchItem{Data: data, Name: name, Ref: o.Path})
			etags[name] = o.ETag
			got++
		}
		bad += len(part) - got
	}
	return items, etags, bad
}

func multiget(ctx context.Context, c *caldav.Client, collection string, paths []string) ([]caldav.CalendarObject, error) {
	return guard(func() ([]caldav.CalendarObject, error) {
		return c.MultiGetCalendar(ctx, collection, &caldav.CalendarMultiGet{Paths: paths,
			CompRequest: caldav.CalendarCompRequest{Name: "VCALENDAR", AllProps: true, AllComps: true}})
	})
}

// guard turns a panic in go-webdav or go-ical (which panics on some
// malformed data) into an error: a remote server must not be able to
// bring the worker down.
func guard[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed answer from the server: %v", p)
		}
	}()
	return f()
}

// localName is the local resource name of a remote resource: its last
// path segment, which is unique in the collection, unless it is not a
// usable name.
func localName(p string) string {
	name := path.Base(p)
	if name == "." || name == "/" || name == ".." || len(name) > 200 {
		sum := sha256.Sum256([]byte(p))
		return "remote-" + hex.EncodeToString(sum[:16]) + ".ics"
	}
	return name
}

// recordItems remembers the remote ETag of every resource that is now
// stored, so that the next listing can skip it, and forgets removed ones.
func (s *Service) recordItems(ctx context.Context, cal *store.Calendar, items []calendar.BatchItem, results []calendar.ItemResult, etags map[string]string, gone []string) error {
	var put []store.MirrorItem
	for i, r := range results {
		if r.Status != calendar.ItemFailed {
			put = append(put, store.MirrorItem{Href: items[i].Ref, Name: r.Name, ETag: etags[r.Name]})
		}
	}
	return s.st.UpdateMirrorItems(ctx, cal.ID, put, gone)
}
