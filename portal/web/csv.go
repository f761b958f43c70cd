package web

import (
	"encoding/csv"

	"github.com/gofiber/fiber/v2"
)

// newCSV starts a CSV download as Excel reads it: UTF-8 with BOM (so accents
// show right) and semicolons (the Spanish-locale list separator).
func newCSV(c *fiber.Ctx, filename string) *csv.Writer {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	_, _ = c.WriteString("\ufeff")
	w := csv.NewWriter(c.Response().BodyWriter())
	w.Comma = ';'
	return w
}
