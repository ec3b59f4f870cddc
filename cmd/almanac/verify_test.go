package main

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	verifyTokenRE = regexp.MustCompile(`/verify-email/([A-Za-z0-9_-]+)`)
	verifyToRE    = regexp.MustCompile(`(?m)^To: <([^>]+)>`)
)

// verifyByMail follows the verification link the server (without a relay)
// wrote for addr into DATA_DIR/mail-out, as the address's owner would, so
// that the account is matched to its address.
func verifyByMail(t *testing.T, url, dataDir, addr string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dataDir, "mail-out", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if token, ok := verifyToken(string(b), addr); ok {
				followVerifyLink(t, url, addr, token)
				return
			}
		}
	}
	t.Fatalf("no verification mail to %s", addr)
}

// verifyToken finds the verification token in a message to addr.
func verifyToken(message, addr string) (string, bool) {
	text := strings.ReplaceAll(strings.ReplaceAll(message, "=\r\n", ""), "=\n", "")
	m := verifyTokenRE.FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, "To: <"+addr+">") {
		return "", false
	}
	return m[1], true
}

func followVerifyLink(t *testing.T, url, addr, token string) {
	t.Helper()
	if code, body := api(t, "POST", url+"/api/v1/users/verify-email", "", `{"token":"`+token+`"}`); code != 200 {
		t.Fatalf("verify %s: %d %v", addr, code, body)
	}
}

// linkBox keeps the verification links that reached a test's relay, by
// address, for the test to follow as the address's owner would.
type linkBox struct {
	mu     sync.Mutex
	tokens map[string]string
}

// note records the verification link of one relayed message, if it has
// one.
func (b *linkBox) note(message string) {
	to := verifyToRE.FindStringSubmatch(message)
	if to == nil {
		return
	}
	if token, ok := verifyToken(message, to[1]); ok {
		b.mu.Lock()
		if b.tokens == nil {
			b.tokens = map[string]string{}
		}
		b.tokens[to[1]] = token
		b.mu.Unlock()
	}
}

// read reads one relayed message, notes its verification link and
// returns its header: what each test relay's Data does first.
func (b *linkBox) read(r io.Reader) (textproto.MIMEHeader, error) {
	message, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	b.note(string(message))
	return textproto.NewReader(bufio.NewReader(bytes.NewReader(message))).ReadMIMEHeader()
}

// verify waits for addr's verification link and follows it.
func (b *linkBox) verify(t *testing.T, url, addr string) {
	t.Helper()
	var token string
	waitFor(t, 20*time.Second, "the verification mail to "+addr, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		token = b.tokens[addr]
		return token != ""
	})
	followVerifyLink(t, url, addr, token)
}
