package web_test

// Mexico: OXXO and SPEI through the tenant's own Stripe account (Stripe
// offers both only to Mexican accounts, and CONDUSEF's rules want the
// money in the client's account). Checkout goes to stripe-mock, which
// validates the request against Stripe's OpenAPI spec (payment_method_types
// oxxo / customer_balance with mx_bank_transfer); the outcome comes as
// signed webhook events built here, as Stripe documents them for
// asynchronous methods: checkout.session.completed with payment_status
// "unpaid" (the voucher or the CLABE is issued), then
// checkout.session.async_payment_succeeded or _failed.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/testtool"
)

const mexaWebhookSecret = "whsec_mexa_test_0002"

func mexaEnv(t *testing.T) debtorEnv {
	t.Helper()
	return mexaEnvWith(t)
}

func mexaEnvWith(t *testing.T, opts ...func(*config.Config)) debtorEnv {
	t.Helper()
	base := testtool.StripeMock(t)
	e := apptest.New(t, append([]func(*config.Config){apptest.Sandbox, func(c *config.Config) { c.StripeAPIBase = base }}, opts...)...)
	e.TenantIn("mexa", "MX")
	_, client := e.User("mexa", "client")
	_, manager := e.User("mexa", "manager")
	// Ana owes M1, 8.000,00 MXN, due after the statement day.
	if m := e.Import("mexa", client, "cartera.csv", []byte("documento,nombre,factura,vencimiento,valor\nANA800101,Ana Ruiz,M1,2025-12-15,8000\n")); num(m, "inserted") != 1 {
		t.Fatalf("import: %v", m)
	}
	e.App.DebtorsSvc.Now = func() time.Time { return statementDay }
	de := debtorEnv{Env: e, client: client, manager: manager}
	// The client company saves its own Stripe keys.
	if r := e.Do("PUT", "/api/tenants/mexa/gateway", client, map[string]any{"provider": "stripe",
		"stripe": map[string]string{"secretKey": "sk_test_Mexa0000000001", "webhookSecret": mexaWebhookSecret}}); r.Status != 204 {
		t.Fatalf("configure stripe: %d %s", r.Status, r.Body)
	}
	return de
}

func mexaEvent(id, typ, paymentID, status, pi, method string, amount int64) []byte {
	cs := fmt.Sprintf(`{"id":"cs_test_%s","object":"checkout.session","payment_status":%q,"amount_total":%d,"currency":"mxn","payment_intent":%q,"payment_method_types":[%q],"metadata":{"tenant":"mexa","payment":%q,"debtor":"mexa:ANA800101"}}`,
		id, status, amount, pi, method, paymentID)
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2023-10-16","created":%d,"type":%q,"data":{"object":%s}}`, id, time.Now().Unix(), typ, cs))
}

func stripeTo(e *apptest.Env, path string, payload []byte, secret string) apptest.Resp {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	req, _ := http.NewRequest("POST", path, strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sp.Header)
	return e.Request(req)
}

