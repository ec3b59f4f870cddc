package scheduling

import (
	"sync"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
)

// versionCache keeps the last few organizer copies that deliveries refer
// to, parsed, with their REQUESTs: the hundred deliveries of one meeting
// update read and render it once instead of a hundred times.
type versionCache struct {
	c flightCache[*version]
}

// The versions kept: a few meetings in flight, and no more than a few
// times the largest object in bytes (a parsed object takes several times
// its size).
const (
	maxVersions     = 32
	maxVersionBytes = 8 << 20
)

func newVersionCache() *versionCache {
	return &versionCache{c: flightCache[*version]{maxItems: maxVersions, maxBytes: maxVersionBytes}}
}

// version is one organizer copy and its REQUESTs by attendee shape.
type version struct {
	organizer string
	mu        sync.Mutex
	reqs      *requests
	msgs      map[string]*itip.Message // parsed REQUESTs by shape, never handed out
	encoded   map[*byte]*itip.Encoded  // REQUESTs in the mail encodings, by their data
	details   *itip.Details
	sender    string // the organizer's name
}

// maxParsedShapes bounds the parsed REQUESTs a version keeps: an event
// whose overrides each invite other people has as many shapes as it
// has attendees.
const maxParsedShapes = 16

// lookup returns the parsed version of object uuid with etag, if cached.
func (c *versionCache) lookup(uuid, etag string) *version {
	v, _ := c.c.lookup(uuid + "/" + etag)
	return v
}

// get returns the parsed version o, or nil when o is not an organizer's
// copy. Its REQUESTs are stamped with the time of the version, so that
// attendees' copies order versions as the organizer made them.
func (c *versionCache) get(o *store.Object) (*version, error) {
	if o.Role != store.SchedOrganizer {
		return nil, nil
	}
	return c.c.get(o.UUID+"/"+o.ETag, func() (*version, int, error) {
		obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: []string{o.Component}})
		if err != nil {
			return nil, 0, nil
		}
		return &version{organizer: organizer(obj), reqs: newRequests(obj, o.ModifiedAt),
			msgs: map[string]*itip.Message{}, encoded: map[*byte]*itip.Encoded{}}, len(o.Data), nil
	})
}

// message returns the REQUEST for addr as the caller's own copy (a
// parsed calendar caches what it resolves, so none is shared between
// goroutines); nil when the version does not invite them.
func (v *version) message(addr string) (*itip.Message, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	shape := v.reqs.shape(addr)
	if shape == "" {
		return nil, nil
	}
	if m := v.msgs[shape]; m != nil {
		return m.Clone(), nil
	}
	data, err := v.reqs.get(addr)
	if err != nil {
		return nil, err
	}
	m, err := itip.Parse(data)
	if err != nil {
		return nil, err
	}
	if len(v.msgs) < maxParsedShapes {
		v.msgs[shape] = m
		return m.Clone(), nil
	}
	return m, nil
}

// mailParts returns what an invitation e-mail to addr from the
// organizer carries: the REQUEST, in its transfer encodings (shared by
// everyone of its shape), what the text says about the event, and the
// organizer's name; nil data when the version does not invite addr, or
// cancels the event (the write that did sent CANCELs instead).
func (v *version) mailParts(addr, organizer string) ([]byte, *itip.Encoded, itip.Details, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.details == nil {
		d := itip.DetailsOfComponent(masterOrFirst(v.reqs.obj))
		v.details, v.sender = &d, personName(v.reqs.obj, organizer)
	}
	if masterStatus(v.reqs.obj) == "CANCELLED" {
		return nil, nil, *v.details, v.sender, nil
	}
	data, err := v.reqs.get(addr)
	if err != nil || data == nil {
		return nil, nil, *v.details, v.sender, err
	}
	enc := v.encoded[&data[0]]
	if enc == nil {
		enc = itip.Encode(data)
		if len(v.encoded) < maxParsedShapes {
			v.encoded[&data[0]] = enc
		}
	}
	return data, enc, *v.details, v.sender, nil
}
