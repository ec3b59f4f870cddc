package caldav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// XML namespaces the handler speaks.
const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
	nsApple  = "http://apple.com/ns/ical/"
)

// Limits on request bodies. encoding/xml never expands custom entities, so
// an entity bomb cannot blow up; depth and element counts bound the rest.
const (
	maxXMLBody     = 1 << 20
	maxXMLDepth    = 64
	maxXMLElements = 20_000
)

// errBadXML rejects a request body that is not the XML the method needs;
// it is answered 400 Bad Request.
type errBadXML struct{ msg string }

func (e *errBadXML) Error() string { return "bad XML request body: " + e.msg }

func badXML(format string, args ...any) error { return &errBadXML{fmt.Sprintf(format, args...)} }

// node is an element of a parsed request body. Requests are small, so a
// tree is the simplest thing that lets each method read what it needs and
// lets dead properties be stored as they came.
type node struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*node
	Text     string // character data directly inside the element
}

// parseXML reads one XML document of at most maxXMLBody bytes. An empty
// body gives (nil, nil): several methods treat it as a default request.
func parseXML(r io.Reader) (*node, error) {
	data, err := readXMLBody(r)
	if err != nil {
		return nil, err
	}
	return parseXMLBytes(data)
}

// readXMLBody reads a request body up to the size limit.
func readXMLBody(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxXMLBody+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxXMLBody {
		return nil, errTooLarge
	}
	return data, nil
}

var errTooLarge = errors.New("request body too large")

func parseXMLBytes(data []byte) (*node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	var (
		stack []*node
		root  *node
		count int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badXML("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxXMLElements || len(stack) >= maxXMLDepth {
				return nil, badXML("document too large or too deeply nested")
			}
			n := &node{Name: t.Name, Attr: t.Copy().Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, badXML("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, badXML("text outside the root element")
			}
		case xml.Directive:
			// RFC 4918 §20.6: servers should not process DTDs at all.
			return nil, badXML("DTDs are not accepted")
		}
	}
	if root == nil {
		return nil, badXML("no root element")
	}
	return root, nil
}

// is reports whether n is the element space:local.
func (n *node) is(space, local string) bool {
	return n != nil && n.Name.Space == space && n.Name.Local == local
}

// child returns the first child named space:local, or nil.
func (n *node) child(space, local string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.is(space, local) {
			return c
		}
	}
	return nil
}

// attr returns the value of the unqualified attribute name.
func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// inner serialises n's content (children and text) so that it can be
// written inside an element of the same name elsewhere. Namespaces are
// declared on each element that needs them, so the fragment stands alone.
func (n *node) inner() string {
	var b strings.Builder
	writeText(&b, strings.TrimSpace(textOnlyIfLeaf(n)))
	for _, c := range n.Children {
		c.serialize(&b)
	}
	return b.String()
}

func textOnlyIfLeaf(n *node) string {
	if len(n.Children) == 0 {
		return n.Text
	}
	return ""
}

// nsXML is the namespace bound to the prefix xml, which must not be
// declared under another (Namespaces in XML §3).
const nsXML = "http://www.w3.org/XML/1998/namespace"

// serialize writes n as a self-contained element. Its attributes come
// first, as a client wrote them (xml:lang stays xml:lang), then the
// namespace declaration.
func (n *node) serialize(b *strings.Builder) {
	b.WriteString("<")
	b.WriteString(n.Name.Local)
	ns := 0 // prefixes a0, a1 … for attributes in other namespaces
	for _, a := range n.Attr {
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			continue
		case a.Name.Space == nsXML || a.Name.Space == "xml":
			fmt.Fprintf(b, ` xml:%s='`, a.Name.Local)
		case a.Name.Space != "":
			fmt.Fprintf(b, ` xmlns:a%d='`, ns)
			writeAttr(b, a.Name.Space)
			fmt.Fprintf(b, `' a%d:%s='`, ns, a.Name.Local)
			ns++
		default:
			fmt.Fprintf(b, ` %s='`, a.Name.Local)
		}
		writeAttr(b, a.Value)
		b.WriteString(`'`)
	}
	if n.Name.Space != "" {
		b.WriteString(` xmlns="`)
		writeAttr(b, n.Name.Space)
		b.WriteString(`"`)
	}
	if len(n.Children) == 0 && strings.TrimSpace(n.Text) == "" {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	b.WriteString(n.inner())
	b.WriteString("</")
	b.WriteString(n.Name.Local)
	b.WriteString(">")
}

// writeText escapes character data. Carriage returns are escaped so that
// iCalendar's CRLF line ends survive XML end-of-line normalisation.
func writeText(w interface{ WriteString(string) (int, error) }, s string) { writeEscaped(w, s, false) }

func writeEscaped(w interface{ WriteString(string) (int, error) }, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#13;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\'':
			if !attr {
				continue
			}
			esc = "&apos;"
		default:
			if s[i] < 0x20 && s[i] != '\n' && s[i] != '\t' {
				esc = "\uFFFD" // not representable in XML 1.0
			} else {
				continue
			}
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
}

func writeAttr(w interface{ WriteString(string) (int, error) }, s string) {
	writeEscaped(w, s, true)
}

func escapeAttr(s string) string {
	var b strings.Builder
	writeAttr(&b, s)
	return b.String()
}

// escapeText returns s escaped as character data.
func escapeText(s string) string {
	var b strings.Builder
	writeText(&b, s)
	return b.String()
}
