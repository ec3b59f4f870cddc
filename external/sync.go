package external

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/emersion/go-webdav"
)

// go-webdav v0.7.0's CalDAV client has no sync-collection (its CardDAV
// client does), so the REPORT is sent here; the rest of a mirror's
// traffic goes through caldav.Client.

// errSyncUnsupported: the server does not answer sync-collection.
var errSyncUnsupported = errors.New("the server does not support sync-collection")

// errInvalidToken: the server no longer accepts the sync token (RFC 6578
// §3.2 DAV:valid-sync-token); a full sync is needed.
var errInvalidToken = errors.New("the server no longer accepts the sync token")

// member is a resource of a remote collection: its path (unescaped, as
// go-webdav reports paths) and ETag; Gone marks a deletion.
type member struct {
	Path string
	ETag string
	Gone bool
}

// syncAnswer is one sync-collection response.
type syncAnswer struct {
	Token     string
	Members   []member
	Truncated bool // RFC 6578 §3.6: ask again with Token for the rest
}

// The elements of a multistatus answer that sync-collection reads
// (RFC 4918 §14.16, RFC 6578 §6).
type msMultistatus struct {
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

type msResponse struct {
	Hrefs    []string     `xml:"DAV: href"`
	Status   string       `xml:"DAV: status"`
	Propstat []msPropstat `xml:"DAV: propstat"`
}

type msPropstat struct {
	ETag   string `xml:"DAV: prop>getetag"`
	Status string `xml:"DAV: status"`
}

// syncCollection asks for the changes of collection since token ("" for
// all members, RFC 6578 §3.4).
func syncCollection(ctx context.Context, hc webdav.HTTPClient, collection, token string) (*syncAnswer, error) {
	var body strings.Builder
	body.WriteString(xml.Header + `<D:sync-collection xmlns:D="DAV:"><D:sync-token>`)
	_ = xml.EscapeText(&body, []byte(token))
	body.WriteString(`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`)
	req, err := http.NewRequestWithContext(ctx, "REPORT", collection, strings.NewReader(body.String()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("Depth", "0") // RFC 6578 §3.2: sync-level in the body, not Depth
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusMultiStatus:
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusConflict:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if token != "" && strings.Contains(string(b), "valid-sync-token") {
			return nil, errInvalidToken
		}
		return nil, errSyncUnsupported
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("the server refused the user name and password (%s)", resp.Status)
	case resp.StatusCode/100 == 4 || resp.StatusCode == http.StatusNotImplemented:
		return nil, errSyncUnsupported
	default:
		return nil, fmt.Errorf("sync-collection: the server answered %s", resp.Status)
	}
	var ms msMultistatus
	if err := xml.NewDecoder(resp.Body).Decode(&ms); err != nil {
		return nil, fmt.Errorf("sync-collection: malformed answer: %w", err)
	}
	return ms.answer(collection)
}

// answer reads the members out of a multistatus, skipping the collection
// itself.
func (ms *msMultistatus) answer(collection string) (*syncAnswer, error) {
	base, err := url.Parse(collection)
	if err != nil {
		return nil, err
	}
	out := &syncAnswer{Token: ms.SyncToken}
	for _, r := range ms.Responses {
		if len(r.Hrefs) != 1 {
			continue
		}
		ref, err := url.Parse(strings.TrimSpace(r.Hrefs[0]))
		if err != nil {
			continue
		}
		path := base.ResolveReference(ref).Path
		if path == base.Path || strings.TrimSuffix(path, "/") == strings.TrimSuffix(base.Path, "/") {
			out.Truncated = out.Truncated || statusCode(r.Status) == http.StatusInsufficientStorage
			continue
		}
		switch {
		case statusCode(r.Status) == http.StatusNotFound:
			out.Members = append(out.Members, member{Path: path, Gone: true})
		case len(r.Propstat) > 0:
			for _, ps := range r.Propstat {
				if statusCode(ps.Status) == http.StatusOK {
					out.Members = append(out.Members, member{Path: path, ETag: strings.TrimSpace(ps.ETag)})
				}
			}
		}
	}
	return out, nil
}

// statusCode reads the code of an HTTP status line ("HTTP/1.1 404 Not
// Found").
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	var n int
	fmt.Sscanf(f[1], "%d", &n)
	return n
}
