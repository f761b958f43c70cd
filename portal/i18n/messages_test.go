package i18n_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"cartera/portal/i18n"
	"cartera/static"
)

// Every Spanish message the Go code hands to a person has its English in
// static/i18n/phrases (or is itself a catalogue key), with the same fmt verbs in
// the same order, so a new rule cannot ship its message in Spanish only.
//
// A message is found where it enters a sink (sinks below): as a literal, as
// the format of fmt.Sprintf, as a sum "text "+x (the format "text %s"), as a
// variable of the same function assigned literals (why = "…"), or as the
// string literals returned by a function of the repository it calls
// (apperr.Field("password", tenants.ValidPassword(pw))).
func TestEveryServerMessageHasEnglish(t *testing.T) {
	book, err := i18n.ReadPhrases(static.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load(static.FS, "es", "en")
	if err != nil {
		t.Fatal(err)
	}
	found := scanMessages(t, filepath.Join("..", ".."))
	if len(found) < 200 {
		t.Fatalf("found only %d messages: the scan is broken", len(found))
	}
	var missing, verbs []string
	for _, m := range found {
		if cat.Has("en", m.text) {
			continue
		}
		en, ok := book[m.text]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s: %s %q", m.where, m.sink, m.text))
			continue
		}
		if a, b := verbsOf(m.text), verbsOf(en); !slices.Equal(a, b) {
			verbs = append(verbs, fmt.Sprintf("%s: %q has verbs %v, its English %q has %v", m.where, m.text, a, en, b))
		}
	}
	sort.Strings(missing)
	sort.Strings(verbs)
	t.Logf("%d Spanish messages in sinks; %d without English, %d with other verbs", len(found), len(missing), len(verbs))
	for _, s := range missing {
		t.Errorf("no English in static/i18n/phrases: %s", s)
	}
	for _, s := range verbs {
		t.Error(s)
	}
}

// The scan sees what it should: each kind of sink and each way a message
// reaches one.
func TestScanFindsMessages(t *testing.T) {
	dir := t.TempDir()
	src := `package p
import ("fmt"; "cartera/portal/apperr"; "github.com/gofiber/fiber/v2")
func policy(pw string) string { if pw == "" { return "la clave es obligatoria" }; return "" }
func f(f apperr.Fields, n int, pw string) error {
	f.Add("a", "falta el valor")
	f.Add("b", fmt.Sprintf("máximo %d caracteres", n))
	f.Add("c", "la factura "+pw+" no existe")
	var why string
	if n > 1 { why = "número no válido" }
	_ = apperr.Field("d", why)
	_ = apperr.Field("e", policy(pw))
	_ = &apperr.Invalid{Msg: "datos inválidos", Fields: map[string]string{"slug": "ya está en uso"}}
	_ = refuse("sunday", "rule", "No se permite el %s", "domingo")
	_ = fiber.NewError(400, "consulta no válida")
	f.Add("x", "use email o phone")
	_ = fmt.Sprintf("ignored: no sink %d", n)
	_ = s.phrases.T("en", "recuperacion")
	m.Reason = "sin medio de envío"
	_ = bson.D{{Key: "note", Value: "Envío automático: " + m.Subject}}
	return nil
}
var AccountsHeader = []string{"factura", "saldo"}`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range scanMessages(t, dir) {
		got = append(got, m.text)
	}
	sort.Strings(got)
	want := []string{"Envío automático: %s", "No se permite el %s", "consulta no válida", "datos inválidos", "factura", "falta el valor", "la clave es obligatoria",
		"la factura %s no existe", "máximo %d caracteres", "número no válido", "recuperacion", "saldo", "sin medio de envío", "use email o phone", "ya está en uso"}
	if !slices.Equal(got, want) {
		t.Errorf("scan found\n%q\nwant\n%q", got, want)
	}
}

