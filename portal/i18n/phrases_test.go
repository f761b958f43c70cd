package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"cartera/portal/i18n"
	"cartera/static"
)

func TestPhrasebook(t *testing.T) {
	book := fstest.MapFS{"i18n/phrases/en.json": {Data: []byte(`{
		"máximo %d caracteres": "at most %d characters",
		"falta %s": "%s is missing",
		"el valor": "the amount",
		"la tasa supera la usura (%s %% EA): use %d o menos": "the rate exceeds usury (%s %% EA): use %d or less",
		"%s supera %d caracteres": "%s is longer than %d characters",
		"El nombre": "The name",
		"fecha AAAA-MM-DD": "date YYYY-MM-DD"}`)}}
	p, err := i18n.LoadPhrases(book, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, in, want string }{
		{"en", "fecha AAAA-MM-DD", "date YYYY-MM-DD"},
		{"en", "máximo 120 caracteres", "at most 120 characters"},
		{"en", "falta el valor", "the amount is missing"},
		{"en", "la tasa supera la usura (25,62 % EA): use 186 o menos", "the rate exceeds usury (25,62 % EA): use 186 or less"},
		{"en", "El nombre supera 200 caracteres", "The name is longer than 200 characters"},
		{"es", "máximo 120 caracteres", "máximo 120 caracteres"},
		{"en", "un mensaje que el libro no tiene", "un mensaje que el libro no tiene"},
		{"en-US", "fecha AAAA-MM-DD", "date YYYY-MM-DD"},
		{"en", "falta el valor; máximo 3 caracteres", "the amount is missing; at most 3 characters"},
	} {
		if got := p.T(c.lang, c.in); got != c.want {
			t.Errorf("T(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
	bad := fstest.MapFS{"i18n/phrases/en.json": {Data: []byte(`{"máximo %d caracteres": "at most characters"}`)}}
	if _, err := i18n.LoadPhrases(bad, "en"); err == nil {
		t.Error("a translation that drops a value was accepted")
	}
}

// Every message the Go code writes for a person (field errors, refusals'
// fields, import row errors: apperr.Field, Fields.Add, Msg:, Message:, the
// reader's add) has its English in static/i18n/phrases/en.json, so a new
// rule cannot ship its message in Spanish only.
func TestEveryServerMessageHasEnglish(t *testing.T) {
	p, err := i18n.LoadPhrases(static.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	msgs := map[string]string{} // message → where
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			for _, m := range messagesIn(n) {
				msgs[m] = fset.Position(n.Pos()).String()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 100 {
		t.Fatalf("found only %d messages: the scan is broken", len(msgs))
	}
	for m, where := range msgs {
		if !p.Has("en", m) {
			t.Errorf("%s: %q has no English in static/i18n/phrases/en.json", where, m)
		}
	}
}

// messagesIn returns the person-facing messages a node writes.
func messagesIn(n ast.Node) []string {
	switch v := n.(type) {
	case *ast.CallExpr:
		if id, ok := v.Fun.(*ast.Ident); ok && id.Name == "append" && len(v.Args) > 1 {
			// the reader's header problems: append(problems, …)
			if p, ok := v.Args[0].(*ast.Ident); ok && p.Name == "problems" {
				var out []string
				for _, a := range v.Args[1:] {
					exprs := []ast.Expr{a}
					if cl, ok := a.(*ast.CompositeLit); ok {
						exprs = cl.Elts
					}
					for _, x := range exprs {
						if m, ok := literal(x); ok {
							out = append(out, m)
						}
					}
				}
				return out
			}
		}
		sel, ok := v.Fun.(*ast.SelectorExpr)
		if !ok {
			return nil
		}
		switch {
		case (sel.Sel.Name == "Field" || sel.Sel.Name == "Add") && len(v.Args) == 2:
			if _, ok := literal(v.Args[0]); ok {
				if m, ok := literal(v.Args[1]); ok {
					return []string{m}
				}
			}
		case sel.Sel.Name == "add" && len(v.Args) >= 3: // ingest's row errors
			if m, ok := literal(v.Args[2]); ok {
				return []string{m}
			}
		}
	case *ast.KeyValueExpr:
		if k, ok := v.Key.(*ast.Ident); ok && (k.Name == "Msg" || k.Name == "Message" || k.Name == "Reason") {
			if m, ok := literal(v.Value); ok {
				return []string{m}
			}
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
