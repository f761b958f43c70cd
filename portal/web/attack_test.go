package web_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
	"cartera/portal/browsertest"
	"cartera/portal/testtool"
	"cartera/static"
)

// Mass assignment: requests that try to set fields outside a route's
// allowlist are refused and leave the record unchanged.
func TestMassAssignmentRefused(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	e.Tenant("globex")
	_, mgr := e.User("acme", "manager")
	colID, _ := e.User("acme", "collector")
	e.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor\n1,Uno,A1,2026-01-01,1000\n"))
	cases := []struct {
		name, method, path string
		body               string
	}{
		{"user tenant and role", "PATCH", "/api/tenants/acme/users/" + colID, `{"name":"X","tenantId":"globex","tenants":["globex"]}`},
		{"user made admin", "PATCH", "/api/tenants/acme/users/" + colID, `{"role":"admin"}`},
		{"recall sets balance", "POST", "/api/tenants/acme/accounts/A1/recall", `{"reason":"x","balance":0,"status":"paid"}`},
		{"assignment with tenant", "POST", "/api/tenants/acme/assignments", `{"accountIds":["A1"],"collectorId":"` + colID + `","tenantId":"globex"}`},
		{"tenant with extra", "POST", "/api/tenants", `{"slug":"zz","name":"Z","country":"CO","commissionBP":0,"rev":9}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := mgr
			if c.path == "/api/tenants" {
				tok = e.Admin
			}
			r := e.Do(c.method, c.path, tok, c.body)
			if r.Status != 400 {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
		})
	}
	acc := e.Do("GET", "/api/tenants/acme/accounts/A1", mgr, nil).JSON()
	if acc["balance"].(float64) != 100000 || acc["status"] != "open" || acc["collectorId"] != "" {
		t.Fatalf("account changed: %v", acc)
	}
	users := e.Do("GET", "/api/tenants/acme/users", mgr, nil)
	if strings.Contains(string(users.Body), `"role":"admin"`) {
		t.Fatal("a user was made admin")
	}
	if r := e.Do("GET", "/api/tenants/globex/users", e.Admin, nil); strings.Contains(string(r.Body), colID) {
		t.Fatal("a user moved to another tenant")
	}
}

// Operators and regular expressions in query strings are plain text.
func TestQueryStringInjection(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	e.Import("acme", mgr, "p.csv", []byte("documento,nombre,factura,vencimiento,valor\n1,Uno,A1,2026-01-01,1000\n2,Dos,B2,2026-01-01,1000\n"))
	for _, q := range []string{"q=.*", "q=%5E", "q[$ne]=x", "status[$ne]=paid&q=.%2B", "debtor[$gt]=", "q=%28a%2B%29%2B%24"} {
		r := e.Do("GET", "/api/tenants/acme/accounts?"+q, mgr, nil)
		if r.Status != 200 && r.Status != 400 {
			t.Fatalf("%s: %d", q, r.Status)
		}
		if r.Status == 200 && (q == "q=.*" || q == "q=%5E" || strings.HasPrefix(q, "status")) {
			if n := len(r.JSON()["items"].([]any)); n != 0 {
				t.Fatalf("%s matched %d accounts as a pattern", q, n)
			}
		}
	}
	// HTML in a stored text comes back as data, never as markup.
	e.Import("acme", mgr, "x.csv", []byte("documento,nombre,factura,vencimiento,valor\n3,<img src=x onerror=alert(1)>,C3,2026-01-01,1000\n"))
	r := e.Do("GET", "/api/tenants/acme/accounts/C3", mgr, nil)
	if r.Header.Get("Content-Type") != "application/json" || !strings.Contains(r.JSON()["debtor"].(map[string]any)["name"].(string), "<img") {
		t.Fatalf("stored text: %s %s", r.Header.Get("Content-Type"), r.Body)
	}
}

// attackCSV is the header of the small portfolios these tests upload.
const attackCSV = "documento,nombre,factura,vencimiento,valor\n"

// uploadCounts is what an import leaves behind: import records, stored
// files, accounts and import.start audit entries.
func uploadCounts(t *testing.T, e *apptest.Env) [4]int64 {
	t.Helper()
	var out [4]int64
	for i, name := range []string{"imports", "files.files", "accounts"} {
		n, err := e.App.DB.C(name).Count(e.Ctx(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = n
	}
	audits, err := e.App.Audit.List(e.Ctx(), "", "import.start", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out[3] = int64(len(audits))
	return out
}

// xlsxZip builds a zip holding a workbook and one sheet entry of sheetSize
// bytes; with lie > 0 the sheet's header declares lie bytes instead (the
// data inflate to sheetSize all the same).
func xlsxZip(t *testing.T, sheetSize, lie int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	_, _ = io.WriteString(w, `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	w, _ = zw.Create("xl/workbook.xml")
	_, _ = io.WriteString(w, `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	chunk := bytes.Repeat([]byte("<c><v>0</v></c>"), 1<<16)
	crc := crc32.NewIEEE()
	for n := int64(0); n < sheetSize; n += int64(len(chunk)) {
		c := chunk[:min(int64(len(chunk)), sheetSize-n)]
		_, _ = fw.Write(c)
		crc.Write(c)
	}
	_ = fw.Close()
	declared := sheetSize
	if lie > 0 {
		declared = lie
	}
	rw, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(declared)})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = rw.Write(comp.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Zip bombs and oversized files sent through the real upload endpoints are
// refused with a status and a message a person can act on, and nothing is
// stored: no import, no file, no account, no audit entry.
func TestUploadZipBombsAndOversizedFiles(t *testing.T) {
	e := apptest.New(t) // upload limit 8 MB
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	honest := xlsxZip(t, 210<<20, 0) // inflates to 210 MB and says so
	liar := xlsxZip(t, 64<<20, 1024) // says 1 KB, inflates to 64 MB
	bigCSV := append([]byte(attackCSV), bytes.Repeat([]byte("1,Uno,A1,2026-01-01,1000\n"), (8<<20)/25+1000)...)
	bigXLSX := append(xlsxZip(t, 1024, 0), bytes.Repeat([]byte{0x5a}, 8<<20)...) // a valid head, then 8 MB of padding
	if len(honest) > 2<<20 || len(liar) > 2<<20 {
		t.Fatalf("bombs are %d and %d bytes compressed; they should be small", len(honest), len(liar))
	}
	cases := []struct {
		name, path, file string
		body             []byte
		status           int
		code, says       string
	}{
		{"xlsx bomb, import", "imports", "cartera.xlsx", honest, 413, "too_large", "demasiado grande"},
		{"xlsx bomb, preview", "imports/preview", "cartera.xlsx", honest, 413, "too_large", "demasiado grande"},
		{"xlsx bomb lying about its size", "imports", "cartera.xlsx", liar, 400, "invalid", "dañado"},
		{"xlsx over the upload limit", "imports", "grande.xlsx", bigXLSX, 413, "too_large", "demasiado grande"},
		{"csv over the upload limit", "imports", "grande.csv", bigCSV, 413, "too_large", "demasiado grande"},
	}
	before := uploadCounts(t, e)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			r := e.Upload("/api/tenants/acme/"+c.path, client, c.file, c.body, "")
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			m := r.JSON()
			if m["code"] != c.code || !strings.Contains(m["error"].(string), c.says) {
				t.Fatalf("body %s, want code %s and a message saying %q", r.Body, c.code, c.says)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Fatalf("refusal took %s: the bomb was inflated", d)
			}
		})
	}
	// A body past the server's own limit (upload limit + 1 MB) is refused
	// from its Content-Length with the same JSON answer, after the server
	// has read its first 8 KB at most (the streamed body's first buffer):
	// the other 10 MB are never sent.
	t.Run("body over the server limit", func(t *testing.T) {
		addr := strings.TrimPrefix(e.Listen(), "http://")
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/tenants/acme/imports HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n--x\r\n%s", addr, client, 10<<20, strings.Repeat("a", 16<<10))
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 413 || !strings.Contains(string(b), "too_large") {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
	})
	if after := uploadCounts(t, e); after != before {
		t.Fatalf("refused uploads left data (imports, files, accounts, audits): %v -> %v", before, after)
	}
}

// Upload file names cannot climb directories or reach the response headers:
// the stored name is the last path element, printable, and downloads name
// their own files.
func TestUploadFileNameTraversal(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, client := e.User("acme", "client")
	for i, name := range []string{
		"../../../../etc/cron.d/cartera.csv",
		`..\..\..\Windows\System32\cartera.csv`,
		"/var/lib/cartera/data/cartera.csv",
		"..%2f..%2fcartera.csv",
		`cartera";name="x.csv`,
		"cartera\t.csv",
	} {
		body := []byte(attackCSV + fmt.Sprintf("%d,Uno,T%d,2026-01-01,1000\n1,Uno,,x,y\n", 70+i, i))
		r := e.Upload("/api/tenants/acme/imports", client, name, body, "")
		if r.Status != 202 {
			t.Fatalf("%q: %d %s", name, r.Status, r.Body)
		}
		id := r.JSON()["id"].(string)
		m := e.WaitImport("acme", id, client)
		stored, _ := m["fileName"].(string)
		if strings.ContainsAny(stored, `/\`+"\x00\t") || stored == ".." || stored == "" {
			t.Errorf("%q stored as %q", name, stored)
		}
		r = e.Do("GET", "/api/tenants/acme/imports/"+id+"/errors.csv", client, nil)
		if cd := r.Header.Get("Content-Disposition"); r.Status != 200 || strings.ContainsAny(cd, `/\`) || strings.Contains(cd, "..") {
			t.Errorf("%q: errors.csv %d, Content-Disposition %q", name, r.Status, cd)
		}
	}
	// Nothing was written to disk under those names: files live in GridFS.
	for _, p := range []string{"/etc/cron.d/cartera.csv", "/var/lib/cartera/data/cartera.csv", filepath.Join(e.App.Config.DataDir, "cartera.csv")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
}

// Traversal attempts on static and translation paths, sent as raw request
// lines so no client tidies them first, never serve anything outside the
// embedded assets.
func TestStaticPathTraversal(t *testing.T) {
	e := apptest.New(t)
	addr := strings.TrimPrefix(e.Listen(), "http://")
	for _, p := range []string{
		"/static/../go.mod", "/static/../../../../etc/passwd", "/static/..%2f..%2fgo.mod", "/static/%2e%2e/%2e%2e/go.mod",
		"/static/%2e%2e%2f%2e%2e%2fgo.mod", "/static/..%5c..%5cgo.mod", "/static/....//....//go.mod", "/static//etc/passwd",
		"/static/js/../../go.mod", "/static/embed.go", "/static/js/app.js%00.html", "/static/%00", "/i18n/..%2f..%2fgo.mod.json",
		"/i18n/../../go.mod", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/debtor.html",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", p, addr)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, _ := io.ReadAll(conn)
		conn.Close()
		status := strings.SplitN(string(resp), "\r\n", 2)[0]
		for _, leak := range []string{"module cartera", "root:x:0:0", "package static", "go:embed"} {
			if strings.Contains(string(resp), leak) {
				t.Errorf("%s served %q (%s)", p, leak, status)
			}
		}
		switch {
		case strings.Contains(status, " 404 ") || strings.Contains(status, " 400 "):
		case strings.HasPrefix(p, "/i18n/") && strings.Contains(status, " 200 ") && strings.Contains(string(resp), `"error.too_large"`):
			// An unknown language falls back to the default catalogue.
		default:
			t.Errorf("%s: %s, want 404 or 400", p, status)
		}
	}
}

// Markup stored in a debtor's name and address comes back literally: as
// text in the statement and letter PDFs (pdftotext), as JSON data, never in
// the HTML shells, and the pages' scripts never build markup from data.
func TestStoredMarkupIsLiteralInPDFsAndPages(t *testing.T) {
	testtool.Bin(t, "pdftotext", "poppler-utils", "")
	const name = `<script>alert('x')</script> & <b>Ñandú</b>`
	const addr = `<img src=x onerror=alert(1)> Calle 1`
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	m := e.Import("acme", mgr, "x.csv", []byte("documento,nombre,factura,vencimiento,valor,direccion,ciudad\n"+
		"900100200,"+name+",H1,2026-01-01,1000,"+addr+",<i>Bogotá</i>\n"))
	if num(m, "inserted") != 1 {
		t.Fatalf("import %v", m)
	}
	code := e.Do("POST", "/api/tenants/acme/debtors/900100200/access-code", mgr, nil).JSON()["code"].(string)
	r := e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": "900100200", "code": code})
	if r.Status != 200 {
		t.Fatalf("debtor login %d %s", r.Status, r.Body)
	}
	debtor := r.JSON()["token"].(string)
	pdfText := func(what string, b []byte) string {
		t.Helper()
		cmd := exec.Command("pdftotext", "-layout", "-", "-")
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: pdftotext: %v", what, err)
		}
		return string(out)
	}
	for _, c := range []struct {
		what, path, token string
		want              []string
	}{
		{"statement PDF", "/api/debtor/statement.pdf", debtor, []string{name}},
		{"letter PDF", "/api/tenants/acme/accounts/H1/letter.pdf?level=1", mgr, []string{name, addr, "<i>Bogotá</i>"}},
	} {
		r := e.Do("GET", c.path, c.token, nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%s: %d %s", c.what, r.Status, r.Body)
		}
		text := pdfText(c.what, r.Body)
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not show %q literally:\n%s", c.what, w, text)
			}
		}
	}
	// As data: JSON, not sniffable as HTML, and the shells carry no data.
	r = e.Do("GET", "/api/debtor/statement", debtor, nil)
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("statement served as %q, nosniff %q", r.Header.Get("Content-Type"), r.Header.Get("X-Content-Type-Options"))
	}
	for _, page := range []string{"/debtor", "/client", "/collector", "/manager", "/"} {
		r := e.Do("GET", page, debtor, nil)
		if strings.Contains(string(r.Body), "Ñandú") || !strings.Contains(r.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("%s: data in the shell or no strict CSP (%q)", page, r.Header.Get("Content-Security-Policy"))
		}
	}
	sinks := regexp.MustCompile(`\.innerHTML\s*[+]?=|outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	_ = fs.WalkDir(static.FS, "js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(static.FS, p)
		for i, line := range strings.Split(string(b), "\n") {
			if sinks.MatchString(line) {
				t.Errorf("%s:%d builds markup from strings: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	// In a browser, where present: the debtor's page shows the name as text
	// and runs nothing from it.
	if browsertest.Browser(t) == "" {
		return
	}
	url := e.Listen()
	ctx := browsertest.New(t, 1024, 900)
	clientRun(t, ctx, "debtor login",
		chromedp.Navigate(url+"/debtor"), chromedp.WaitVisible(chromedp.CSS("#d-tenant")),
		chromedp.SendKeys(chromedp.CSS("#d-tenant"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#d-document"), "900100200"),
		chromedp.SendKeys(chromedp.CSS("#d-code"), code),
		chromedp.Click(chromedp.CSS(`#debtor-login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#statement")),
	)
	clientWait(t, ctx, `document.querySelector('.statement-head').innerText.includes('Ñandú')`)
	if head := browsertest.Text(t, ctx, ".statement-head"); !strings.Contains(head, name) {
		t.Errorf("the page does not show the name literally: %q", head)
	}
	if got := browsertest.Eval(t, ctx, `String(document.querySelectorAll('.statement-head b, .statement-head script, img[src="x"]').length)`); got != "0" {
		t.Errorf("%s elements were built from the stored name", got)
	}
	// The client company's portfolio table and account detail, the same.
	if r := e.Do("POST", "/api/tenants/acme/users", e.Admin, map[string]any{"email": "xss@acme.test", "name": "<u>Carla</u>", "role": "client", "password": apptest.Password}); r.Status != 201 {
		t.Fatal(r.Status, string(r.Body))
	}
	staff := browsertest.New(t, 1280, 900)
	clientLogin(t, staff, url, "xss@acme.test")
	clientWait(t, staff, `!!document.querySelector('#accounts-table tr[data-id="H1"]')`)
	if row := browsertest.Text(t, staff, `#accounts-table tr[data-id="H1"]`); !strings.Contains(row, name) {
		t.Errorf("the portfolio row does not show the name literally: %q", row)
	}
	clientRun(t, staff, "account detail",
		chromedp.Click(chromedp.CSS(`#accounts-table tr[data-id="H1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#account-detail")),
	)
	clientWait(t, staff, `document.querySelector('#account-detail').innerText.includes('Ñandú')`)
	if got := browsertest.Eval(t, staff, `String(document.querySelectorAll('#accounts-table b, #account-detail b, main script, img[src="x"], u').length)`); got != "0" {
		t.Errorf("%s elements were built from stored text on the client's page", got)
	}
}

// Guessing access codes: five wrong codes lock the document (429 with
// Retry-After, even for the right code) and twenty failures lock the
// address; each lock leaves exactly one audit record, and throttled
// attempts leave none.
func TestAccessCodeBruteForce(t *testing.T) {
	e := apptest.New(t)
	e.Tenant("acme")
	_, mgr := e.User("acme", "manager")
	e.Import("acme", mgr, "p.csv", []byte(attackCSV+"80123456,Uno,B1,2026-01-01,1000\n80999999,Dos,B2,2026-01-01,1000\n"))
	code := e.Do("POST", "/api/tenants/acme/debtors/80123456/access-code", mgr, nil).JSON()["code"].(string)
	other := e.Do("POST", "/api/tenants/acme/debtors/80999999/access-code", mgr, nil).JSON()["code"].(string)
	login := func(doc, c string) apptest.Resp {
		return e.Do("POST", "/api/debtor/login", "", map[string]string{"tenant": "acme", "document": doc, "code": c})
	}
	count := func(action string) int {
		l, err := e.App.Audit.List(e.Ctx(), "", action, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	for i := 0; i < 5; i++ {
		if r := login("80123456", fmt.Sprintf("WRONG-CODE-%02d", i)); r.Status != 401 {
			t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
		}
	}
	for i, c := range []string{"WRONG-CODE-98", code, "WRONG-CODE-99"} {
		r := login("80.123.456", c) // the same document written another way
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || r.JSON()["code"] != "too_many_attempts" {
			t.Fatalf("attempt %d after the lock: %d Retry-After %q %s", i, r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 60 || s > 15*60 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
	}
	if f, l := count("debtor.login.failed"), count("debtor.login.locked"); f != 5 || l != 1 {
		t.Fatalf("after a document lock: %d failed and %d locked records, want 5 and 1", f, l)
	}
	// Spraying documents from one address: the twentieth failure locks it.
	for i := 0; i < 15; i++ {
		if r := login(fmt.Sprint(70000000+i), "WRONG-CODE-00"); r.Status != 401 {
			t.Fatalf("spray %d: %d", i, r.Status)
		}
	}
	if r := login("80999999", other); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("another debtor's right code from a locked address: %d", r.Status)
	}
	locks, _ := e.App.Audit.List(e.Ctx(), "", "debtor.login.locked", 10)
	if f := count("debtor.login.failed"); f != 20 || len(locks) != 2 {
		t.Fatalf("%d failed and %d locked records, want 20 and 2", f, len(locks))
	}
	for _, l := range locks {
		if strings.Contains(fmt.Sprint(l.Details), "80123456") {
			t.Fatalf("a lock record holds the full document: %v", l.Details)
		}
	}
	// When the lock is over, the right code works again.
	byDoc, byAddr := e.App.DebtorsSvc.Limiters()
	later := func() time.Time { return time.Now().Add(16 * time.Minute) }
	byDoc.SetClock(later)
	byAddr.SetClock(later)
	if r := login("80123456", code); r.Status != 200 {
		t.Fatalf("after the lock: %d %s", r.Status, r.Body)
	}
}
