package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/stretchr/testify/require"
)

// routePattern is a route as the handlers register it with the router.
var routePattern = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE) /\S*$`)

// TestOpenAPIDescribesEveryRoute compares the routes registered in this
// package's source with the operations of openapi.yaml. The end-to-end
// tests check only the routes they call, so this test also finds a route
// that no test calls, and an operation that no longer exists.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	registered := sourceRoutes(t)
	documented := documentRoutes(t)

	var undocumented, stale []string
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			undocumented = append(undocumented, r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(registered, r) {
			stale = append(stale, r)
		}
	}
	require.Empty(t, undocumented, "routes that httpapi/openapi.yaml does not describe")
	require.Empty(t, stale, "operations in httpapi/openapi.yaml that no route serves")
	require.Contains(t, registered, "PUT /tracks/candidate/advance", "the source scan found no routes")
}

// sourceRoutes returns every string literal of the form "METHOD /path"
// in the package's non-test Go files, sorted.
func sourceRoutes(t *testing.T) []string {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)

	var routes []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && routePattern.MatchString(s) {
					routes = append(routes, s)
				}
			}
			return true
		})
	}
	slices.Sort(routes)
	return slices.Compact(routes)
}

// documentRoutes returns every operation of openapi.yaml as "METHOD /path", sorted.
func documentRoutes(t *testing.T) []string {
	doc, err := libopenapi.NewDocument(OpenAPI)
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)

	var routes []string
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			routes = append(routes, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(routes)
	return routes
}
