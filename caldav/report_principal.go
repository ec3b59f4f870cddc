package caldav

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/almanac/almanac/store"
)

// What one user may see of another's principal: enough to invite them
// (RFC 6638 §2.4.1 address, display name), nothing about their calendars.
var publicPrincipalProps = map[xml.Name]bool{
	pnResourceType: true, pnDisplayName: true, dav("principal-URL"): true,
	cdav("calendar-user-address-set"): true, cdav("calendar-user-type"): true,
	cs("email-address-set"): true,
}

// searchable lists the properties principal-property-search matches on
// (RFC 3744 §9.5), with the user field each reads.
var searchable = []struct {
	name  xml.Name
	desc  string
	value func(u *store.User) []string
}{
	{pnDisplayName, "Display name", func(u *store.User) []string { return []string{u.DisplayName, u.Name} }},
	{cdav("calendar-user-address-set"), "Calendar user address", func(u *store.User) []string { return verified("mailto:", u) }},
	{cs("email-address-set"), "E-mail address", func(u *store.User) []string { return verified("", u) }},
}

// verified is the user's address behind prefix, once verified: a search
// finds no one by an address they have not proved is theirs.
func verified(prefix string, u *store.User) []string {
	if e := u.VerifiedEmail(); e != "" {
		return []string{prefix + e}
	}
	return nil
}

// principalSearchPropertySet answers RFC 3744 §9.5.
func (h *Handler) principalSearchPropertySet(w http.ResponseWriter, r *http.Request, t *target) error {
	var b strings.Builder
	b.WriteString(xml.Header + `<D:principal-search-property-set ` + rootNS + `>`)
	for _, s := range searchable {
		b.WriteString("<D:principal-search-property><D:prop>" + emptyTag(s.name) + `</D:prop><D:description xml:lang="en">` + s.desc + "</D:description></D:principal-search-property>")
	}
	b.WriteString("</D:principal-search-property-set>")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	return nil
}

type propertySearch struct {
	names     []xml.Name
	match     string
	matchType string
}

// maxSearchResults bounds a principal search: it serves attendee
// autocompletion, not a directory dump.
const maxSearchResults = 50

// principalPropertySearch answers RFC 3744 §9.4: users whose searchable
// properties contain the match strings, with the public part of their
// principal, among those searchScope lets the caller find.
func (h *Handler) principalPropertySearch(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	var searches []propertySearch
	for _, ps := range root.Children {
		if !ps.is(nsDAV, "property-search") {
			continue
		}
		s := propertySearch{match: strings.ToLower(strings.TrimSpace(ps.child(nsDAV, "match").textOr("")))}
		s.matchType, _ = ps.child(nsDAV, "match").attrOr("match-type")
		for _, p := range ps.child(nsDAV, "prop").childrenOrNil() {
			s.names = append(s.names, p.Name)
		}
		searches = append(searches, s)
	}
	if len(searches) == 0 {
		return badXML("principal-property-search needs DAV:property-search")
	}
	anyOf, _ := root.attr("test")
	users, err := h.searchScope(r.Context(), t.user)
	if err != nil {
		return err
	}
	req := &propRequest{}
	for _, p := range root.child(nsDAV, "prop").childrenOrNil() {
		req.names = append(req.names, p.Name)
	}
	ms := newMultistatus(w, r)
	found := 0
	for _, u := range users {
		if found == maxSearchResults || !matchesSearches(u, searches, anyOf == "anyof") {
			continue
		}
		found++
		stats, err := h.principalProps(r.Context(), t.user, u, req)
		if err != nil {
			abort(r, err)
		}
		ms.response(principalHref(u.Name), stats...)
	}
	return ms.close("")
}

