package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// pages renders the HTML shells with content-hashed asset URLs so assets can
// be cached for a year and still change on deploy.
type pages struct {
	fsys   fs.FS
	hashes map[string]string
	html   map[string][]byte
}

// faces are the page routes; the three staff faces share staff.html.
var faces = []string{"index", "client", "collector", "manager", "debtor"}

func pageFile(face string) string {
	switch face {
	case "client", "collector", "manager":
		return "staff.html"
	}
	return face + ".html"
}

func newPages(fsys fs.FS) (*pages, error) {
	p := &pages{fsys: fsys, hashes: map[string]string{}, html: map[string][]byte{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		p.hashes[name] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pages: hash assets: %w", err)
	}
	funcs := template.FuncMap{"asset": func(name string) (string, error) {
		h, ok := p.hashes[name]
		if !ok {
			return "", fmt.Errorf("unknown asset %q", name)
		}
		return "/static/" + name + "?v=" + h, nil
	}}
	for _, f := range faces {
		src, err := fs.ReadFile(fsys, pageFile(f))
		if err != nil {
			return nil, fmt.Errorf("pages: %w", err)
		}
		t, err := template.New(f).Delims("[[", "]]").Funcs(funcs).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("pages: parse %s: %w", f, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, struct{ Face string }{f}); err != nil {
			return nil, fmt.Errorf("pages: render %s: %w", f, err)
		}
		p.html[f] = buf.Bytes()
	}
	return p, nil
}

func (s *Server) pageRoutes(app *fiber.App) {
	for _, f := range faces {
		body := s.pages.html[f]
		route := "/" + f
		if f == "index" {
			route = "/"
		}
		app.Get(route, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Type("html", "utf-8")
			// Before anyone logs in, the browser's language is the default.
			return c.Send(bytes.Replace(body, []byte("<body "), []byte(`<body data-default-lang="`+lang(c)+`" `), 1))
		})
	}
	// A tenant's debtor link: the debtor page with the company named, in
	// the tenant's language unless the person chose another.
	debtorPage := s.pages.html["debtor"]
	app.Get("/pay/:slug", func(c *fiber.Ctx) error {
		t, err := s.Tenants.Public(c.UserContext(), c.Params("slug"))
		if err != nil {
			return err
		}
		lang := "es"
		if strings.HasPrefix(t.Locale, "en") {
			lang = "en"
		}
		attrs := fmt.Sprintf(`data-face="debtor" data-company="%s" data-default-lang="%s"`, html.EscapeString(t.Slug), lang)
		body := bytes.Replace(debtorPage, []byte(`data-face="debtor"`), []byte(attrs), 1)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Type("html", "utf-8")
		return c.Send(body)
	})
	app.Get("/i18n/:lang.json", func(c *fiber.Ctx) error {
		b, err := s.msg.JSON(c.Params("lang"))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Type("json", "utf-8")
		return c.Send(b)
	})
	app.Get("/static/*", s.asset)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// asset serves one embedded file; fs.FS refuses "..", so paths cannot
// escape the static tree.
func (s *Server) asset(c *fiber.Ctx) error {
	name := path.Clean(strings.TrimPrefix(c.Params("*"), "/"))
	if !fs.ValidPath(name) || strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".html") {
		return fiber.ErrNotFound
	}
	b, err := fs.ReadFile(s.pages.fsys, name)
	if err != nil {
		return fiber.ErrNotFound
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		c.Set(fiber.HeaderContentType, ct)
	}
	if v := c.Query("v"); v != "" && v == s.pages.hashes[name] {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(b)
}
