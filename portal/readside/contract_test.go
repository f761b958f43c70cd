package readside_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/accounts"
	"cartera/portal/apptest"
	"cartera/portal/debtors"
	"cartera/portal/readside"
	"cartera/portal/store"
	"cartera/portal/store/storetest"
	"cartera/portal/web"
)

// Both implementations serve the interfaces their consumers declare.
var (
	_ accounts.Lister    = (*readside.Index)(nil)
	_ accounts.Lister    = (*readside.Queries)(nil)
	_ debtors.AccountsOf = (*readside.DebtorViews)(nil)
	_ debtors.AccountsOf = (*readside.Queries)(nil)
	_ debtors.AccountsOf = readside.Rows(nil)
)

// side is one implementation of the read interfaces under test.
type side struct {
	name  string
	lists accounts.Lister
	rows  debtors.AccountsOf
}

// The read side's contract, one table of behaviour run against each
// implementation over the same portfolio, built through the portal's own
// flows (import, assignment, recall, payments, disputes) in three tenants
// whose slugs are neighbours in _id order:
//
//   - embedded: the projections and the queries side by side on the
//     embedded server (the queries scan there: correct, only slow);
//   - not embedded: the portal on a store that is not embedded (the same
//     server reached by its URI), which must pick the queries and register
//     no projection for them, end to end;
//   - mongodb: the same on the MongoDB server of MONGODB_URI (skipped
//     without it).
//
// Every answer must equal the reference: the accounts as they are, read
// whole and filtered here in Go.
func TestReadSideContract(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		e := apptest.New(t)
		if e.App.Read.Index == nil || e.App.Read.Views == nil {
			t.Fatal("the embedded server must read through its projections")
		}
		fx := build(t, e)
		q := readside.NewQueries()
		contract(t, e, fx, []side{{"projections", e.App.Read.Index, e.App.Read.Views}, {"queries", q, q}})
	})
	t.Run("not embedded", func(t *testing.T) { notEmbedded(t, storetest.ByURI(t)) })
	t.Run("mongodb", func(t *testing.T) { notEmbedded(t, storetest.Mongo(t)) })
}

func notEmbedded(t *testing.T, db *store.DB) {
	e := apptest.NewOn(t, db, nil)
	if _, ok := e.App.Read.Lists.(*readside.Queries); !ok || e.App.Read.Index != nil || e.App.Read.Views != nil {
		t.Fatalf("a store that is not embedded reads through %T and keeps projections %v %v", e.App.Read.Lists, e.App.Read.Index, e.App.Read.Views)
	}
	if _, ok := e.App.Read.Rows.(*readside.Queries); !ok {
		t.Fatalf("statement rows through %T", e.App.Read.Rows)
	}
	fx := build(t, e)
	contract(t, e, fx, []side{{"queries (the app's)", e.App.Read.Lists, e.App.Read.Rows}})
}

// fixture is what build made.
type fixture struct {
	c1, c2      string // acme's collectors
	paid        int64  // principal the partial payment on acme:F-001 paid
	debtorTok   map[string]string
	disputeOpen string // the dispute left open (acme:F-022)
}

var names = []string{"José Núñez", "María Gómez", "Ferretería El Tornillo", "Óscar Peña", "Ana Ruiz",
	"Luis Díaz", "Carmen Vélez", "Pedro Ñañez", "Lucía Ortiz", "Jorge Suárez"}

// portfolioCSV is n accounts F-001… over ten debtors 1001… (account i
// belongs to debtor 1000+((i-1)%10)+1), due on the 10th of month 1+(i%12)
// of 2025, worth 100.000 + 1.000·i.
func portfolioCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("documento,nombre,factura,vencimiento,valor\n")
	for i := 1; i <= n; i++ {
		d := (i - 1) % 10
		fmt.Fprintf(&b, "%d,%s,F-%03d,2025-%02d-10,%d\n", 1001+d, names[d], i, 1+i%12, 100000+1000*i)
	}
	return []byte(b.String())
}

