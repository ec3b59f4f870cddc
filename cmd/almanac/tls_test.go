package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/cmd/almanac/servetest"
)

// selfSigned writes a self-signed certificate (its own CA) for the names
// and addresses into dir and returns the paths of the certificate and key.
func selfSigned(t *testing.T, dir, prefix string, names ...string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, prefix+"cert.pem"), filepath.Join(dir, prefix+"key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kb)
	return certFile, keyFile, cert
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// httpsClient trusts roots only and sends every request to addr, whatever
// the host of its URL (as DNS pointing the name at this machine would).
func httpsClient(roots *x509.CertPool, addr string) *http.Client {
	d := &net.Dialer{Timeout: 3 * time.Minute}
	return &http.Client{
		Timeout: 3 * time.Minute,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			DisableKeepAlives: true,
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// TestTLSFromFiles serves HTTPS from certificate files: HSTS, Secure
// session cookies, a plain request refused, and a renewed certificate
// picked up without a restart.
func TestTLSFromFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, dir, "", "127.0.0.1", "localhost")
	env := []string{"ALMANAC_DATA_DIR=" + filepath.Join(dir, "data"), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL=",
		"ALMANAC_TLS_CERT=" + certFile, "ALMANAC_TLS_KEY=" + keyFile}
	srv := servetest.Start(t, servetest.Build(t), env...)
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s", srv.URL)
	}
	addr := strings.TrimPrefix(srv.URL, "https://")
	c := httpsClient(pool(cert), addr)

	resp, err := c.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	register := `{"name":"alice","email":"alice@example.com","password":"correct horse"}`
	if resp, err = c.Post(srv.URL+"/api/v1/users/register", "application/json", strings.NewReader(register)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login := `{"login":"alice","password":"correct horse"}`
	if resp, err = c.Post(srv.URL+"/api/v1/users/login", "application/json", strings.NewReader(login)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) == 0 || !resp.Cookies()[0].Secure {
		t.Fatalf("login over HTTPS: %d, cookies %v; want a Secure session cookie", resp.StatusCode, resp.Header["Set-Cookie"])
	}

	plain, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode != 400 {
			t.Fatalf("plain HTTP to the HTTPS port: %d", plain.StatusCode)
		}
	}

	// A renewal replaces the files; new connections get the new pair.
	_, _, renewed := selfSigned(t, dir, "", "127.0.0.1", "localhost")
	c = httpsClient(pool(renewed), addr)
	resp, err = c.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("after renewal: %v", err)
	}
	resp.Body.Close()
	if got := resp.TLS.PeerCertificates[0].SerialNumber; got.Cmp(renewed.SerialNumber) != 0 {
		t.Fatalf("serial %v after renewal, want %v", got, renewed.SerialNumber)
	}
}

// TestTLSSettings: settings that cannot work are refused before serving.
func TestTLSSettings(t *testing.T) {
	for _, c := range []struct {
		cfg       tlsConfig
		publicURL string
		want      string
	}{
		{tlsConfig{CertFile: "c.pem"}, "", "go together"},
		{tlsConfig{ACME: true}, "", "--public-url https://HOST"},
		{tlsConfig{ACME: true}, "http://cal.example.com", "--public-url https://HOST"},
		{tlsConfig{ACME: true}, "https://192.0.2.1", "host name"},
		{tlsConfig{ACME: true, CertFile: "c.pem", KeyFile: "k.pem"}, "https://cal.example.com", "exclude"},
	} {
		err := c.cfg.check(c.publicURL)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v with %q: %v, want %q", c.cfg, c.publicURL, err, c.want)
		}
	}
	ok := tlsConfig{ACME: true}
	if err := ok.check("https://cal.example.com"); err != nil {
		t.Error(err)
	}
	if err := hostOnly("cal.example.com")(context.Background(), "cal.example.com:5002"); err != nil {
		t.Errorf("host with port: %v", err)
	}
	if err := hostOnly("cal.example.com")(context.Background(), "other.example.com"); err == nil {
		t.Error("another host was allowed")
	}
}

// freePort finds a loopback TCP port nothing listens on (for a moment).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestACME obtains a certificate from a local ACME CA (Debian's pebble,
// with pebble-challtestsrv answering its DNS queries with 127.0.0.1),
// once by TLS-ALPN-01 and once by HTTP-01, the CA unable to reach the
// TLS port.
func TestACME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary and an ACME CA")
	}
	for _, tool := range []string{"pebble", "pebble-challtestsrv"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed (apt-get install pebble)", tool)
		}
	}
	bin := servetest.Build(t)
	t.Run("tls-alpn-01", func(t *testing.T) { acmeIssue(t, bin, false) })
	t.Run("http-01", func(t *testing.T) { acmeIssue(t, bin, true) })
}

