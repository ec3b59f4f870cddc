package caldav

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"sync"
)

// reportCache keeps recent answers to calendar reports (calendar-query,
// calendar-multiget, free-busy-query). The key is everything an answer
// depends on: the calendar and its revision, the user, the URL, the headers
// that shape the answer and the request body. Every change to a calendar —
// its objects or its properties — bumps its revision, so an entry can never
// be stale and needs no invalidation; entries that are no longer asked for
// age out, least recently used first. Clients poll the same reports over
// and over (a month view, a sync window), and most polls find nothing new.
type reportCache struct {
	mu      sync.Mutex
	max     int64 // bytes
	size    int64
	entries map[[32]byte]*list.Element
	lru     *list.List // of *answer, most recent first
}

// answer is a recorded response.
type answer struct {
	key    [32]byte
	status int
	header http.Header
	body   []byte
}

// maxAnswer bounds the answers worth keeping; larger ones are not cached.
const maxAnswer = 4 << 20

func newReportCache(maxBytes int64) *reportCache {
	if maxBytes <= 0 {
		return nil
	}
	return &reportCache{max: maxBytes, entries: make(map[[32]byte]*list.Element), lru: list.New()}
}

// reportKey identifies an answer.
func reportKey(t *target, r *http.Request, body []byte) [32]byte {
	h := sha256.New()
	// The UUID, not the row id: a calendar deleted and made again under
	// the same name may get the same id (SQLite reuses the largest) and
	// starts again at the same revisions.
	h.Write([]byte(t.cal.UUID))
	var n [8]byte
	for _, v := range []int64{t.cal.Revision, t.user.ID} {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	for _, s := range []string{r.URL.Path, r.Header.Get("Depth"), r.Header.Get("Brief"),
		r.Header.Get("Prefer"), r.Header.Get("Accept-Encoding")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(body)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *reportCache) get(k [32]byte) (*answer, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(e)
	return e.Value.(*answer), true
}

func (c *reportCache) put(a *answer) {
	if c == nil || int64(len(a.body)) > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[a.key]; ok {
		return
	}
	c.entries[a.key] = c.lru.PushFront(a)
	c.size += int64(len(a.body))
	for c.size > c.max {
		old := c.lru.Remove(c.lru.Back()).(*answer)
		delete(c.entries, old.key)
		c.size -= int64(len(old.body))
	}
}

// replay writes a recorded answer.
func (a *answer) replay(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// recorder passes a response through and keeps a copy of it, unless it
// grows past maxAnswer.
type recorder struct {
	http.ResponseWriter
	status int
	body   []byte
	over   bool
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if !rec.over {
		if len(rec.body)+len(b) > maxAnswer {
			rec.over, rec.body = true, nil
		} else {
			rec.body = append(rec.body, b...)
		}
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// answer returns what was recorded, if it is complete and worth keeping.
func (rec *recorder) answer(k [32]byte) (*answer, bool) {
	if rec.over || rec.status != http.StatusMultiStatus {
		return nil, false
	}
	h := make(http.Header)
	for _, name := range []string{"Content-Type", "Content-Encoding", "Cache-Control", "Vary", "Preference-Applied"} {
		if v := rec.Header().Values(name); len(v) > 0 {
			h[name] = v
		}
	}
	return &answer{key: k, status: rec.status, header: h, body: rec.body}, true
}
