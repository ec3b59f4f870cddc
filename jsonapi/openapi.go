package jsonapi

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes this API (OpenAPI 3.1). It is written by hand and
// kept true by a test: every route is documented, and the answers of the
// package's tests validate against it.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the API's OpenAPI 3.1 document.
func OpenAPI() []byte { return openAPIDoc }

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(openAPIDoc)
}
