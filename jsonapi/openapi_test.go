package jsonapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"
)

// loadOpenAPI parses and validates the embedded document (OpenAPI 3.1,
// JSON Schema 2020-12).
func loadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI: %v", err)
	}
	return doc
}

// TestOpenAPIDocumentsEveryRoute checks that the document and the router
// agree: every registered route and method is described, and nothing else.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %s, want 3.1", doc.OpenAPI)
	}
	var routes []string
	err := chi.Walk((&API{}).Routes().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(documented)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json describes %s, which is not a route", d)
		}
	}
}

// openAPICheck validates the answers of a test server against the
// document: every test that uses newTestServer checks that the document
// tells the truth about what it got.
type openAPICheck struct {
	router routers.Router
	mu     sync.Mutex
	errs   []string
}

func newOpenAPICheck(t testing.TB) *openAPICheck {
	doc := loadOpenAPI(t)
	doc.Servers = nil // match paths without the /api/v1 prefix
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := &openAPICheck{router: router}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range c.errs {
			t.Errorf("answer does not match openapi.json: %s", e)
		}
	})
	return c
}

// wrap records each answer of h (except event streams) and validates it.
func (c *openAPICheck) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/stream") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		_, _ = w.Write(body)
		c.check(r, rec.Code, rec.Header(), body)
	})
}

func (c *openAPICheck) check(r *http.Request, status int, header http.Header, body []byte) {
	req := r.Clone(context.Background())
	req.URL.Path = strings.TrimPrefix(req.URL.Path, "/api/v1")
	req.Body = io.NopCloser(bytes.NewReader(nil))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return // not a route: the 404 or 405 is not described per path
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.mu.Lock()
		c.errs = append(c.errs, r.Method+" "+r.URL.Path+" "+http.StatusText(status)+": "+err.Error())
		c.mu.Unlock()
	}
}

func TestOpenAPIServed(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, "GET", "/openapi.json", "", "")
	if r.status != 200 || r.raw != string(OpenAPI()) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