func build(t *testing.T, e *apptest.Env) fixture {
	t.Helper()
	fx := fixture{debtorTok: map[string]string{}}
	for slug, n := range map[string]int{"acme": 40, "acme-co": 12, "acme2": 8} {
		e.Tenant(slug)
		_, client := e.User(slug, "client")
		if m := e.Import(slug, client, slug+".csv", portfolioCSV(n)); m["inserted"].(float64) != float64(n) {
			t.Fatalf("import %s: %v", slug, m)
		}
	}
	_, client := e.User("acme", "client")
	_, manager := e.User("acme", "manager")
	fx.c1, _ = e.User("acme", "collector")
	fx.c2, _ = e.User("acme", "collector")
	assign := func(tenant, collector string, from, to int) {
		t.Helper()
		var ids []string
		for i := from; i <= to; i++ {
			ids = append(ids, fmt.Sprintf("F-%03d", i))
		}
		if r := e.Do("POST", "/api/tenants/"+tenant+"/assignments", manager, map[string]any{"accountIds": ids, "collectorId": collector}); r.Status != 200 {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
	}
	assign("acme", fx.c1, 1, 10)
	assign("acme", fx.c2, 11, 16)
	if r := e.Do("POST", "/api/tenants/acme/accounts/F-020/recall", client, map[string]any{"reason": "acuerdo directo"}); r.Status != 200 {
		t.Fatalf("recall: %d %s", r.Status, r.Body)
	}
	pay := func(account string, amount int64, ref string) map[string]any {
		t.Helper()
		r := e.Do("POST", "/api/tenants/acme/accounts/"+account+"/payments", manager, map[string]any{"amount": amount, "method": "transfer", "reference": ref})
		if r.Status != 201 {
			t.Fatalf("payment %s: %d %s", account, r.Status, r.Body)
		}
		return r.JSON()
	}
	// Past interest first, then principal (CO Código Civil art. 1653).
	if fx.paid = int64(pay("F-001", 8_000_000, "T-1")["principal"].(float64)); fx.paid <= 0 || fx.paid >= 8_000_000 {
		t.Fatalf("the partial payment paid %d of principal", fx.paid)
	}
	// F-011 paid in full: what is owed after a first payment, then the rest.
	owed := int64(pay("F-011", 5_000_000, "T-2")["owed"].(float64))
	if m := pay("F-011", owed, "T-3"); m["owed"].(float64) != 0 {
		t.Fatalf("full payment leaves %v", m["owed"])
	}
	// Debtor 1002 disputes F-002 (accepted with a credit) and F-022 (left open).
	tok := func(doc string) string {
		t.Helper()
		r := e.Do("POST", "/api/tenants/acme/debtors/"+doc+"/access-code", manager, nil)
		if r.Status != 200 {
			t.Fatalf("access code %s: %d %s", doc, r.Status, r.Body)
		}
		r = e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": doc, "code": r.JSON()["code"].(string)})
		if r.Status != 200 {
			t.Fatalf("debtor login %s: %d %s", doc, r.Status, r.Body)
		}
		return r.JSON()["token"].(string)
	}
	fx.debtorTok["1001"], fx.debtorTok["1002"] = tok("1001"), tok("1002")
	dispute := func(account string) string {
		t.Helper()
		r := e.Do("POST", "/api/debtor/disputes", fx.debtorTok["1002"], map[string]any{"accountIds": []string{account}, "reason": "wrong_amount", "description": "El valor no es ese"})
		if r.Status != 201 {
			t.Fatalf("dispute %s: %d %s", account, r.Status, r.Body)
		}
		return r.JSON()["id"].(string)
	}
	accepted := dispute("F-002")
	fx.disputeOpen = dispute("F-022")
	if r := e.Do("POST", "/api/tenants/acme/disputes/"+accepted+"/resolve", client, map[string]any{"decision": "accept", "creditAmount": 3_000_000, "note": "Ajuste verificado"}); r.Status != 200 {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	// The legal stage, written as its owner would (through the store).
	sc := e.App.DB.Tenant("acme")
	if err := sc.C("accounts").Update(e.Ctx(), sc.ID("F-030"), bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: accounts.StatusLegal}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.App.DB.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	return fx
}

// listCase is one list query and, where the fixture makes it plain, the
// invoices it must give (besides equalling the reference).
type listCase struct {
	name   string
	tenant string
	q      func(sc *store.Scope, fx fixture) accounts.ListQuery
	want   []string // invoice keys, all pages; nil: only the reference
}

func keys(from, to int, skip ...int) []string {
	var out []string
	for i := from; i <= to; i++ {
		if !slices.Contains(skip, i) {
			out = append(out, fmt.Sprintf("F-%03d", i))
		}
	}
	return out
}

func ptr(s string) *string { return &s }

func due(from, to string) func(q *accounts.ListQuery) {
	return func(q *accounts.ListQuery) {
		f, _ := time.Parse(time.DateOnly, from)
		l, _ := time.Parse(time.DateOnly, to)
		q.HasDue, q.DueFrom, q.DueTo = true, f.Unix(), l.Unix()
	}
}

func lq(limit int, opts ...func(*accounts.ListQuery)) accounts.ListQuery {
	q := accounts.ListQuery{Limit: limit}
	for _, o := range opts {
		o(&q)
	}
	return q
}

var listCases = []listCase{
	{"everything, one page", "acme", func(*store.Scope, fixture) accounts.ListQuery { return lq(500) }, keys(1, 40)},
	{"everything, pages of 7", "acme", func(*store.Scope, fixture) accounts.ListQuery { return lq(7) }, keys(1, 40)},
	{"pages of 1", "acme2", func(*store.Scope, fixture) accounts.ListQuery { return lq(1) }, keys(1, 8)},
	{"after a cursor", "acme", func(sc *store.Scope, _ fixture) accounts.ListQuery {
		return lq(10, func(q *accounts.ListQuery) { q.Cursor = sc.ID("F-017") })
	}, keys(18, 40)},
	{"a cursor of a neighbour tenant", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Cursor = "acme-co:F-005" })
	}, keys(1, 40)},
	{"status open", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(9, func(q *accounts.ListQuery) { q.Status = accounts.StatusOpen })
	}, keys(1, 40, 11, 20, 30)},
	{"status paid", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Status = accounts.StatusPaid })
	}, keys(11, 11)},
	{"status recalled", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Status = accounts.StatusRecalled })
	}, keys(20, 20)},
	{"status legal", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Status = accounts.StatusLegal })
	}, keys(30, 30)},
	{"a collector's own", "acme", func(_ *store.Scope, fx fixture) accounts.ListQuery {
		return lq(4, func(q *accounts.ListQuery) { q.Collector = &fx.c1 })
	}, keys(1, 10)},
	{"another collector, open only", "acme", func(_ *store.Scope, fx fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Collector, q.Status = &fx.c2, accounts.StatusOpen })
	}, keys(12, 16)},
	{"unassigned", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(6, func(q *accounts.ListQuery) { q.Collector = ptr("") })
	}, keys(17, 40)},
	{"a collector of another tenant", "acme-co", func(_ *store.Scope, fx fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Collector = &fx.c1 })
	}, []string{}},
	{"one debtor", "acme", func(sc *store.Scope, _ fixture) accounts.ListQuery {
		return lq(3, func(q *accounts.ListQuery) { q.Debtor = sc.ID("1001") })
	}, []string{"F-001", "F-011", "F-021", "F-031"}},
	{"one debtor, open only", "acme", func(sc *store.Scope, _ fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Debtor, q.Status = sc.ID("1001"), accounts.StatusOpen })
	}, []string{"F-001", "F-021", "F-031"}},
	{"another tenant's debtor", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Debtor = "acme-co:1001" })
	}, []string{}},
	{"due in a range (bucket)", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(5, due("2025-03-01", "2025-05-10")) // months 3-5: i%12 in 2..4
	}, []string{"F-002", "F-003", "F-004", "F-014", "F-015", "F-016", "F-026", "F-027", "F-028", "F-038", "F-039", "F-040"}},
	{"due on one day, to the second", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, due("2025-02-10", "2025-02-10"))
	}, []string{"F-001", "F-013", "F-025", "F-037"}},
	{"due in a range, one collector", "acme", func(_ *store.Scope, fx fixture) accounts.ListQuery {
		return lq(50, due("2025-03-01", "2025-05-10"), func(q *accounts.ListQuery) { q.Collector = &fx.c2 })
	}, []string{"F-014", "F-015", "F-016"}},
	{"search an invoice, any case", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(4, func(q *accounts.ListQuery) { q.Text = "f-01" })
	}, keys(10, 19)},
	{"search a name with accents, upper case", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text = "NÚÑEZ" })
	}, []string{"F-001", "F-011", "F-021", "F-031"}},
	{"search part of a name", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text = "tornillo" })
	}, []string{"F-003", "F-013", "F-023", "F-033"}},
	{"search a document", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text = "1004" })
	}, []string{"F-004", "F-014", "F-024", "F-034"}},
	{"search characters a regex would read", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text = "F-0.1" })
	}, []string{}},
	{"search, status and collector", "acme", func(_ *store.Scope, fx fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text, q.Status, q.Collector = "gómez", accounts.StatusOpen, &fx.c1 })
	}, []string{"F-002"}},
	{"search with no match", "acme", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text = "zzz" })
	}, []string{}},
	{"a neighbour tenant, everything", "acme-co", func(*store.Scope, fixture) accounts.ListQuery { return lq(5) }, keys(1, 12)},
	{"a neighbour tenant, searched", "acme2", func(*store.Scope, fixture) accounts.ListQuery {
		return lq(50, func(q *accounts.ListQuery) { q.Text = "núñez" })
	}, []string{"F-001"}},
}

