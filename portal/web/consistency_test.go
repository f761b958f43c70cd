package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"cartera/portal/apptest"
)

// live sends a request without letting the projections catch up first
// (apptest.Env.Request does), as a person's browser would.
func live(t *testing.T, e *apptest.Env, method, path, token string, body any) apptest.Resp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.App.HTTP.Test(req, 60_000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apptest.Resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

func listedBalance(t *testing.T, r apptest.Resp) float64 {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("list %d %s", r.Status, r.Body)
	}
	items, _ := r.JSON()["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if m["invoice"] == "M1" {
			return m["balance"].(float64)
		}
	}
	t.Fatalf("M1 not listed: %s", r.Body)
	return 0
}

// The read models are kept off the request path; the rule for reading
// them (DESIGN.md, Read side):
//   - the person who wrote sees the write at once in the tenant's lists and
//     reports (the read waits for the projections to take it);
//   - someone else is not held up by it: they see it one batch later;
//   - a debtor's statement shows every change to their accounts, whoever
//     made it (a payment recorded by a collector or a webhook).
//
// The projections are held so that "at once" cannot be luck.
func TestReadYourOwnWrites(t *testing.T) {
	e := newMoneyEnv(t, 10_000_000, "2026-12-20")
	list := "/api/tenants/acme/accounts?limit=50"
	before := listedBalance(t, e.Do("GET", list, e.manager, nil))
	owed := e.statement().Owed

	release := e.App.DB.HoldProjections()
	defer release()
	if r := live(t, e.Env, "POST", "/api/tenants/acme/accounts/M1/payments", e.collector,
		map[string]any{"amount": 250_000, "method": "transfer", "reference": "T-1", "paidAt": "2026-12-06"}); r.Status != 201 {
		t.Fatalf("manual payment %d %s", r.Status, r.Body)
	}

	// The manager wrote nothing: the list answers while the projections are
	// held, with the figure from before.
	if got := listedBalance(t, live(t, e.Env, "GET", list, e.manager, nil)); got != before {
		t.Fatalf("the manager's list shows %v while the projections are held; want the earlier %v", got, before)
	}

	// The collector and the debtor wait for the payment and see it.
	type answer struct {
		who string
		r   apptest.Resp
	}
	done := make(chan answer, 2)
	go func() { done <- answer{"collector", live(t, e.Env, "GET", list, e.collector, nil)} }()
	go func() { done <- answer{"debtor", live(t, e.Env, "GET", "/api/debtor/statement", e.debtor, nil)} }()
	select {
	case a := <-done:
		t.Fatalf("the %s's read did not wait for the payment: %d %s", a.who, a.r.Status, a.r.Body)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	for range 2 {
		a := <-done
		switch a.who {
		case "collector":
			if got := listedBalance(t, a.r); got != before-250_000 {
				t.Errorf("collector's list after paying: %v, want %v", got, before-250_000)
			}
		case "debtor":
			var st moneyStatement
			a.r.Decode(t, &st)
			if st.Owed != owed-250_000 {
				t.Errorf("statement owed %d after a payment of 250,000, want %d", st.Owed, owed-250_000)
			}
		}
	}
	// And the manager sees it once the batch is applied.
	if got := listedBalance(t, e.Do("GET", list, e.manager, nil)); got != before-250_000 {
		t.Fatalf("manager's list after the batch: %v", got)
	}
}
