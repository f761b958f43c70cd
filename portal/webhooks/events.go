package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/store"
)

// Watch turns the domain's committed writes into events: one projection
// over the collections where each event is already recorded (a payment is
// a ledger entry, a dispute's resolution its status, an import's end its
// status), so no writer has to remember to publish and a crash loses
// nothing (the projection journal replays; delivery ids make a replay
// store nothing twice).
func (s *Service) Watch() {
	s.db.Project(store.Projection{Name: "webhooks.events", Sources: map[string][]string{
		"ledger":   nil,
		"promises": {"status"},
		"disputes": {"status"},
		"plans":    {"status"},
		"accounts": {"status"},
		"imports":  {"status"},
	}, Apply: s.observe})
}

func (s *Service) observe(ctx context.Context, b store.Batch) error {
	regs := map[string]bool{} // tenant → has endpoints (one read per tenant a batch)
	for _, ch := range b.Changes {
		if ch.Tenant == "" || ch.After == nil {
			continue
		}
		has, ok := regs[ch.Tenant]
		if !ok {
			reg, err := s.registry(ctx, ch.Tenant)
			if err != nil {
				return err
			}
			has = len(reg.Endpoints) > 0
			regs[ch.Tenant] = has
		}
		if !has {
			continue
		}
		for _, ev := range eventsOf(ch) {
			if ev.Type == PaymentSucceeded {
				ev.Data["amount"] = s.paymentAmount(ctx, ch.Tenant, ch.Tenant+":"+ev.Data["paymentId"].(string))
			}
			if err := s.Publish(ctx, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func str(r bson.Raw, key string) string {
	if r == nil {
		return ""
	}
	v, _ := r.Lookup(key).StringValueOK()
	return v
}

func num(r bson.Raw, key string) int64 {
	v := r.Lookup(key)
	if n, ok := v.Int64OK(); ok {
		return n
	}
	if n, ok := v.Int32OK(); ok {
		return int64(n)
	}
	return 0
}

func date(r bson.Raw, key string) string {
	if t, ok := r.Lookup(key).TimeOK(); ok {
		return t.UTC().Format(time.DateOnly)
	}
	return ""
}

func strs(r bson.Raw, key string, tenant string) []string {
	out := []string{}
	arr, ok := r.Lookup(key).ArrayOK()
	if !ok {
		return out
	}
	vals, _ := arr.Values()
	for _, v := range vals {
		if s, ok := v.StringValueOK(); ok {
			out = append(out, strings.TrimPrefix(s, tenant+":"))
		}
	}
	return out
}

// paymentKey is the key of the payment a ledger part belongs to.
func paymentKey(id string) string {
	for _, sfx := range []string{":i", ":x"} {
		if strings.HasSuffix(id, sfx) {
			return strings.TrimSuffix(id, sfx)
		}
	}
	return id
}

// paymentAmount is the money a payment brought: its parts' sum.
func (s *Service) paymentAmount(ctx context.Context, tenant, pay string) int64 {
	sc := s.db.Tenant(tenant)
	var total int64
	for _, id := range []string{pay, pay + ":i", pay + ":x"} {
		var e struct {
			Amount int64 `bson:"amount"`
		}
		if sc.C("ledger").Get(ctx, id, &e) == nil {
			total -= e.Amount
		}
	}
	return total
}

// eventsOf maps one change to the events it means.
func eventsOf(ch store.Change) []Event {
	t := ch.Tenant
	key := func(id string) string { return strings.TrimPrefix(id, t+":") }
	before, after := ch.Before, ch.After
	became := func(status ...string) bool {
		now := str(after, "status")
		for _, s := range status {
			if now == s && str(before, "status") != s {
				return true
			}
		}
		return false
	}
	var out []Event
	add := func(typ, discriminator string, data map[string]any) {
		sum := sha256.Sum256([]byte(typ + "|" + ch.ID + "|" + discriminator))
		out = append(out, Event{ID: "evt_" + hex.EncodeToString(sum[:12]), Type: typ, Tenant: t, Data: data})
	}
	switch ch.Coll {
	case "ledger":
		if before != nil {
			return nil // entries are append-only: an insert is the event
		}
		switch str(after, "kind") {
		case "payment", "interest_paid", "overpayment":
			// A payment is booked in parts (interest first, then principal,
			// then any excess) under one key: one event per key, whichever
			// part comes first; observe adds up the parts.
			pay := paymentKey(ch.ID)
			sum := sha256.Sum256([]byte(PaymentSucceeded + "|" + pay))
			out = append(out, Event{ID: "evt_" + hex.EncodeToString(sum[:12]), Type: PaymentSucceeded, Tenant: t, Data: map[string]any{
				"paymentId": key(pay), "accountId": key(str(after, "accountId")), "currency": str(after, "currency"),
				"channel": str(after, "channel"), "reference": str(after, "ref")}})
		case "reversal":
			add(PaymentRefunded, "", map[string]any{"ledgerId": key(ch.ID), "accountId": key(str(after, "accountId")),
				"amount": num(after, "amount"), "currency": str(after, "currency"), "of": key(str(after, "of"))})
		}
	case "promises":
		data := map[string]any{"promiseId": key(ch.ID), "accountId": key(str(after, "accountId")), "amount": num(after, "amount"),
			"currency": str(after, "currency"), "date": date(after, "date")}
		if before == nil && str(after, "accountId") != "" {
			add(PromiseMade, "", data)
		}
		if became("broken") {
			add(PromiseBroken, "", data)
		}
	case "disputes":
		data := map[string]any{"disputeId": key(ch.ID), "accountIds": strs(after, "accountIds", t), "invoices": strs(after, "invoices", t),
			"reason": str(after, "reason"), "status": str(after, "status")}
		if before == nil {
			add(DisputeOpened, "", data)
		}
		if became("accepted", "rejected") {
			data["creditTotal"] = num(after, "creditTotal")
			add(DisputeResolved, "", data)
		}
	case "plans":
		data := map[string]any{"planId": key(ch.ID), "accountIds": strs(after, "accountIds", t), "status": str(after, "status")}
		if became("active") {
			add(PlanAccepted, "", data)
		}
		if became("defaulted") {
			add(PlanDefaulted, "", data)
		}
	case "accounts":
		data := map[string]any{"accountId": key(ch.ID), "invoice": str(after, "invoice"), "status": str(after, "status"),
			"balance": num(after, "balance"), "currency": str(after, "currency")}
		at := ""
		if u, ok := after.Lookup("updatedAt").TimeOK(); ok {
			at = u.UTC().Format(time.RFC3339Nano) // paid, reopened and paid again: two events
		}
		if became("paid") {
			add(AccountPaid, at, data)
		}
		if became("recalled") {
			add(AccountRecalled, at, data)
		}
	case "imports":
		if became("done", "failed") {
			add(ImportFinished, "", map[string]any{"importId": key(ch.ID), "status": str(after, "status"), "total": num(after, "total"),
				"inserted": num(after, "inserted"), "updated": num(after, "updated"), "unchanged": num(after, "unchanged"),
				"rejected": num(after, "rejected"), "source": str(after, "kind")})
		}
	}
	now := time.Now().Unix()
	for i := range out {
		out[i].Created = now
	}
	return out
}