// message is a person-facing text found in a sink.
type message struct {
	text, where, sink string
	always            bool // checked even when it does not look Spanish (file names, CSV columns)
}

// consts are the repository's string constants by name (refusal codes).
var consts map[string]string

// spanish tells Spanish text from identifiers, codes and English: an
// accented letter or a common Spanish word.
var spanish = regexp.MustCompile(`(?i)[áéíóúñ¿¡]|\b(de|del|la|el|los|las|un|una|o|y|no|es|en|se|su|que|por|para|con|sin|al|debe|falta|hay|use|indique|valor|fecha|cuenta|factura|pago|saldo|deudor|cliente|monto|gestor|cuota|plan|archivo|fila|columna|correo|número)\b`)

// fmtVerb is one fmt verb (%% is none).
var fmtVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

func verbsOf(s string) []string {
	var out []string
	for _, v := range fmtVerb.FindAllString(strings.ReplaceAll(s, "%%", ""), -1) {
		out = append(out, v[len(v)-1:])
	}
	return out
}

// scanMessages parses every non-test Go file under root and returns the
// Spanish messages that reach a sink.
func scanMessages(t *testing.T, root string) []message {
	t.Helper()
	type file struct {
		path string
		fset *token.FileSet
		f    *ast.File
	}
	var files []file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, file{path, fset, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// First pass: what each function that returns one string can return
	// as a literal (validation helpers return the reason).
	returns := map[string][]string{}
	consts = map[string]string{}
	for _, fl := range files {
		for _, d := range fl.f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				for _, sp := range gd.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := literal(vs.Values[i]); ok {
								consts[name.Name] = s
							}
						}
					}
				}
			}
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil || fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
				continue
			}
			if id, ok := fd.Type.Results.List[0].Type.(*ast.Ident); !ok || id.Name != "string" {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false
				}
				if r, ok := n.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
					if s, ok := literal(r.Results[0]); ok {
						returns[fd.Name.Name] = append(returns[fd.Name.Name], s)
					}
				}
				return true
			})
		}
	}
	seen := map[string]bool{}
	var out []message
	for _, fl := range files {
		for _, d := range fl.f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				if gd, ok := d.(*ast.GenDecl); ok { // package-level tables
					for _, m := range headerMessages(gd) {
						if !seen[m.text] {
							seen[m.text] = true
							m.where = fl.fset.Position(gd.Pos()).String()
							out = append(out, m)
						}
					}
					ast.Inspect(gd, func(n ast.Node) bool {
						for _, m := range sinkMessages(n, nil, returns) {
							if !seen[m.text] && (m.always || spanish.MatchString(m.text)) {
								seen[m.text] = true
								m.where = fl.fset.Position(n.Pos()).String()
								out = append(out, m)
							}
						}
						return true
					})
				}
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				for _, m := range sinkMessages(n, fd.Body, returns) {
					if !seen[m.text] && (m.always || spanish.MatchString(m.text)) {
						seen[m.text] = true
						m.where = fl.fset.Position(n.Pos()).String()
						out = append(out, m)
					}
				}
				return true
			})
		}
	}
	return out
}

