package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
)

// Transaction reads a transaction from Wompi's API (GET
// /v1/transactions/{id}, documented without authentication; answered as
// {"data":{...}}).
func (w *Wompi) Transaction(ctx context.Context, id string) (WompiTransaction, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.api+"/transactions/"+url.PathEscape(id), nil)
	if err != nil {
		return WompiTransaction{}, fmt.Errorf("wompi transaction: %w", err)
	}
	c := &http.Client{Timeout: 15 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return WompiTransaction{}, fmt.Errorf("wompi transaction: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return WompiTransaction{}, fmt.Errorf("wompi transaction %s: %w", id, apperr.ErrNotFound)
	}
	if res.StatusCode != http.StatusOK {
		return WompiTransaction{}, fmt.Errorf("wompi transaction %s: status %d", id, res.StatusCode)
	}
	var body struct {
		Data WompiTransaction `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&body); err != nil {
		return WompiTransaction{}, fmt.Errorf("wompi transaction %s: %w", id, err)
	}
	return body.Data, nil
}

// CheckWompi asks Wompi for a transaction of our payment (the id the
// debtor's return from the checkout carries, or the one a PENDING event
// named) and records what Wompi says through the events' own path: the
// same stored key "wompi:<tx>:<STATUS>", so a poll and the webhook apply
// it once between them. A transaction of another reference is ignored; the
// answer comes from Wompi's API, never from the caller.
func (s *Service) CheckWompi(ctx context.Context, tenant, paymentID, txID string) error {
	if txID == "" || s.creds == nil {
		return nil
	}
	g, err := s.creds.Gateway(ctx, tenant)
	if err != nil {
		return err
	}
	w, ok := g.(*Wompi)
	if !ok {
		return nil
	}
	tx, err := w.Transaction(ctx, txID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if tx.Reference != WompiReference(paymentID) || tx.ID != txID {
		return nil
	}
	ctx = context.WithValue(actor.System(ctx, "wompi-poll"), onlyKey{}, tenant)
	payload, err := json.Marshal(map[string]any{"event": "transaction.updated", "data": map[string]any{"transaction": tx}, "source": "api"})
	if err != nil {
		return fmt.Errorf("wompi poll: %w", err)
	}
	return s.storeAndApplyWompi(ctx, tenant, tx, "transaction.updated", time.Now().Unix(), payload)
}

// ReconcileWompi checks with Wompi every Wompi payment still on its way
// (a PENDING seen, its outcome not): a lost APPROVED or DECLINED event is
// recorded by the next run. The scheduler runs it; it is idempotent.
func (s *Service) ReconcileWompi(ctx context.Context) (int, error) {
	var list []Payment
	if err := s.db.C("payments").Find(ctx, bson.D{{Key: "gateway", Value: ProviderWompi}, {Key: "status", Value: StatusPending}, {Key: "awaiting", Value: true}}, &list); err != nil {
		return 0, fmt.Errorf("reconcile wompi: %w", err)
	}
	n := 0
	for _, p := range list {
		if err := s.CheckWompi(ctx, p.TenantID, p.ID, p.GatewayRef); err != nil {
			s.log.Warn("reconcile wompi: not checked; the next run tries again", "payment", p.ID, "err", err)
			continue
		}
		n++
	}
	return n, nil
}
