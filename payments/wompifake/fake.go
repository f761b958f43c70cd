// Package wompifake is a local stand-in for Wompi (there is no network to
// Wompi here), used by tests only. It reproduces the documented shapes and
// rules the portal depends on:
//
//   - Web Checkout (docs.wompi.co/docs/colombia/widget-checkout-web/): a GET
//     to https://checkout.wompi.co/p/ with public-key, currency,
//     amount-in-cents, reference, signature:integrity and redirect-url;
//     the integrity signature is SHA-256 hex of reference + amount-in-cents
//   - currency [+ expiration-time] + the integrity secret. The fake
//     refuses a wrong public key or signature as Wompi's page would.
//   - Events (docs.wompi.co/docs/colombia/eventos/): POST of
//     {"event":"transaction.updated","data":{"transaction":{...}},
//     "environment","signature":{"properties":[...],"checksum"},
//     "timestamp","sent_at"}, the checksum being SHA-256 hex of the listed
//     properties' values (paths inside data, in order) + timestamp + the
//     events secret, also sent as the X-Event-Checksum header.
//   - Transaction statuses PENDING, APPROVED, DECLINED, VOIDED, ERROR;
//     payment_method_type PSE, NEQUI, BANCOLOMBIA_TRANSFER, CARD; ids like
//     "1234-1610641025-49201"; GET /v1/transactions/{id} answers
//     {"data":{...transaction}}.
package wompifake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Keys are the fake merchant's keys.
type Keys struct {
	Public, Private, Events, Integrity string
}

// Transaction is the fake's transaction, in Wompi's JSON field names.
type Transaction struct {
	ID                string `json:"id"`
	CreatedAt         string `json:"created_at"`
	AmountInCents     int64  `json:"amount_in_cents"`
	Reference         string `json:"reference"`
	CustomerEmail     string `json:"customer_email"`
	Currency          string `json:"currency"`
	PaymentMethodType string `json:"payment_method_type"`
	RedirectURL       string `json:"redirect_url"`
	Status            string `json:"status"`
	StatusMessage     any    `json:"status_message"`
	PaymentLinkID     any    `json:"payment_link_id"`
	PaymentSourceID   any    `json:"payment_source_id"`
}

// Fake is one fake merchant account. Its Handler serves the checkout page
// and the transactions API.
type Fake struct {
	Keys Keys
	mu   sync.Mutex
	txs  map[string]*Transaction
	seq  int
	Now  func() time.Time
}

// New returns a fake with keys.
func New(keys Keys) *Fake {
	return &Fake{Keys: keys, txs: map[string]*Transaction{}, Now: time.Now}
}

// Pay is the debtor on Wompi's checkout page: it checks the checkout URL
// as Wompi does (public key, integrity signature) and opens a PENDING
// transaction paid by method (PSE, NEQUI, BANCOLOMBIA_TRANSFER, CARD).
func (f *Fake) Pay(checkoutURL, method string) (Transaction, error) {
	u, err := url.Parse(checkoutURL)
	if err != nil {
		return Transaction{}, err
	}
	q := u.Query()
	if q.Get("public-key") != f.Keys.Public {
		return Transaction{}, fmt.Errorf("wompi: unknown public key %q", q.Get("public-key"))
	}
	amount, err := strconv.ParseInt(q.Get("amount-in-cents"), 10, 64)
	if err != nil || amount <= 0 {
		return Transaction{}, fmt.Errorf("wompi: amount-in-cents %q", q.Get("amount-in-cents"))
	}
	ref, cur := q.Get("reference"), q.Get("currency")
	if ref == "" || cur != "COP" {
		return Transaction{}, fmt.Errorf("wompi: reference %q currency %q", ref, cur)
	}
	sum := sha256.Sum256([]byte(ref + q.Get("amount-in-cents") + cur + q.Get("expiration-time") + f.Keys.Integrity))
	if q.Get("signature:integrity") != hex.EncodeToString(sum[:]) {
		return Transaction{}, fmt.Errorf("wompi: integrity signature does not match")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	now := f.Now().UTC()
	tx := &Transaction{ID: fmt.Sprintf("1234-%d-%05d", now.Unix(), f.seq), CreatedAt: now.Format("2006-01-02T15:04:05.000Z"),
		AmountInCents: amount, Reference: ref, CustomerEmail: "deudor@example.com", Currency: cur, PaymentMethodType: method,
		RedirectURL: q.Get("redirect-url"), Status: "PENDING"}
	f.txs[tx.ID] = tx
	return *tx, nil
}

// Last is the transaction opened most recently (the one the browser's
// checkout made).
func (f *Fake) Last() (Transaction, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last *Transaction
	for _, tx := range f.txs {
		if last == nil || tx.ID > last.ID {
			last = tx
		}
	}
	if last == nil {
		return Transaction{}, false
	}
	return *last, true
}

// Set moves a transaction to status (APPROVED, DECLINED, VOIDED, ERROR).
func (f *Fake) Set(id, status string) Transaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.txs[id]
	tx.Status = status
	if status == "DECLINED" {
		tx.StatusMessage = "Transacción rechazada por el banco"
	}
	return *tx
}

// Event is the signed transaction.updated event for tx as Wompi posts it:
// the body and its X-Event-Checksum header.
func (f *Fake) Event(tx Transaction) (body []byte, checksum string) {
	return f.EventWith(tx, f.Keys.Events)
}

// EventWith is Event signed with another secret (a forged event).
func (f *Fake) EventWith(tx Transaction, secret string) ([]byte, string) {
	now := f.Now().UTC()
	ts := now.Unix()
	props := []string{"transaction.id", "transaction.status", "transaction.amount_in_cents"}
	sum := sha256.Sum256([]byte(tx.ID + tx.Status + strconv.FormatInt(tx.AmountInCents, 10) + strconv.FormatInt(ts, 10) + secret))
	checksum := strings.ToUpper(hex.EncodeToString(sum[:])) // the documented example is upper case; real deliveries are lower
	body, _ := json.Marshal(map[string]any{
		"event":       "transaction.updated",
		"data":        map[string]any{"transaction": tx},
		"environment": "test",
		"signature":   map[string]any{"properties": props, "checksum": checksum},
		"timestamp":   ts,
		"sent_at":     now.Format("2006-01-02T15:04:05.000Z"),
	})
	return body, checksum
}

// Handler serves GET /p/ (the checkout page: it opens a PENDING PSE
// transaction and redirects to redirect-url?id=<tx>&env=test, as Wompi
// does) and GET /v1/transactions/{id}.
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/", func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Query().Get("fake-method")
		if method == "" {
			method = "PSE"
		}
		tx, err := f.Pay(r.URL.String(), method)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		to := tx.RedirectURL
		if to != "" {
			sep := "?"
			if strings.Contains(to, "?") {
				sep = "&"
			}
			http.Redirect(w, r, to+sep+"id="+url.QueryEscape(tx.ID)+"&env=test", http.StatusFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": tx})
	})
	mux.HandleFunc("GET /v1/transactions/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		tx, ok := f.txs[r.PathValue("id")]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": "NOT_FOUND_ERROR", "reason": "La entidad solicitada no existe"}})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": tx})
	})
	return mux
}
