package httpserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// StatusClientClosed is what the access log and metrics record for a
// request whose client went away before it was answered (nginx's 499):
// a 4xx, as the client, not the server, failed.
const StatusClientClosed = 499

type bodyKey struct{}

// bodyState is what became of a request's body.
type bodyState struct{ err error }

// RequestBodies gives each request that has a body budget(r) to send it
// (0: no limit), through the connection's read deadline, which is lifted
// once the body has been read, so that a handler working longer than the
// budget is not cut off. Requests without a body (a Server-Sent Events
// stream) get none: the header read timeout already covers them. It also
// records how reading the body failed, for ClientFailure.
func RequestBodies(budget func(*http.Request) time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			st := &bodyState{}
			b := &trackedBody{ReadCloser: r.Body, st: st}
			if d := budget(r); d > 0 {
				rc := http.NewResponseController(w)
				if rc.SetReadDeadline(time.Now().Add(d)) == nil {
					b.lift = func() { _ = rc.SetReadDeadline(time.Time{}) }
				}
			}
			r.Body = b
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, st)))
		})
	}
}

type trackedBody struct {
	io.ReadCloser
	st   *bodyState
	lift func()
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.lift != nil {
		b.lift()
		b.lift = nil
	} else if err != nil && err != io.EOF && b.st.err == nil {
		b.st.err = err
	}
	return n, err
}

// ClientFailure says whether err, met while handling r, is the client's
// doing rather than the server's: 408 when the client took too long to
// send its body, StatusClientClosed when it went away (its body broke off,
// however the parser that met it reports that, or the request was
// cancelled), 0 otherwise. Front ends answer it with that status and log
// it as the client's failure, not as a 500.
func ClientFailure(r *http.Request, err error) int {
	if err == nil {
		return 0
	}
	var mbe *http.MaxBytesError
	if st, _ := r.Context().Value(bodyKey{}).(*bodyState); st != nil && st.err != nil && !errors.As(st.err, &mbe) {
		var ne net.Error
		if errors.As(st.err, &ne) && ne.Timeout() {
			return http.StatusRequestTimeout
		}
		return StatusClientClosed
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return StatusClientClosed
	}
	return 0
}
