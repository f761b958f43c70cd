// Package static holds the four faces' pages, CSS, JS and the translation
// catalogues, embedded into the binary so the portal needs no build step.
package static

import "embed"

// FS is the embedded static tree.
//
//go:embed *.html css js i18n vendor
var FS embed.FS
