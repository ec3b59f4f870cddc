package scheduling

import (
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
)

// requests builds the REQUESTs of one version of an event. What an
// attendee is sent depends only on which components invite them, so
// attendees with the same "shape" share one message: a meeting with 200
// attendees invited to everything is rendered once, not 200 times.
type requests struct {
	obj     *icalendar.Object
	now     time.Time
	invited []map[string]bool // per component: its attendees' addresses
	byShape map[string][]byte
	kept    int // bytes in byShape
}

// maxShapeBytes bounds the REQUESTs one version keeps: an event whose
// overrides each invite other people has as many shapes as attendees.
// Beyond it, REQUESTs are built for each recipient and dropped.
const maxShapeBytes = 8 << 20

func newRequests(obj *icalendar.Object, now time.Time) *requests {
	r := &requests{obj: obj, now: now, byShape: map[string][]byte{}}
	for _, c := range obj.Components {
		set := map[string]bool{}
		for _, a := range itip.Attendees(c.Component) {
			set[a] = true
		}
		r.invited = append(r.invited, set)
	}
	return r
}

// shape lists the components that invite addr.
func (r *requests) shape(addr string) string {
	var b strings.Builder
	for i, set := range r.invited {
		if set[addr] {
			b.WriteString(strconv.Itoa(i))
			b.WriteByte(',')
		}
	}
	return b.String()
}

// invites reports whether any component invites addr.
func (r *requests) invites(addr string) bool { return r.shape(addr) != "" }

// get returns the REQUEST for addr (nil when nothing invites them).
func (r *requests) get(addr string) ([]byte, error) {
	s := r.shape(addr)
	if s == "" {
		return nil, nil
	}
	if b, ok := r.byShape[s]; ok {
		return b, nil
	}
	b, err := itip.BuildRequest(r.obj, addr, r.now)
	if err == nil && r.kept+len(b) <= maxShapeBytes {
		r.byShape[s] = b
		r.kept += len(b)
	}
	return b, err
}