func contract(t *testing.T, e *apptest.Env, fx fixture, sides []side) {
	ctx := context.Background()
	for _, c := range listCases {
		sc := e.App.DB.Tenant(c.tenant)
		q := c.q(sc, fx)
		ref := reference(t, sc)
		for _, s := range sides {
			t.Run("list/"+s.name+"/"+c.name, func(t *testing.T) {
				var got []string
				page, cursor := 0, q.Cursor
				for {
					pq := q
					pq.Cursor = cursor
					p, ok, err := s.lists.List(ctx, sc, c.tenant, pq)
					if err != nil || !ok {
						t.Fatalf("page %d: ok %v, %v", page, ok, err)
					}
					if want := ref.page(sc, pq); !reflect.DeepEqual(p, want) {
						t.Fatalf("page %d after %q: %s", page, cursor, pageDiff(sc, p, want))
					}
					for _, a := range p.Items {
						got = append(got, sc.Key(a.ID))
					}
					if p.Next == "" {
						break
					}
					if page++; page > 100 {
						t.Fatal("the pages never end")
					}
					cursor = sc.ID(p.Next)
				}
				if c.want != nil && !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
					t.Errorf("gave %v, want %v", got, c.want)
				}
			})
		}
	}
	rowCases(t, e, fx, sides)
}