// sinkMessages returns the messages node n hands to a person. The sinks:
// apperr.Field(name, msg); Fields.Add(name, msg); the ingest reader's
// rowErrors.add(id, code, msg, …) and its header problems
// append(problems, …); the compliance rules' refuse(code, rule, msg, …)
// (stored as well as answered); the bank-file
// readers' fail(code, msg, …); fiber.NewError(status, msg); and the fields
// Msg, Message, Reason, Note and Label of a composite literal (apperr.Invalid,
// apperr.Refusal, ingest.HeaderError, import row errors, ledger and dispute
// notes, worklist labels).
func sinkMessages(n ast.Node, body *ast.BlockStmt, returns map[string][]string) []message {
	values := func(e ast.Expr) []string { return resolve(e, body, returns) }
	one := func(sink string, e ast.Expr) []message {
		var out []message
		for _, s := range values(e) {
			out = append(out, message{text: s, sink: sink})
		}
		return out
	}
	switch v := n.(type) {
	case *ast.CallExpr:
		switch fun := v.Fun.(type) {
		case *ast.Ident:
			switch {
			case fun.Name == "append" && len(v.Args) > 1:
				if p, ok := v.Args[0].(*ast.Ident); ok && p.Name == "problems" {
					var out []message
					for _, a := range v.Args[1:] {
						exprs := []ast.Expr{a}
						if cl, ok := a.(*ast.CompositeLit); ok {
							exprs = cl.Elts
						}
						for _, x := range exprs {
							out = append(out, one("problems", x)...)
						}
					}
					return out
				}
			case fun.Name == "refuse" && len(v.Args) >= 3:
				// The error handler words a refusal by refusal.<code> when the
				// catalogue has it, but its reason is also stored and shown
				// (refused attempts, outbox reasons): it needs its English.
				return one("refuse", v.Args[2])
			case fun.Name == "fail" && len(v.Args) >= 2:
				return one("fail", v.Args[1])
			}
		case *ast.SelectorExpr:
			pkg, _ := fun.X.(*ast.Ident)
			switch {
			case pkg != nil && pkg.Name == "apperr" && fun.Sel.Name == "Field" && len(v.Args) == 2:
				return one("apperr.Field", v.Args[1])
			case pkg != nil && pkg.Name == "fiber" && fun.Sel.Name == "NewError" && len(v.Args) == 2:
				return one("fiber.NewError", v.Args[1])
			case fun.Sel.Name == "T" && len(v.Args) == 2 && isPhrases(fun.X):
				out := one("phrases.T", v.Args[1])
				for i := range out {
					out[i].always = true
				}
				return out
			case fun.Sel.Name == "Add" && len(v.Args) == 2:
				return one("Fields.Add", v.Args[1])
			case fun.Sel.Name == "add" && len(v.Args) >= 3: // ingest's row errors
				return one("rowErrors.add", v.Args[2])
			}
		}
	case *ast.AssignStmt: // m.Reason = "…", reason += " Próximo momento permitido: …"
		var out []message
		for i, l := range v.Lhs {
			if sel, ok := l.(*ast.SelectorExpr); ok && i < len(v.Rhs) && textField[sel.Sel.Name] {
				out = append(out, one(sel.Sel.Name+" =", v.Rhs[i])...)
			}
			if id, ok := l.(*ast.Ident); ok && v.Tok == token.ADD_ASSIGN && i < len(v.Rhs) && (id.Name == "reason" || id.Name == "note") {
				out = append(out, one(id.Name+" +=", v.Rhs[i])...)
			}
		}
		return out
	case *ast.CompositeLit: // bson {Key: "reason", Value: …} of a stored document
		var key string
		var val ast.Expr
		for _, el := range v.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				switch k, _ := kv.Key.(*ast.Ident); {
				case k != nil && k.Name == "Key":
					key, _ = literal(kv.Value)
				case k != nil && k.Name == "Value":
					val = kv.Value
				}
			}
		}
		if val != nil && (key == "reason" || key == "note") {
			return one("bson "+key, val)
		}
	case *ast.KeyValueExpr:
		if k, ok := v.Key.(*ast.Ident); ok {
			if textField[k.Name] {
				return one(k.Name+":", v.Value)
			}
			if cl, ok := v.Value.(*ast.CompositeLit); ok && textList[k.Name] { // Records: []string{"…"}
				var out []message
				for _, el := range cl.Elts {
					out = append(out, one(k.Name+":", el)...)
				}
				return out
			}
			if cl, ok := v.Value.(*ast.CompositeLit); ok && k.Name == "Fields" { // Fields: map[string]string{"slug": "ya está en uso"}
				var out []message
				for _, el := range cl.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						out = append(out, one("Fields:", kv.Value)...)
					}
				}
				return out
			}
		}
	}
	return nil
}