func acmeIssue(t *testing.T, bin string, httpOnly bool) {
	dir := t.TempDir()
	tlsPort, httpPort := freePort(t), freePort(t)
	caTLSPort := tlsPort
	if httpOnly {
		caTLSPort = freePort(t) // nothing listens there: TLS-ALPN-01 fails
	}
	ca := startPebble(t, dir, httpPort, caTLSPort)
	const host = "almanac.test"
	env := []string{"ALMANAC_DATA_DIR=" + filepath.Join(dir, "data"), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL=",
		"SSL_CERT_FILE=" + ca.certFile} // the CA's own HTTPS certificate
	flags := []string{"--listen", "127.0.0.1:" + strconv.Itoa(tlsPort), "--acme", "--acme-directory", ca.directory,
		"--acme-http-listen", "127.0.0.1:" + strconv.Itoa(httpPort), "--public-url", "https://" + host + ":" + strconv.Itoa(tlsPort)}
	servetest.StartWith(t, bin, flags, env...)

	c := httpsClient(pool(ca.root(t)), "127.0.0.1:"+strconv.Itoa(tlsPort))
	resp, err := c.Get("https://" + host + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS with a certificate from the CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	if names := resp.TLS.PeerCertificates[0].DNSNames; len(names) != 1 || names[0] != host {
		t.Fatalf("certificate for %v", names)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "acme", host)); err != nil {
		t.Errorf("certificate not cached: %v", err)
	}
	// The HTTP listener sends everything but challenges to HTTPS.
	req, _ := http.NewRequest("GET", "http://127.0.0.1:"+strconv.Itoa(httpPort)+"/calendar?x=1", nil)
	req.Host = host
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err = plain.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || loc != "https://"+host+"/calendar?x=1" {
		t.Fatalf("HTTP listener: %d, Location %q", resp.StatusCode, loc)
	}
}

// pebbleCA is a running pebble.
type pebbleCA struct {
	directory  string // ACME directory URL
	management string // https://127.0.0.1:port of its management API
	certFile   string // its HTTPS certificate, self-signed
	client     *http.Client
}

// startPebble runs pebble-challtestsrv as the DNS server (every name is
// 127.0.0.1) and pebble validating on httpPort and tlsPort; both stop
// when the test ends.
func startPebble(t *testing.T, dir string, httpPort, tlsPort int) *pebbleCA {
	t.Helper()
	dnsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startProcess(t, "pebble-challtestsrv", nil, "-dns01", dnsAddr, "-http01", "", "-https01", "", "-tlsalpn01", "",
		"-management", "127.0.0.1:"+strconv.Itoa(freePort(t)), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	certFile, keyFile, cert := selfSigned(t, dir, "pebble-", "127.0.0.1", "localhost")
	listen, mgmt := "127.0.0.1:"+strconv.Itoa(freePort(t)), "127.0.0.1:"+strconv.Itoa(freePort(t))
	conf, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": httpPort, "tlsPort": tlsPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
	}})
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	// No random sleeps before validating, no rejected nonces, no reuse of
	// authorizations between the two orders of the HTTP-01 case.
	startProcess(t, "pebble", []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		"-config", confFile, "-dnsserver", dnsAddr, "-strict=false")
	ca := &pebbleCA{directory: "https://" + listen + "/dir", management: "https://" + mgmt, certFile: certFile,
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(cert)}}}}
	for i := 0; ; i++ {
		resp, err := ca.client.Get(ca.directory)
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 120 {
			t.Fatalf("pebble does not answer: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return ca
}

// root is the CA's root certificate, which it makes anew at every start.
func (ca *pebbleCA) root(t *testing.T) *x509.Certificate {
	t.Helper()
	resp, err := ca.client.Get(ca.management + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("pebble root: %d %s", resp.StatusCode, b)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// startProcess runs a helper program for the test, its output in the
// test log, and kills it when the test ends.
func startProcess(t *testing.T, name string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &testWriter{t: t, prefix: name + ": "}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.close()
	})
}

// testWriter logs what a helper program prints while the test runs.
type testWriter struct {
	t      *testing.T
	prefix string
	done   bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done && testing.Verbose() {
		w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() { w.done = true }
