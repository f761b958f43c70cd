// Package apptest builds a complete portal on a fresh embedded database for
// API and browser tests, with helpers to create tenants and users and to make
// requests as each of them.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"cartera/portal/actor"
	"cartera/portal/app"
	"cartera/portal/config"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
	"cartera/tenants"
)

// AdminEmail and Password are the credentials of the users the helpers make.
const (
	AdminEmail = "admin@test.cartera"
	Password   = "test-password-123"
)

// Env is one portal under test.
type Env struct {
	T     testing.TB
	App   *app.App
	Admin string // admin bearer token
	URL   string // set by Listen
}

// New builds the app on a fresh database and logs the admin in; opts may
// adjust the configuration first.
func New(t testing.TB, opts ...func(*config.Config)) *Env {
	return NewLogged(t, nil, opts...)
}

// NewLogged is New with the app's log written to log (nil: discarded), for
// tests that read what the portal logs.
func NewLogged(t testing.TB, log *slog.Logger, opts ...func(*config.Config)) *Env {
	t.Helper()
	return NewHooked(t, log, app.Hooks{}, opts...)
}

// NewHooked is NewLogged with hooks in place of what the configuration
// would build (a mailbox that keeps the debtors' login codes).
func NewHooked(t testing.TB, log *slog.Logger, hooks app.Hooks, opts ...func(*config.Config)) *Env {
	t.Helper()
	return NewOnHooked(t, storetest.New(t), log, hooks, opts...)
}

// NewOn is NewLogged on a database the test opened (storetest.Mongo: the
// portal as it runs on MongoDB proper).
func NewOn(t testing.TB, db *store.DB, log *slog.Logger, opts ...func(*config.Config)) *Env {
	t.Helper()
	return NewOnHooked(t, db, log, app.Hooks{}, opts...)
}

// NewOnHooked is NewOn with hooks.
func NewOnHooked(t testing.TB, db *store.DB, log *slog.Logger, hooks app.Hooks, opts ...func(*config.Config)) *Env {
	t.Helper()
	dir := t.TempDir()
	all, money := config.DefaultInFlight() // as config.Load: tests run behind the same gate
	cfg := config.Config{
		Addr: "127.0.0.1:0", DataDir: dir, PublicURL: "http://127.0.0.1", ImportMaxBytes: 8 << 20,
		SessionTTL: 30 * time.Minute, JWTSecret: strings.Repeat("k", 40),
		MaxInFlight: all, MoneyInFlight: money,
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.New(context.Background(), cfg, log, db, hooks)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	a.Tenants.SetHashCost(4)
	if err := a.StartBackground(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.StopBackground)
	e := &Env{T: t, App: a}
	if _, _, err := a.Tenants.EnsureAdmin(context.Background(), AdminEmail, Password); err != nil {
		t.Fatalf("apptest: admin: %v", err)
	}
	e.Admin = e.Login(AdminEmail, Password)
	return e
}

// Listen serves the app on a loopback port (browser tests) and sets URL.
func (e *Env) Listen() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatal(err)
	}
	go func() { _ = e.App.HTTP.Listener(ln) }()
	e.T.Cleanup(func() { _ = e.App.HTTP.ShutdownWithTimeout(5 * time.Second) })
	e.URL = "http://" + ln.Addr().String()
	return e.URL
}