// textField names the fields of a type that carry text for a person.
var textField = map[string]bool{"Msg": true, "Message": true, "Reason": true, "Note": true, "Label": true, "Processor": true, "Subject": true, "Body": true, "Description": true}

// textList names the fields that list texts for a person (the privacy
// notice's records and purposes).
var textList = map[string]bool{"Records": true, "Purposes": true}

// resolve returns the texts an expression can be: a literal (see literal),
// a variable of the function assigned literals, or the literals a called
// function of the repository returns.
func resolve(e ast.Expr, body *ast.BlockStmt, returns map[string][]string) []string {
	if s, ok := literal(e); ok {
		return []string{s}
	}
	switch v := e.(type) {
	case *ast.SelectorExpr:
		if c, ok := consts[v.Sel.Name]; ok {
			return []string{c}
		}
	case *ast.Ident:
		if c, ok := consts[v.Name]; ok {
			return []string{c}
		}
		if body == nil {
			return nil
		}
		var out []string
		ast.Inspect(body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != len(as.Rhs) {
				return true
			}
			for i, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == v.Name {
					if s, ok := literal(as.Rhs[i]); ok {
						out = append(out, s)
					} else if c, ok := constOf(as.Rhs[i]); ok {
						out = append(out, c)
					} else if call, ok := as.Rhs[i].(*ast.CallExpr); ok { // why := tenants.ValidPassword(pw)
						out = append(out, resolve(call, nil, returns)...)
					}
				}
			}
			return true
		})
		return out
	case *ast.CallExpr:
		switch fun := v.Fun.(type) {
		case *ast.Ident:
			return returns[fun.Name]
		case *ast.SelectorExpr:
			return returns[fun.Sel.Name]
		}
	}
	return nil
}

// literal is a string literal, the format of fmt.Sprintf, or a sum like
// "text "+x+" more" as the format "text %s more".
func literal(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind == token.STRING {
			s, err := strconv.Unquote(v.Value)
			return s, err == nil
		}
	case *ast.CallExpr:
		if sel, ok := v.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(v.Args) > 0 {
			return literal(v.Args[0])
		}
	case *ast.BinaryExpr:
		if v.Op == token.ADD {
			l, lok := literal(v.X)
			r, rok := literal(v.Y)
			if !lok && !rok {
				return "", false
			}
			if !lok {
				l = "%s"
			}
			if !rok {
				r = "%s"
			}
			return l + r, true
		}
	}
	return "", false
}

// constOf is the value of a string constant named by e.
func constOf(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.Ident:
		c, ok := consts[v.Name]
		return c, ok
	case *ast.SelectorExpr:
		c, ok := consts[v.Sel.Name]
		return c, ok
	}
	return "", false
}

// isPhrases says whether e names the phrasebook (s.phrases, phrases, a
// Phrase func).
func isPhrases(e ast.Expr) bool {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name == "phrases"
	case *ast.SelectorExpr:
		return v.Sel.Name == "phrases"
	}
	return false
}

// headerMessages are the columns of a CSV header, a package-level
// var …Header = []string{…}: files are worded at the edge (Server.header).
func headerMessages(gd *ast.GenDecl) []message {
	if gd.Tok != token.VAR {
		return nil
	}
	var out []message
	for _, sp := range gd.Specs {
		vs := sp.(*ast.ValueSpec)
		for i, name := range vs.Names {
			if !name.IsExported() || !strings.HasSuffix(name.Name, "Header") || i >= len(vs.Values) {
				continue
			}
			if cl, ok := vs.Values[i].(*ast.CompositeLit); ok {
				for _, el := range cl.Elts {
					if s, ok := literal(el); ok {
						out = append(out, message{text: s, sink: "CSV header " + name.Name, always: true})
					}
				}
			}
		}
	}
	return out
}
