package caldav

import (
	"net/http/httptest"
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