// Resp is a response read whole.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r Resp) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Decode decodes the body into v.
func (r Resp) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Request sends req through the app (no network) and reads the response.
// It first lets the projections catch up, so a test's next request sees
// every earlier write whoever made it (a person's live reads see only their
// own at once: store.Settle; TestReadYourOwnWrites covers that rule).
func (e *Env) Request(req *http.Request) Resp {
	e.T.Helper()
	if err := e.App.DB.Drain(context.Background()); err != nil {
		e.T.Fatalf("projections: %v", err)
	}
	res, err := e.App.HTTP.Test(req, 60_000)
	if err != nil {
		e.T.Fatalf("request %s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Do sends a JSON request with a bearer token (empty: anonymous). body may be
// nil, a string/[]byte sent as is, or a value marshalled to JSON.
func (e *Env) Do(method, path, token string, body any) Resp {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.RemoteAddr = "192.0.2.10:1234"
	return e.Request(req)
}

// Login returns a bearer token for email, failing the test otherwise.
func (e *Env) Login(email, password string) string {
	e.T.Helper()
	r := e.Do("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
	if r.Status != 200 {
		e.T.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return r.JSON()["token"].(string)
}

// Tenant creates a Colombian tenant with slug.
func (e *Env) Tenant(slug string) {
	e.T.Helper()
	e.TenantIn(slug, "CO")
}

// TenantIn creates a tenant of a country (CO, MX, PE, US).
func (e *Env) TenantIn(slug, country string) {
	e.T.Helper()
	r := e.Do("POST", "/api/tenants", e.Admin, map[string]any{"slug": slug, "name": "Empresa " + slug, "country": country, "commissionRate": 0.15})
	if r.Status != 201 {
		e.T.Fatalf("create tenant %s: %d %s", slug, r.Status, r.Body)
	}
}

// User creates a user of role in tenant and returns its id and token.
func (e *Env) User(tenant, role string) (id, token string) {
	e.T.Helper()
	email := fmt.Sprintf("%s.%s.%d@test.cartera", role, tenant, time.Now().UnixNano())
	r := e.Do("POST", "/api/tenants/"+tenant+"/users", e.Admin, map[string]any{"email": email, "name": "U " + role, "role": role, "password": Password})
	if r.Status != 201 {
		e.T.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	return r.JSON()["id"].(string), e.Login(email, Password)
}

// Ctx is a context acting as an admin, for calling services directly.
func (e *Env) Ctx() context.Context {
	return actor.With(context.Background(), actor.Actor{UserID: "test", Role: tenants.RoleAdmin})
}

// Upload posts a file as multipart (field "file", optional "mapping").
func (e *Env) Upload(path, token, name string, content []byte, mapping string) Resp {
	e.T.Helper()
	var fields map[string]string
	if mapping != "" {
		fields = map[string]string{"mapping": mapping}
	}
	return e.UploadForm(path, token, name, content, fields)
}

// UploadForm posts a file as multipart with more form fields.
func (e *Env) UploadForm(path, token, name string, content []byte, fields map[string]string) Resp {
	e.T.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.Request(req)
}

// WaitImport polls an import until it is done or failed.
func (e *Env) WaitImport(tenant, id, token string) map[string]any {
	e.T.Helper()
	deadline := time.Now().Add(10 * time.Minute) // a bound for big imports on a busy machine, not a timing check
	for time.Now().Before(deadline) {
		r := e.Do("GET", "/api/tenants/"+tenant+"/imports/"+id, token, nil)
		m := r.JSON()
		if r.Status != 200 {
			e.T.Fatalf("import %s: %d %s", id, r.Status, r.Body)
		}
		if m["status"] == "done" || m["status"] == "failed" {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.T.Fatalf("import %s did not finish", id)
	return nil
}

// Import uploads content and waits for the result.
func (e *Env) Import(tenant, token, name string, content []byte) map[string]any {
	e.T.Helper()
	r := e.Upload("/api/tenants/"+tenant+"/imports", token, name, content, "")
	if r.Status != 202 {
		e.T.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
	}
	return e.WaitImport(tenant, r.JSON()["id"].(string), token)
}

// Replica builds a second complete app (HTTP face, services, scheduler) on
// the same database and configuration, as a second portal replica would be.
func (e *Env) Replica() *Env {
	e.T.Helper()
	a, err := app.New(context.Background(), e.App.Config, nil, e.App.DB, app.Hooks{})
	if err != nil {
		e.T.Fatalf("apptest: replica: %v", err)
	}
	a.Tenants.SetHashCost(4)
	if err := a.StartBackground(context.Background()); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(a.StopBackground)
	return &Env{T: e.T, App: a, Admin: e.Admin}
}

// Sandbox turns on the sandbox payments gateway (off unless asked for, as
// in production): for tests that pay online.
func Sandbox(c *config.Config) { c.Sandbox = true }
