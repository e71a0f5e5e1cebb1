package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pb33f/libopenapi"
	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/httpapi"
)

// screenshotEnv names a file that TestDocsPageRendersInChromium copies its
// screenshot to, for a person to look at.
const screenshotEnv = "HIRETRACK_DOCS_SCREENSHOT"

func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})

	r := e.doWithKey("", "GET", "/openapi.yaml", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "application/yaml", r.Header.Get("Content-Type"))
	require.Equal(t, httpapi.OpenAPI, r.Raw, "the server must serve the embedded document unchanged")

	doc, err := libopenapi.NewDocument(r.Raw)
	require.NoError(t, err)
	require.Equal(t, "3.1.0", doc.GetVersion())
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	advance, ok := model.Model.Paths.PathItems.Get("/tracks/candidate/advance")
	require.True(t, ok, "the document lacks the advance path")
	require.Equal(t, "advance", advance.Put.OperationId)
}

func TestDocsPageAndAssets(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})

	p := e.getPage(e.srv.URL() + "/docs")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "text/html; charset=utf-8", p.Header.Get("Content-Type"))
	require.Equal(t, "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		p.Header.Get("Content-Security-Policy"))
	require.Contains(t, p.HTML, `<script src="docs/assets/swagger-ui-bundle.js"></script>`)
	require.NotContains(t, p.HTML, "http", "the page must load nothing from other hosts")

	assets := map[string]string{
		"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
		"swagger-ui.css":       "text/css; charset=utf-8",
		"docs.js":              "text/javascript; charset=utf-8",
		"LICENSE":              "text/plain; charset=utf-8",
		"NOTICE":               "text/plain; charset=utf-8",
	}
	for name, contentType := range assets {
		p := e.getPage(e.srv.URL() + "/docs/assets/" + name)
		require.Equal(t, http.StatusOK, p.Status, name)
		require.Equal(t, contentType, p.Header.Get("Content-Type"), name)
		require.NotEmpty(t, p.HTML, name)
	}
	require.Contains(t, e.getPage(e.srv.URL()+"/docs/assets/LICENSE").HTML, "Apache License")

	r := e.doWithKey("", "GET", "/docs/assets/index.html", nil)
	requireError(t, r, http.StatusNotFound, "not_found", "")
	require.Equal(t, `no reference page file "index.html"`, r.Body["error"].(map[string]any)["message"])
}

// TestDocsPageRendersInChromium loads /docs in headless Chromium, waits for
// Swagger UI to draw the advance endpoint and takes a screenshot. Chromium
// reaches only loopback: every other host goes to a proxy address where
// nothing listens, and the test fails on any request that left the server.
func TestDocsPageRendersInChromium(t *testing.T) {
	t.Parallel()
	browser := chromiumPath(t)
	e := setup(t, options{})

	ctx, cancel := chromiumContext(t, browser)
	defer cancel()
	requests, problems := watchBrowser(t, ctx)

	const advance = "#operations-Transitions-advance"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL()+"/docs#/Transitions/advance"),
		chromedp.WaitVisible(advance+" .opblock-summary-path"),
		chromedp.WaitVisible(advance+" .opblock-body"),
		chromedp.ScrollIntoView(advance),
	))
	method := runText(t, ctx, advance+" .opblock-summary-method")
	path := runText(t, ctx, advance+" .opblock-summary-path")
	summary := runText(t, ctx, advance+" .opblock-summary-description")
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)

	require.Equal(t, "PUT", method)
	require.Equal(t, "/tracks/candidate/advance", strings.ReplaceAll(path, "\u200b", ""))
	require.Equal(t, "Advance an application to the next stage", summary)
	require.Empty(t, problems(), "the page logged errors or CSP violations")
	for _, u := range requests() {
		require.True(t, strings.HasPrefix(u, e.srv.URL()+"/") || strings.HasPrefix(u, "data:"),
			"Chromium loaded %s, which is not on the test server", u)
	}

	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err, "the screenshot must be a PNG")
	require.Equal(t, 1280, img.Bounds().Dx())
	saveScreenshot(t, shot)
}

// chromiumPath returns the Chromium binary. Without one the test is
// skipped, except in CI, whose script installs it.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed; .ci/run installs it with apt-get install chromium")
	}
	t.Skip("Chromium is not installed; apt-get install chromium runs this test")
	return ""
}

// chromiumContext starts a headless Chromium that can reach loopback only.
func chromiumContext(t *testing.T, browser string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
		// Loopback bypasses the proxy; every other address goes to a port
		// where nothing listens, so no request leaves the machine.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // a loaded CI machine draws the page slowly
	return ctx, func() {
		cancelTimeout()
		cancelBrowser()
		cancelAlloc()
	}
}

// runText returns the visible text of the element that sel finds.
func runText(t *testing.T, ctx context.Context, sel string) string {
	text, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err, "read %s", sel)
	return text
}

// watchBrowser records the URLs that the page requests and the errors it
// logs, CSP violations included.
func watchBrowser(t *testing.T, ctx context.Context) (requests, problems func() []string) {
	var mu sync.Mutex
	var urls, errs []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls = append(urls, ev.Request.URL)
		case *network.EventLoadingFailed:
			errs = append(errs, "loading failed: "+ev.ErrorText)
		case *runtime.EventExceptionThrown:
			errs = append(errs, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				errs = append(errs, consoleText(ev))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				errs = append(errs, fmt.Sprintf("%s: %s", ev.Entry.Source, ev.Entry.Text))
			}
		}
	})
	require.NoError(t, err)

	snapshot := func(list *[]string) func() []string {
		return func() []string {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(*list)
		}
	}
	return snapshot(&urls), snapshot(&errs)
}

func consoleText(ev *runtime.EventConsoleAPICalled) string {
	var parts []string
	for _, arg := range ev.Args {
		parts = append(parts, string(arg.Value)+arg.Description)
	}
	return "console error: " + strings.Join(parts, " ")
}

// saveScreenshot writes the screenshot to the test's folder, and to the
// file that screenshotEnv names when it is set.
func saveScreenshot(t *testing.T, shot []byte) {
	paths := []string{filepath.Join(t.TempDir(), "docs.png")}
	if p := os.Getenv(screenshotEnv); p != "" {
		paths = append(paths, p)
	}
	for _, p := range paths {
		require.NoError(t, os.WriteFile(p, shot, 0o644))
		t.Logf("screenshot of /docs: %s", (&url.URL{Scheme: "file", Path: p}).String())
	}
}
