package caldav

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for ae, want := range map[string]bool{"gzip": true, "gzip;q=0.5": true, "gzip; q=0.001": true, "gzip;q=0": false,
		"gzip;q=0.0": false, "br, gzip": true, "deflate, gzip;q=1.0": true, "": false, "identity": false} {
		r := httptest.NewRequest("PROPFIND", "/", nil)
		r.Header.Set("Accept-Encoding", ae)
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", ae, got, want)
		}
	}
}

// A multistatus is compressed only when it is large enough to gain: a poll
// that finds nothing goes out as it is.
func TestMultistatusGzipOnlyWhenWorthIt(t *testing.T) {
	for _, c := range []struct {
		name      string
		responses int
		gzipped   bool
	}{{"empty sync answer", 0, false}, {"a few members", 3, false}, {"many members", 200, true}, {"streamed", 2000, true}} {
		r := httptest.NewRequest("REPORT", "/", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		ms := newMultistatus(w, r)
		for i := range c.responses {
			ms.status("/dav/calendars/alice/work/"+strconv.Itoa(i)+".ics", http.StatusNotFound)
		}
		if err := ms.close("urn:x"); err != nil {
			t.Fatal(err)
		}
		body := w.Body.Bytes()
		if got := w.Header().Get("Content-Encoding") == "gzip"; got != c.gzipped {
			t.Errorf("%s: gzip %v, want %v", c.name, got, c.gzipped)
		}
		if c.gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			body, _ = io.ReadAll(zr)
		}
		if w.Code != http.StatusMultiStatus || !bytes.HasSuffix(body, []byte("</D:multistatus>\n")) ||
			bytes.Count(body, []byte("<D:response>")) != c.responses {
			t.Errorf("%s: %d %q", c.name, w.Code, body)
		}
		if vary := strings.Join(w.Header().Values("Vary"), ","); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("%s: Vary %q", c.name, vary)
		}
	}
}