// searchScope is the users a principal search covers: the caller and
// everyone they share a calendar with, either way, by name. RFC 3744 §9.4
// lets a server limit a search to the principals it chooses; a directory
// of every user's name and address is not what any user needs to see.
func (h *Handler) searchScope(ctx context.Context, u *store.User) ([]*store.User, error) {
	ids := map[int64]bool{u.ID: true}
	visible, err := h.cals.Calendars(ctx, u)
	if err != nil {
		return nil, err
	}
	for _, v := range visible {
		ids[v.OwnerID] = true
		if v.OwnerID != u.ID {
			continue
		}
		shares, err := h.st.ListShares(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		for _, sh := range shares {
			ids[sh.UserID] = true
		}
	}
	out := make([]*store.User, 0, len(ids))
	for id := range ids {
		other, err := h.st.GetUser(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, err
		}
		out = append(out, other)
	}
	slices.SortFunc(out, func(a, b *store.User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func matchesSearches(u *store.User, searches []propertySearch, anyOf bool) bool {
	for _, s := range searches {
		ok := matchesSearch(u, s)
		if anyOf && ok {
			return true
		}
		if !anyOf && !ok {
			return false
		}
	}
	return !anyOf
}

func matchesSearch(u *store.User, s propertySearch) bool {
	for _, n := range s.names {
		for _, f := range searchable {
			if f.name != n {
				continue
			}
			for _, v := range f.value(u) {
				v = strings.ToLower(v)
				switch s.matchType {
				case "starts-with":
					if strings.HasPrefix(v, s.match) || strings.HasPrefix(strings.TrimPrefix(v, "mailto:"), s.match) {
						return true
					}
				case "equals":
					if v == s.match {
						return true
					}
				default:
					if strings.Contains(v, s.match) {
						return true
					}
				}
			}
		}
	}
	return false
}

// principalProps computes a principal's properties for the caller: all of
// their own, the public ones of others.
func (h *Handler) principalProps(ctx context.Context, caller, u *store.User, req *propRequest) ([]propstat, error) {
	rs := &resource{kind: kindPrincipal, href: principalHref(u.Name), user: caller, owner: u}
	if caller.ID == u.ID {
		return h.props(ctx, rs, req)
	}
	visible := &propRequest{}
	var hidden []prop
	for _, n := range req.names {
		if publicPrincipalProps[n] {
			visible.names = append(visible.names, n)
		} else {
			hidden = append(hidden, prop{name: n})
		}
	}
	stats, err := h.props(ctx, rs, visible)
	if err != nil {
		return nil, err
	}
	stats[1].props = append(stats[1].props, hidden...)
	return stats, nil
}

// expandProperty answers the expand-property REPORT (RFC 3253 §3.8):
// href-valued properties are replaced by the responses of the resources
// they name, with the nested properties asked for.
func (h *Handler) expandProperty(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	rs, err := h.resourceOf(r.Context(), t, &propRequest{})
	if err != nil {
		return err
	}
	ms := newMultistatus(w, r)
	ok, missing := h.expandProps(r.Context(), rs, root.Children, 0)
	ms.response(rs.href, propstat{status: http.StatusOK, props: ok}, propstat{status: http.StatusNotFound, props: missing})
	return ms.close("")
}

// expandProps computes the DAV:property elements of an expand-property
// request for one resource; depth bounds the recursion.
func (h *Handler) expandProps(ctx context.Context, rs *resource, elems []*node, depth int) (ok, missing []prop) {
	for _, e := range elems {
		if !e.is(nsDAV, "property") {
			continue
		}
		name, _ := e.attr("name")
		space, has := e.attr("namespace")
		if !has {
			space = nsDAV
		}
		n := xml.Name{Space: space, Local: name}
		if rs.kind == kindPrincipal && rs.owner.ID != rs.user.ID && !publicPrincipalProps[n] {
			missing = append(missing, prop{name: n})
			continue
		}
		p, found, err := h.prop(ctx, rs, n)
		if err != nil || !found {
			missing = append(missing, prop{name: n})
			continue
		}
		if len(e.Children) > 0 && depth < 4 {
			p.inner = h.expandHrefs(ctx, rs.user, p.inner, e.Children, depth+1)
		}
		ok = append(ok, p)
	}
	return ok, missing
}

// expandHrefs replaces each DAV:href in a property value by the response
// of the resource it names.
func (h *Handler) expandHrefs(ctx context.Context, user *store.User, inner string, elems []*node, depth int) string {
	root, err := parseXMLBytes([]byte("<D:x " + rootNS + ">" + inner + "</D:x>"))
	if err != nil {
		return inner
	}
	var b strings.Builder
	for _, c := range root.Children {
		if !c.is(nsDAV, "href") {
			continue
		}
		b.WriteString("<D:response><D:href>" + escapeText(c.Text) + "</D:href>")
		rs := h.hrefResource(ctx, user, c.Text)
		if rs == nil {
			b.WriteString("<D:status>HTTP/1.1 404 Not Found</D:status></D:response>")
			continue
		}
		ok, missing := h.expandProps(ctx, rs, elems, depth)
		for _, ps := range []propstat{{status: http.StatusOK, props: ok}, {status: http.StatusNotFound, props: missing}} {
			writePropstat(&b, ps)
		}
		b.WriteString("</D:response>")
	}
	return b.String()
}

// hrefResource resolves a principal or calendar-home href to a resource.
func (h *Handler) hrefResource(ctx context.Context, user *store.User, href string) *resource {
	if u, err := url.Parse(href); err == nil {
		href = u.Path
	}
	for _, p := range []struct {
		prefix string
		k      kind
	}{{Prefix + "/principals/", kindPrincipal}, {Prefix + "/calendars/", kindHome}} {
		rest, ok := strings.CutPrefix(href, p.prefix)
		name := strings.TrimSuffix(rest, "/")
		if !ok || name == "" || strings.Contains(name, "/") {
			continue
		}
		u, err := h.st.GetUserByName(ctx, name)
		if err != nil || (p.k == kindHome && u.ID != user.ID) {
			return nil
		}
		return &resource{kind: p.k, href: href, user: user, owner: u}
	}
	return nil
}

// writePropstat writes a propstat into a builder (for nested responses).
func writePropstat(b *strings.Builder, ps propstat) {
	if len(ps.props) == 0 {
		return
	}
	b.WriteString("<D:propstat><D:prop>")
	for _, p := range ps.props {
		switch {
		case p.raw != "":
			b.WriteString(p.raw)
		case p.inner == "":
			b.WriteString(emptyTag(p.name))
		default:
			b.WriteString(openTag(p.name) + p.inner + closeTag(p.name))
		}
	}
	b.WriteString("</D:prop><D:status>HTTP/1.1 " + statusText(ps.status) + "</D:status></D:propstat>")
}

func (n *node) attrOr(name string) (string, bool) {
	if n == nil {
		return "", false
	}
	return n.attr(name)
}
