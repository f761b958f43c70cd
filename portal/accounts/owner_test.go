package accounts_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneWriterOfAccounts: outside this package no code writes the
// accounts collection; other aggregates go through marks.go. A write is a
// call of a store write method on C("accounts") (reads are free).
func TestOneWriterOfAccounts(t *testing.T) {
	writes := map[string]bool{"Insert": true, "InsertMany": true, "Update": true, "UpdateWhere": true, "UpdateMany": true, "Upsert": true,
		"Mutate": true, "MutateOrCreate": true, "Delete": true, "DeleteMany": true, "Take": true, "FindOneAndUpdate": true, "ReplaceOne": true}
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "static" || n == "testdata" || strings.HasPrefix(n, ".") && n != "." && n != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if filepath.Dir(rel) == filepath.Join("portal", "accounts") || strings.HasPrefix(rel, filepath.Join("portal", "store")+string(filepath.Separator)) {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !writes[sel.Sel.Name] {
				return true
			}
			inner, ok := sel.X.(*ast.CallExpr)
			if !ok || len(inner.Args) != 1 {
				return true
			}
			if lit, ok := inner.Args[0].(*ast.BasicLit); ok && lit.Value == `"accounts"` {
				found = append(found, rel+": "+sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("writes the accounts collection outside portal/accounts: %s", f)
	}
}
