package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var verifyTokenRE = regexp.MustCompile(`/verify-email/([A-Za-z0-9_-]+)`)

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
			text := strings.ReplaceAll(strings.ReplaceAll(string(b), "=\r\n", ""), "=\n", "")
			m := verifyTokenRE.FindStringSubmatch(text)
			if m == nil || !strings.Contains(text, "To: <"+addr+">") {
				continue
			}
			if code, body := api(t, "POST", url+"/api/v1/users/verify-email", "", `{"token":"`+m[1]+`"}`); code != 200 {
				t.Fatalf("verify %s: %d %v", addr, code, body)
			}
			return
		}
	}
	t.Fatalf("no verification mail to %s", addr)
}
