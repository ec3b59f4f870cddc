package jsonapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody bounds JSON request bodies.
const maxBody = 1 << 20

// decode reads one JSON object from the request into v. Unknown fields,
// wrong types, trailing data, a wrong content type and oversized bodies are
// problems that say what is wrong and where.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// readBody reads a JSON request body, at most maxBody bytes of it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "send application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, decodeProblem(err)
	}
	return body, nil
}

// decodeStrict decodes exactly one JSON object from body into v.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return newProblem(http.StatusBadRequest, "malformed-json", "the body must hold exactly one JSON object")
	}
	return nil
}

// presentFields lists the top-level members of a JSON object that decoded
// already, null ones included.
func presentFields(body []byte) map[string]bool {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m)
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func decodeProblem(err error) *Problem {
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		size *http.MaxBytesError
	)
	switch {
	case errors.As(err, &size):
		return newProblem(http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the body exceeds %d bytes", size.Limit))
	case errors.As(err, &syn):
		return newProblem(http.StatusBadRequest, "malformed-json", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, err))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return newProblem(http.StatusBadRequest, "malformed-json", "the body must be a JSON object")
		}
		return fieldProblem(http.StatusBadRequest, field, "must be "+jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(http.StatusBadRequest, "malformed-json", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldProblem(http.StatusBadRequest, field, "is not a known field")
	}
	return newProblem(http.StatusBadRequest, "malformed-json", err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int32", "int64", "uint", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	}
	return "an object"
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
