package scheduling

import (
	"sync"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
)

// versionCache keeps the last few organizer copies that local deliveries
// refer to, parsed, with their REQUESTs: the hundred deliveries of one
// meeting update read and render it once instead of a hundred times.
type versionCache struct {
	mu sync.Mutex
	m  map[string]*version // by object id and ETag
}

const maxVersions = 32

// version is one organizer copy and its REQUESTs by attendee shape.
type version struct {
	organizer string
	mu        sync.Mutex
	reqs      *requests
	msgs      map[string]*itip.Message // parsed REQUESTs by shape, never handed out
}

// lookup returns the parsed version of object uuid with etag, if cached.
func (c *versionCache) lookup(uuid, etag string) *version {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[uuid+"/"+etag]
}

// get returns the parsed version o, or nil when o is not an organizer's
// copy. Its REQUESTs are stamped with the time of the version, so that
// attendees' copies order versions as the organizer made them.
func (c *versionCache) get(o *store.Object) (*version, error) {
	if o.Role != store.SchedOrganizer {
		return nil, nil
	}
	k := o.UUID + "/" + o.ETag
	c.mu.Lock()
	v := c.m[k]
	c.mu.Unlock()
	if v != nil {
		return v, nil
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: []string{o.Component}})
	if err != nil {
		return nil, nil
	}
	v = &version{organizer: organizer(obj), reqs: newRequests(obj, o.ModifiedAt), msgs: map[string]*itip.Message{}}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxVersions {
		c.m = map[string]*version{}
	}
	c.m[k] = v
	c.mu.Unlock()
	return v, nil
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
	m := v.msgs[shape]
	if m == nil {
		data, err := v.reqs.get(addr)
		if err != nil {
			return nil, err
		}
		if m, err = itip.Parse(data); err != nil {
			return nil, err
		}
		v.msgs[shape] = m
	}
	return m.Clone(), nil
}
