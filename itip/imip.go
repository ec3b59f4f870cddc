package itip

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	mtextproto "github.com/emersion/go-message/textproto"
)

// Mail is an iMIP message to build (RFC 6047).
type Mail struct {
	From      *mail.Address // header From: the server's address, shown with the sender's name
	ReplyTo   *mail.Address // the person answers go to (organizer or attendee)
	To        []*mail.Address
	Subject   string
	Date      time.Time
	MessageID string // without angle brackets
	Text      string // plain-text body
	HTML      string // HTML body
	Method    string
	Calendar  []byte // the iTIP message
	// AutoSubmitted marks mail sent without a person pressing send (RFC
	// 3834 §5), so auto-responders stay quiet.
	AutoSubmitted bool
	// Shared, when it holds Calendar, saves encoding it again.
	Shared *Encoded
}

// Encoded is a calendar in the two transfer encodings an iMIP message
// carries it in. Every recipient of one invitation gets the same
// calendar, so a caller sending many shares one Encoded.
type Encoded struct {
	data, qp, b64 []byte
}

// Encode prepares cal for Mail.Shared.
func Encode(cal []byte) *Encoded {
	e := &Encoded{data: cal, qp: quotedPrintable(cal)}
	e.b64 = make([]byte, 0, base64.StdEncoding.EncodedLen(len(cal))*77/76+2)
	enc := base64.StdEncoding.EncodeToString(cal)
	for len(enc) > 76 {
		e.b64 = append(append(e.b64, enc[:76]...), '\r', '\n')
		enc = enc[76:]
	}
	e.b64 = append(append(e.b64, enc...), '\r', '\n')
	return e
}

// headerText makes a display name or subject one line of text: names
// come from users and from CN parameters (where RFC 6868 lets ^n stand
// for a line break), and a line break or other control character in a
// header field would break the message or let its text pass for header
// fields of its own (RFC 5322 §2.2). Each run of them becomes a space.
func headerText(s string) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(clean), " ")
}

// headerAddresses copies addresses with their names made header text.
func headerAddresses(list ...*mail.Address) []*mail.Address {
	out := make([]*mail.Address, len(list))
	for i, a := range list {
		out[i] = &mail.Address{Name: headerText(a.Name), Address: a.Address}
	}
	return out
}

func quotedPrintable(b []byte) []byte {
	var out bytes.Buffer
	w := quotedprintable.NewWriter(&out)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// Bytes renders the message in the shape Gmail, Outlook and Apple Mail show
// as an invitation: multipart/mixed holding a multipart/alternative of
// text/plain, text/html and text/calendar with its method parameter
// (RFC 6047 §2.4), and the same calendar as an .ics attachment for clients
// that only look at attachments.
func (m *Mail) Bytes() ([]byte, error) {
	enc := m.Shared
	if enc == nil || !bytes.Equal(enc.data, m.Calendar) {
		enc = Encode(m.Calendar)
	}
	var h mail.Header
	h.Set("MIME-Version", "1.0")
	h.SetAddressList("From", headerAddresses(m.From))
	if m.ReplyTo != nil {
		h.SetAddressList("Reply-To", headerAddresses(m.ReplyTo))
	}
	h.SetAddressList("To", headerAddresses(m.To...))
	h.SetSubject(headerText(m.Subject))
	h.SetDate(m.Date)
	h.SetMessageID(m.MessageID)
	if m.AutoSubmitted {
		h.Set("Auto-Submitted", "auto-generated")
	}
	mixed, alt := boundary(m.MessageID, "mixed"), boundary(m.MessageID, "alt")
	h.Set("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mixed}))
	var b bytes.Buffer
	b.Grow(len(enc.qp) + len(enc.b64) + 3*len(m.HTML) + 2048)
	if err := mtextproto.WriteHeader(&b, h.Header.Header); err != nil {
		return nil, err
	}
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(mixed); err != nil {
		return nil, err
	}
	if err := m.writeAlternative(mw, alt, enc); err != nil {
		return nil, err
	}
	name := attachmentName(m.Method)
	if err := writeRaw(mw, map[string]string{
		"Content-Type":              mime.FormatMediaType("application/ics", map[string]string{"name": name}),
		"Content-Disposition":       mime.FormatMediaType("attachment", map[string]string{"filename": name}),
		"Content-Transfer-Encoding": "base64",
	}, enc.b64); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// boundary derives a part boundary from the message id so that the same
// message renders to the same bytes.
func boundary(id, part string) string {
	sum := sha256.Sum256([]byte(id + "/" + part))
	return part + "-" + hex.EncodeToString(sum[:12])
}

func attachmentName(method string) string {
	switch method {
	case Reply:
		return "reply.ics"
	case Cancel:
		return "cancel.ics"
	}
	return "invite.ics"
}

func (m *Mail) writeAlternative(mw *multipart.Writer, boundary string, enc *Encoded) error {
	pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {
		mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary})}})
	if err != nil {
		return err
	}
	alt := multipart.NewWriter(pw)
	if err := alt.SetBoundary(boundary); err != nil {
		return err
	}
	qp := "quoted-printable"
	parts := []struct {
		ctype string
		body  []byte
	}{
		{mime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8"}), quotedPrintable([]byte(m.Text))},
		{mime.FormatMediaType("text/html", map[string]string{"charset": "utf-8"}), quotedPrintable([]byte(m.HTML))},
		{mime.FormatMediaType("text/calendar", map[string]string{"method": m.Method, "charset": "UTF-8"}), enc.qp},
	}
	for _, p := range parts {
		if err := writeRaw(alt, map[string]string{"Content-Type": p.ctype, "Content-Transfer-Encoding": qp}, p.body); err != nil {
			return err
		}
	}
	return alt.Close()
}