// OXXO: the voucher is issued (completed, unpaid): pending on the
// statement, not recovered; paid at the store (async_payment_succeeded,
// delivered twice): applied once. SPEI: the CLABE is issued, the transfer
// never comes (async_payment_failed): the pending payment is cancelled.
func TestOxxoAndSpeiThroughTheTenantsStripe(t *testing.T) {
	e := mexaEnv(t)
	ana := e.session("mexa", "ANA800101")
	st := statementOf(t, e, ana)
	if strings.Join(st.PayMethods, ",") != "card,oxxo,spei" {
		t.Fatalf("methods %v", st.PayMethods)
	}
	if r := e.Do("POST", "/api/debtor/checkout", ana, map[string]any{"method": "pse", "amount": 500000}); r.Status != 400 {
		t.Fatalf("PSE offered in Mexico: %d", r.Status)
	}
	r := e.Do("POST", "/api/debtor/checkout", ana, map[string]any{"method": "oxxo", "amount": 500000})
	if r.Status != 200 {
		t.Fatalf("oxxo checkout against stripe-mock: %d %s", r.Status, r.Body)
	}
	co := r.JSON()
	if co["gateway"] != "stripe" || co["method"] != "oxxo" || !strings.HasPrefix(co["sessionId"].(string), "cs_") {
		t.Fatalf("checkout %v", co)
	}
	oxxo := "mexa:" + co["paymentId"].(string)
	path := "/api/webhooks/stripe/mexa"
	if r := stripeTo(e.Env, path, mexaEvent("evt_o1", "checkout.session.completed", oxxo, "unpaid", "pi_oxxo", "oxxo", 500000), "whsec_not_mexa"); r.Status != 400 {
		t.Fatalf("wrong secret: %d", r.Status)
	}
	if r := stripeTo(e.Env, "/api/webhooks/stripe/nosuch", mexaEvent("evt_o1", "checkout.session.completed", oxxo, "unpaid", "pi_oxxo", "oxxo", 500000), mexaWebhookSecret); r.Status != 404 {
		t.Fatalf("unknown tenant: %d", r.Status)
	}
	if r := stripeTo(e.Env, path, mexaEvent("evt_o1", "checkout.session.completed", oxxo, "unpaid", "pi_oxxo", "oxxo", 500000), mexaWebhookSecret); r.Status != 200 {
		t.Fatalf("completed unpaid: %d %s", r.Status, r.Body)
	}
	st = statementOf(t, e, ana)
	if len(st.PendingPayments) != 1 || st.PendingPayments[0].Method != "oxxo" || st.PendingPayments[0].Amount != 500000 || balanceOf(st, "M1") != 800000 {
		t.Fatalf("voucher issued: %+v", st)
	}
	for i := 0; i < 2; i++ {
		if r := stripeTo(e.Env, path, mexaEvent("evt_o2", "checkout.session.async_payment_succeeded", oxxo, "paid", "pi_oxxo", "oxxo", 500000), mexaWebhookSecret); r.Status != 200 {
			t.Fatalf("async succeeded: %d %s", r.Status, r.Body)
		}
	}
	// 8.000,00 - 5.000,00 = 3.000,00 (no late interest in Mexico by default).
	if st = statementOf(t, e, ana); balanceOf(st, "M1") != 300000 || len(st.PendingPayments) != 0 {
		t.Fatalf("after OXXO paid: %+v", st)
	}
	r = e.Do("POST", "/api/debtor/checkout", ana, map[string]any{"method": "spei", "amount": 300000})
	if r.Status != 200 {
		t.Fatalf("spei checkout against stripe-mock: %d %s", r.Status, r.Body)
	}
	spei := "mexa:" + r.JSON()["paymentId"].(string)
	stripeTo(e.Env, path, mexaEvent("evt_s1", "checkout.session.completed", spei, "unpaid", "pi_spei", "customer_balance", 300000), mexaWebhookSecret)
	if st = statementOf(t, e, ana); len(st.PendingPayments) != 1 || st.PendingPayments[0].Method != "spei" {
		t.Fatalf("CLABE issued: %+v", st.PendingPayments)
	}
	if r := stripeTo(e.Env, path, mexaEvent("evt_s2", "checkout.session.async_payment_failed", spei, "unpaid", "pi_spei", "customer_balance", 300000), mexaWebhookSecret); r.Status != 200 {
		t.Fatal(r.Status)
	}
	st = statementOf(t, e, ana)
	p := e.Do("GET", "/api/debtor/payments/"+strings.TrimPrefix(spei, "mexa:"), ana, nil).JSON()
	if p["status"] != "failed" || len(st.PendingPayments) != 0 || balanceOf(st, "M1") != 300000 {
		t.Fatalf("SPEI failed: %v %+v", p["status"], st)
	}
	// A success after the failure of the same session is still money that
	// arrived (Stripe never sends it, but the path must not lose money).
	// The failure after a success undoes nothing:
	stripeTo(e.Env, path, mexaEvent("evt_o3", "checkout.session.async_payment_failed", oxxo, "unpaid", "pi_oxxo", "oxxo", 500000), mexaWebhookSecret)
	if p := e.Do("GET", "/api/debtor/payments/"+strings.TrimPrefix(oxxo, "mexa:"), ana, nil).JSON(); p["status"] != "succeeded" {
		t.Fatalf("a failure after success: %v", p["status"])
	}
	if rec, _ := recoveredMonth(t, e, "mexa"); rec != 500000 {
		t.Fatalf("recovered %d, want 500000", rec)
	}
}
