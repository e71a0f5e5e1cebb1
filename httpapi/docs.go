package httpapi

import (
	"embed"
	"net/http"

	"github.com/hiretrack/hiretrack"
)

// OpenAPI is the OpenAPI 3.1 document of every route that Handler serves.
// The end-to-end tests validate every response against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

// docsFiles holds the reference page, its script and the vendored Swagger
// UI, which tools/vendor-docs.sh fetches from npm.
//
//go:embed docs/index.html docs/docs.js docs/swagger-ui
var docsFiles embed.FS

// docsAssets maps the names under /docs/assets/ to embedded files and their types.
var docsAssets = map[string]struct{ file, contentType string }{
	"swagger-ui-bundle.js": {"docs/swagger-ui/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
	"swagger-ui.css":       {"docs/swagger-ui/swagger-ui.css", "text/css; charset=utf-8"},
	"docs.js":              {"docs/docs.js", "text/javascript; charset=utf-8"},
	"LICENSE":              {"docs/swagger-ui/LICENSE", "text/plain; charset=utf-8"},
	"NOTICE":               {"docs/swagger-ui/NOTICE", "text/plain; charset=utf-8"},
}

// docsCSP lets the page load only this server's script, style and document.
// Swagger UI draws its icons as data: images.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// serveOpenAPI writes the OpenAPI document.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(OpenAPI)
}

// serveDocs writes the reference page.
func (s *Server) serveDocs(w http.ResponseWriter, r *http.Request) {
	s.serveDocsFile(w, r, "docs/index.html", "text/html; charset=utf-8")
}

// serveDocsAsset writes one file that the reference page loads.
func (s *Server) serveDocsAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	asset, ok := docsAssets[name]
	if !ok {
		s.writeError(w, r, hiretrack.NotFoundf("no reference page file %q", name))
		return
	}
	s.serveDocsFile(w, r, asset.file, asset.contentType)
}

func (s *Server) serveDocsFile(w http.ResponseWriter, r *http.Request, file, contentType string) {
	data, err := docsFiles.ReadFile(file)
	if err != nil {
		s.writeError(w, r, hiretrack.Internal("read embedded "+file, err))
		return
	}

	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}
