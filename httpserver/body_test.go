package httpserver

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveBodies runs h behind RequestBodies with a short budget on a
// loopback listener, as the server does, and returns its address.
func serveBodies(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	budget := func(*http.Request) time.Duration { return 300 * time.Millisecond }
	go func() {
		_ = ServeLimited(ctx, ln, RequestBodies(budget)(h), time.Second, DefaultLimits, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// A client that sends its body slowly, or breaks it off, is the client's
// failure (408, 499), and is not held on to for long.
func TestRequestBodies(t *testing.T) {
	codes := make(chan int, 4)
	addr := serveBodies(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		code := ClientFailure(r, err)
		if err == nil {
			// Work longer than the body's budget: the deadline is lifted.
			time.Sleep(500 * time.Millisecond)
			if r.Context().Err() != nil {
				code = -1
			}
		}
		codes <- code
		w.WriteHeader(http.StatusNoContent)
	})
	send := func(req string, hangUp bool) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		if hangUp {
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, _ = bufio.NewReader(c).ReadString('\n')
	}
	wait := func(what string, want int) {
		t.Helper()
		select {
		case got := <-codes:
			if got != want {
				t.Errorf("%s: %d, want %d", what, got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the server still waits for the body", what)
		}
	}
	head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
	send(head+"0123456789", false)
	wait("slow body", http.StatusRequestTimeout)
	send(head+"0123456789", true)
	wait("body broken off", StatusClientClosed)
	send(head+strings.Repeat("x", 100), false)
	wait("whole body, long handler", 0)
}