// ref is the reference answer: a tenant's accounts in _id order, whole.
type ref []accounts.Account

func reference(t *testing.T, sc *store.Scope) ref {
	t.Helper()
	var all []accounts.Account
	if err := sc.C("accounts").Find(context.Background(), bson.D{}, &all); err != nil {
		t.Fatal(err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// page is the contract of a list page: after the cursor, the first Limit
// matching accounts in _id order, with the fields a list row carries;
// Next names the last of them when another match follows.
func (r ref) page(sc *store.Scope, q accounts.ListQuery) accounts.Page {
	p := accounts.Page{Items: []accounts.Account{}}
	needle := strings.ToLower(q.Text)
	for _, a := range r {
		switch {
		case q.Cursor != "" && a.ID <= q.Cursor,
			q.Collector != nil && a.CollectorID != *q.Collector,
			q.Status != "" && a.Status != q.Status,
			q.Debtor != "" && a.DebtorID != q.Debtor,
			q.HasDue && (a.DueDate.Unix() < q.DueFrom || a.DueDate.Unix() > q.DueTo),
			needle != "" && !strings.Contains(strings.ToLower(a.Invoice), needle) && !strings.Contains(strings.ToLower(a.DebtorName), needle) &&
				!strings.Contains(strings.ToLower(a.Document), needle):
			continue
		}
		if len(p.Items) == q.Limit {
			p.Next = sc.Key(p.Items[len(p.Items)-1].ID)
			break
		}
		p.Items = append(p.Items, accounts.Account{ID: a.ID, TenantID: a.TenantID, Invoice: a.Invoice, DebtorID: a.DebtorID,
			Document: a.Document, DebtorName: a.DebtorName, DueDate: a.DueDate.Truncate(time.Second), Original: a.Original,
			Balance: a.Balance, Credit: a.Credit, Currency: a.Currency, Status: a.Status, CollectorID: a.CollectorID, Segment: a.Segment})
	}
	return p
}

// rowsOf is the contract of a debtor's rows: the accounts among ids, in
// the order of ids, with what the statement prices them from.
func rowsOf(t *testing.T, sc *store.Scope, ids []string) []accounts.Account {
	t.Helper()
	out := []accounts.Account{}
	for _, id := range ids {
		var a accounts.Account
		if err := sc.C("accounts").Get(context.Background(), id, &a); err != nil {
			continue
		}
		out = append(out, accounts.Account{ID: a.ID, TenantID: a.TenantID, Invoice: a.Invoice, DebtorID: a.DebtorID, DueDate: a.DueDate,
			Original: a.Original, Balance: a.Balance, Interest: a.Interest, Credit: a.Credit, Currency: a.Currency, Status: a.Status,
			PlanID: a.PlanID, Description: a.Description, History: a.History, Pauses: a.Pauses, DisputeIDs: a.DisputeIDs, Rev: a.Rev})
	}
	return normal(out)
}

// normal treats an empty list as none (a packed view keeps no empty lists).
func normal(list []accounts.Account) []accounts.Account {
	for i := range list {
		if len(list[i].History) == 0 {
			list[i].History = nil
		}
		if len(list[i].Pauses) == 0 {
			list[i].Pauses = nil
		}
		if len(list[i].DisputeIDs) == 0 {
			list[i].DisputeIDs = nil
		}
	}
	return list
}

func rowCases(t *testing.T, e *apptest.Env, fx fixture, sides []side) {
	ctx := context.Background()
	acme, co := e.App.DB.Tenant("acme"), e.App.DB.Tenant("acme-co")
	idsOf := func(sc *store.Scope, doc string) []string {
		var d accounts.Debtor
		if err := sc.C("debtors").Get(ctx, sc.ID(doc), &d); err != nil {
			t.Fatal(err)
		}
		return d.AccountIDs
	}
	type rowCase struct {
		name   string
		sc     *store.Scope
		debtor string
		ids    []string
		check  func(t *testing.T, rows []accounts.Account)
	}
	var cases []rowCase
	for d := 1001; d <= 1010; d++ {
		doc := fmt.Sprint(d)
		cases = append(cases, rowCase{name: "debtor " + doc, sc: acme, debtor: acme.ID(doc), ids: idsOf(acme, doc)})
	}
	d1, d2 := idsOf(acme, "1001"), idsOf(acme, "1002")
	rev := slices.Clone(d1)
	slices.Reverse(rev)
	cases = append(cases,
		rowCase{name: "after payments", sc: acme, debtor: acme.ID("1001"), ids: d1, check: func(t *testing.T, rows []accounts.Account) {
			f1, f11 := byKey(t, acme, rows, "F-001"), byKey(t, acme, rows, "F-011")
			if f1.Balance != f1.Original-fx.paid || f1.Status != accounts.StatusOpen || !hasKind(f1, accounts.KindPayment) || paidBy(f1, "T-1") != 8_000_000 {
				t.Errorf("F-001 after a partial payment: %+v", f1)
			}
			if f11.Balance != 0 || f11.Status != accounts.StatusPaid || !hasKind(f11, accounts.KindInterestPaid) {
				t.Errorf("F-011 paid in full: %+v", f11)
			}
		}},
		rowCase{name: "after disputes", sc: acme, debtor: acme.ID("1002"), ids: d2, check: func(t *testing.T, rows []accounts.Account) {
			f2, f22 := byKey(t, acme, rows, "F-002"), byKey(t, acme, rows, "F-022")
			if f2.Balance != f2.Original-3_000_000 || len(f2.DisputeIDs) != 0 || !hasKind(f2, accounts.KindCredit) {
				t.Errorf("F-002 after an accepted dispute: %+v", f2)
			}
			if len(f22.DisputeIDs) != 1 || !strings.HasSuffix(f22.DisputeIDs[0], fx.disputeOpen) || f22.Balance != f22.Original {
				t.Errorf("F-022 under an open dispute: %+v", f22)
			}
		}},
		rowCase{name: "in the order asked", sc: acme, debtor: acme.ID("1001"), ids: rev, check: func(t *testing.T, rows []accounts.Account) {
			if len(rows) != 4 || rows[0].ID != rev[0] || rows[3].ID != rev[3] {
				t.Errorf("order %v", rows)
			}
		}},
		rowCase{name: "missing and foreign ids left out", sc: acme, debtor: acme.ID("1001"),
			ids: append([]string{acme.ID("NOPE"), co.ID("F-001"), "acme-co:F-011"}, d1...), check: func(t *testing.T, rows []accounts.Account) {
				if len(rows) != 4 {
					t.Errorf("%d rows", len(rows))
				}
			}},
		rowCase{name: "no ids", sc: acme, debtor: acme.ID("1003"), ids: []string{}},
		rowCase{name: "a neighbour tenant's debtor", sc: co, debtor: co.ID("1001"), ids: idsOf(co, "1001"), check: func(t *testing.T, rows []accounts.Account) {
			if len(rows) != 2 || rows[0].TenantID != "acme-co" || rows[0].Balance != rows[0].Original {
				t.Errorf("acme-co's 1001: %+v", rows)
			}
		}},
	)
	for _, c := range cases {
		want := rowsOf(t, c.sc, c.ids)
		for _, s := range sides {
			t.Run("rows/"+s.name+"/"+c.name, func(t *testing.T) {
				got, err := s.rows.Accounts(ctx, c.sc, c.debtor, c.ids)
				if err != nil {
					t.Fatal(err)
				}
				if got = normal(got); !reflect.DeepEqual(got, want) {
					t.Fatalf("rows:\n got  %s\n want %s", show(got), show(want))
				}
				if c.check != nil {
					c.check(t, got)
				}
			})
		}
	}
	// The money: each debtor's statement, priced by the engine from each
	// implementation's rows, is the same to the peso.
	now := time.Now()
	for _, doc := range []string{"1001", "1002"} {
		var first string
		for i, s := range sides {
			// The same HTTP face with only the debtor service's rows swapped.
			deps := e.App.Web.Deps
			deps.DebtorPortal = debtors.New(e.App.DB, e.App.Audit, e.App.Tenants, e.App.Accounts,
				debtors.Options{Views: s.rows, Rules: e.App.Web.Policy, Now: func() time.Time { return now }})
			deps.Debtors = nil // the sessions of that debtor service
			face, _, err := web.New(deps)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/api/debtor/statement", nil)
			req.Header.Set("Authorization", "Bearer "+fx.debtorTok[doc])
			res, err := face.Test(req, 60_000)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r := apptest.Resp{Status: res.StatusCode, Body: body}
			if r.Status != 200 {
				t.Fatalf("statement %s through %s: %d %s", doc, s.name, r.Status, r.Body)
			}
			var st struct {
				Total    int64 `json:"total"`
				Accounts []any `json:"accounts"`
			}
			r.Decode(t, &st)
			if len(st.Accounts) == 0 || st.Total <= 0 {
				t.Errorf("statement %s through %s is empty: %s", doc, s.name, r.Body)
			}
			if i == 0 {
				first = string(r.Body)
			} else if string(r.Body) != first {
				t.Errorf("statement %s through %s differs:\n%s\n%s", doc, s.name, r.Body, first)
			}
		}
	}
}

func byKey(t *testing.T, sc *store.Scope, rows []accounts.Account, key string) accounts.Account {
	t.Helper()
	for _, r := range rows {
		if r.ID == sc.ID(key) {
			return r
		}
	}
	t.Fatalf("no row %s", key)
	return accounts.Account{}
}

func hasKind(a accounts.Account, kind string) bool {
	return slices.ContainsFunc(a.History, func(m accounts.Movement) bool { return m.Kind == kind })
}

// paidBy is what the movements of a payment reference took off the books.
func paidBy(a accounts.Account, ref string) int64 {
	var n int64
	for _, m := range a.History {
		if m.Ref == ref {
			n -= m.Amount
		}
	}
	return n
}

// pageDiff says how two pages differ: their invoices and next cursors,
// and the first item that differs in full.
func pageDiff(sc *store.Scope, got, want accounts.Page) string {
	ids := func(p accounts.Page) []string {
		var out []string
		for _, a := range p.Items {
			out = append(out, sc.Key(a.ID))
		}
		return out
	}
	out := fmt.Sprintf("\n got  %v next %q\n want %v next %q", ids(got), got.Next, ids(want), want.Next)
	for i := range min(len(got.Items), len(want.Items)) {
		if !reflect.DeepEqual(got.Items[i], want.Items[i]) {
			out += fmt.Sprintf("\n first difference:\n got  %s\n want %s", show(got.Items[i]), show(want.Items[i]))
			break
		}
	}
	return out
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
