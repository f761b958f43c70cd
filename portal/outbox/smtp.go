package outbox

import (
	"context"
	"crypto/tls"
	"errors"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
)

// SMTP sends e-mail through an SMTP server (net/smtp): STARTTLS when the
// server offers it, implicit TLS for smtps://, PLAIN auth when the URL
// carries a user.
type SMTP struct {
	Addr, Host string
	User, Pass string
	From       string
	Implicit   bool // smtps://
}

// NewSMTP reads SMTP_URL: smtp://user:pass@host:port[?from=addr].
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("SMTP_URL: use smtp://user:pass@host:port")
	}
	s := &SMTP{Host: u.Hostname(), Implicit: u.Scheme == "smtps", From: u.Query().Get("from")}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "465", false: "587"}[s.Implicit]
	}
	s.Addr = net.JoinHostPort(s.Host, port)
	if u.User != nil {
		s.User = u.User.Username()
		s.Pass, _ = u.User.Password()
	}
	if s.From == "" {
		s.From = "cobranza@" + s.Host
		if strings.Contains(s.User, "@") {
			s.From = s.User
		}
	}
	return s, nil
}

// Send delivers one e-mail.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.Implicit {
		conn = tls.Client(conn, &tls.Config{ServerName: s.Host})
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.Implicit {
		if err := c.StartTLS(&tls.Config{ServerName: s.Host}); err != nil {
			return err
		}
	}
	if s.User != "" {
		if err := c.Auth(smtp.PlainAuth("", s.User, s.Pass, s.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.From); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("From: " + s.From + "\r\nTo: " + m.To + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", m.Subject) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
	b.WriteString("Message-ID: <" + strings.NewReplacer(":", ".").Replace(m.ID) + "@cartera>\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n") + "\r\n")
	if _, err := w.Write([]byte(b.String())); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