// writeRaw writes a part whose body is already in its transfer encoding.
func writeRaw(mw *multipart.Writer, header map[string]string, body []byte) error {
	h := textproto.MIMEHeader{}
	for k, v := range header {
		h.Set(k, v)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = pw.Write(body)
	return err
}

// Inbound is an iMIP message received by mail.
type Inbound struct {
	From      string // the From header's address, lower case
	MessageID string
	Subject   string
	Message   *Message
}

// Limits of ParseMail.
const (
	MaxMailSize = 4 << 20 // octets of a whole message
	maxParts    = 50
	maxDepth    = 5
)

// ParseMail reads an e-mail and returns its iTIP message: the first
// text/calendar part, else an application/ics or .ics attachment. The
// part's method parameter, when present, must agree with the calendar's
// METHOD (RFC 6047 §2.4). Errors say why the mail cannot be processed.
func ParseMail(r io.Reader) (*Inbound, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMailSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxMailSize {
		return nil, errorf("the message is larger than %d bytes", MaxMailSize)
	}
	e, err := message.ReadWithOptions(bytes.NewReader(data), &message.ReadOptions{MaxHeaderBytes: 64 << 10})
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, &Error{"malformed message: " + err.Error()}
	}
	h := mail.Header{Header: e.Header}
	in := &Inbound{}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 {
		return nil, errorf("the message must have one From address")
	}
	in.From = strings.ToLower(from[0].Address)
	in.MessageID, _ = h.MessageID()
	in.Subject, _ = h.Subject()
	cal, method, err := findCalendar(e, 0, new(int))
	if err != nil {
		return nil, err
	}
	if cal == nil {
		return nil, errorf("the message has no text/calendar part")
	}
	msg, err := Parse(cal)
	if err != nil {
		return nil, err
	}
	if method != "" && !strings.EqualFold(method, msg.Method) {
		return nil, errorf("the part says method=%s but the calendar says METHOD:%s (RFC 6047 §2.4)", method, msg.Method)
	}
	in.Message = msg
	return in, nil
}

// findCalendar walks the MIME tree for the calendar part, bounded in
// depth and in number of parts.
func findCalendar(e *message.Entity, depth int, seen *int) ([]byte, string, error) {
	if *seen++; *seen > maxParts || depth > maxDepth {
		return nil, "", errorf("the message has too many parts")
	}
	mt, params, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		var attachment []byte
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return attachment, "", nil
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				return nil, "", &Error{"malformed MIME structure: " + err.Error()}
			}
			cal, method, err := findCalendar(p, depth+1, seen)
			if err != nil {
				return nil, "", err
			}
			if cal != nil && (method != "" || isCalendarType(p)) {
				return cal, method, nil
			}
			if cal != nil && attachment == nil {
				attachment = cal
			}
		}
	}
	if mt != "text/calendar" && mt != "application/ics" && !icsName(e) {
		return nil, "", nil
	}
	body, err := io.ReadAll(io.LimitReader(e.Body, MaxSize+1))
	if err != nil {
		return nil, "", &Error{"unreadable calendar part: " + err.Error()}
	}
	if len(body) > MaxSize {
		return nil, "", errorf("the calendar part is larger than %d bytes", MaxSize)
	}
	if mt == "text/calendar" {
		return body, params["method"], nil
	}
	return body, "", nil
}

func isCalendarType(e *message.Entity) bool {
	mt, _, _ := e.Header.ContentType()
	return mt == "text/calendar"
}

func icsName(e *message.Entity) bool {
	_, params, _ := e.Header.ContentDisposition()
	name := params["filename"]
	if name == "" {
		_, ct, _ := e.Header.ContentType()
		name = ct["name"]
	}
	return strings.HasSuffix(strings.ToLower(name), ".ics")
}

// Subject returns the subject line of an invitation e-mail.
func Subject(method, summary string, start time.Time) string {
	if summary == "" {
		summary = "(no title)"
	}
	when := ""
	if !start.IsZero() {
		when = " @ " + start.Format("Mon 2 Jan 2006 15:04 MST")
	}
	switch method {
	case Cancel:
		return "Cancelled: " + summary + when
	case Reply:
		return "Reply: " + summary
	case Request:
		return "Invitation: " + summary + when
	case DeclineCounter:
		return "Proposal declined: " + summary + when
	}
	return fmt.Sprintf("%s: %s", strings.ToUpper(method[:1])+strings.ToLower(method[1:]), summary)
}
