package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

const (
	// retryFor is how long a delivery is retried before it is failed.
	retryFor = 24 * time.Hour
	// claimFor is how long a run holds a delivery it is sending; a run that
	// dies holding it lets the next run take it after this.
	claimFor = 2 * time.Minute
)

// Backoff is the wait after the n-th failed attempt: 1 min, 2, 4, … at most
// 2 hours, which makes about 20 attempts in the day.
func Backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 2*time.Hour; i++ {
		d *= 2
	}
	return min(d, 2*time.Hour)
}

// Sign is the Cartera-Signature header of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a Cartera-Signature header the way a receiver should: the
// HMAC over "<t>.<body>" and t within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhook signature: malformed header")
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return errors.New("webhook signature: timestamp outside tolerance")
	}
	want := Sign(secret, t, body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("webhook signature: mismatch")
	}
	return nil
}

// Stats counts what a delivery run did.
type Stats struct{ Delivered, Retried, Failed, Dropped int }

func due(d Delivery, now time.Time) bool {
	switch d.Status {
	case StatusPending:
		return !d.NextAttemptAt.After(now)
	case StatusSending:
		return d.ClaimUntil.Before(now) // a run died holding it
	}
	return false
}

// Deliver sends every due delivery of every tenant. Each is claimed with a
// compare-and-set before it is sent, so two runs (replicas) never send one
// at once; the result is written after. A crash between the two leaves it
// claimed and the next run after claimFor sends it again: at least once,
// the event id lets the receiver drop the repeat.
func (s *Service) Deliver(ctx context.Context) (Stats, error) {
	var st Stats
	now := s.Now()
	var ready []Delivery
	// A scan of the open deliveries (MongoDB proper: the {status,
	// nextAttemptAt} index); delivered ones are the bulk and are skipped by
	// the filter.
	cur, err := s.db.C(deliveriesColl).Cursor(ctx, bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{StatusPending, StatusSending}}}}},
		options.Find().SetProjection(bson.D{{Key: "body", Value: 0}}))
	if err != nil {
		return st, fmt.Errorf("webhook deliveries: %w", err)
	}
	for cur.Next(ctx) {
		var d Delivery
		if err := cur.Decode(&d); err != nil {
			cur.Close(ctx)
			return st, fmt.Errorf("webhook delivery: %w", err)
		}
		if due(d, now) {
			ready = append(ready, d)
		}
	}
	cur.Close(ctx)
	for _, d := range ready {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := s.deliverOne(ctx, d.TenantID, d.ID, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (s *Service) deliverOne(ctx context.Context, tenant, id string, st *Stats) error {
	sc := s.db.Tenant(tenant)
	now := s.Now().UTC()
	var d Delivery
	claimed := false
	err := sc.C(deliveriesColl).Mutate(ctx, id, &d, func() (bson.D, error) {
		if !due(d, now) {
			return nil, nil
		}
		claimed = true
		return bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusSending}, {Key: "claimUntil", Value: now.Add(claimFor)}}}}, nil
	})
	if err != nil || !claimed {
		return err
	}
	finish := func(set bson.D) error {
		return sc.C(deliveriesColl).Update(ctx, id, bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: "rev", Value: int64(1)}}}})
	}
	ep, err := s.endpoint(ctx, tenant, d.EndpointID)
	if err != nil {
		st.Dropped++
		return finish(bson.D{{Key: "status", Value: StatusFailed}, {Key: "lastError", Value: "endpoint deleted"}})
	}
	code, sendErr := s.send(ctx, ep, d)
	attempts := d.Attempts + 1
	if sendErr == nil {
		st.Delivered++
		return finish(bson.D{{Key: "status", Value: StatusDelivered}, {Key: "attempts", Value: attempts}, {Key: "lastStatus", Value: code},
			{Key: "lastError", Value: ""}, {Key: "deliveredAt", Value: s.Now().UTC()}})
	}
	msg := sendErr.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	from := d.CreatedAt
	if !d.RetryFrom.IsZero() {
		from = d.RetryFrom
	}
	next := now.Add(Backoff(attempts))
	if next.Sub(from) > retryFor {
		st.Failed++
		s.log.Warn("webhook delivery failed for a day", "tenant", tenant, "endpoint", d.EndpointID, "event", d.EventID)
		return finish(bson.D{{Key: "status", Value: StatusFailed}, {Key: "attempts", Value: attempts}, {Key: "lastStatus", Value: code}, {Key: "lastError", Value: msg}})
	}
	st.Retried++
	return finish(bson.D{{Key: "status", Value: StatusPending}, {Key: "attempts", Value: attempts}, {Key: "lastStatus", Value: code},
		{Key: "lastError", Value: msg}, {Key: "nextAttemptAt", Value: next}})
}

// send POSTs the delivery's body, signed now; any 2xx is delivered.
func (s *Service) send(ctx context.Context, ep Endpoint, d Delivery) (int, error) {
	if err := checkScheme(ep.URL, s.opts.AllowLoopbackHTTP); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	body := []byte(d.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Cartera-Webhooks/1")
	req.Header.Set("Cartera-Event-Id", d.EventID)
	req.Header.Set("Cartera-Event-Type", d.Type)
	req.Header.Set("Cartera-Signature", Sign(ep.Secret, s.Now(), body))
	res, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("receiver answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// checkScheme: https, or http to a loopback host when allowed.
func checkScheme(raw string, allowLoopbackHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return errors.New("use una URL https://host/ruta válida")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowLoopbackHTTP && isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return errors.New("use una URL https:// (http solo a localhost en pruebas)")
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// allowed reports whether the portal may connect to ip: public unicast
// addresses, and loopback when allowed (never link-local: cloud metadata).
func allowed(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return allowLoopback
	}
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !isCGNAT(ip)
}

func isCGNAT(ip netip.Addr) bool { return netip.MustParsePrefix("100.64.0.0/10").Contains(ip) }

// checkURL refuses, when an endpoint is registered, URLs the portal must
// not call: not https, credentials in the URL, names that resolve to
// private, link-local or loopback addresses (SSRF). The dialer checks the
// address again at every connection, so a name that changes later is
// refused then.
func checkURL(ctx context.Context, raw string, allowLoopbackHTTP bool) error {
	if len(raw) > 2000 {
		return errors.New("la URL es demasiado larga")
	}
	if err := checkScheme(raw, allowLoopbackHTTP); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !allowed(ip, allowLoopbackHTTP) {
			return errors.New("la URL apunta a una dirección privada o local")
		}
		return nil
	}
	if host == "localhost" {
		if allowLoopbackHTTP {
			return nil
		}
		return errors.New("la URL apunta a una dirección privada o local")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return errors.New("no se pudo resolver el nombre del servidor de la URL")
	}
	for _, a := range addrs {
		if !allowed(a, allowLoopbackHTTP) {
			return errors.New("la URL apunta a una dirección privada o local")
		}
	}
	return nil
}

// safeClient connects only to allowed addresses, checked on the resolved
// address at dial time, and follows no redirects (a redirect could point
// anywhere).
func safeClient(allowLoopback bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !allowed(ap.Addr(), allowLoopback) {
			return fmt.Errorf("webhook: address %s refused", address)
		}
		return nil
	}}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 10 * time.Second, MaxIdleConnsPerHost: 2, Proxy: nil}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
