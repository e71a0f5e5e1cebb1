package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
)

// Limits of the applicant list's query parameters.
const (
	defaultPerPage = 25
	maxPerPage     = 200
	maxPage        = 1_000_000_000 // keeps the row offset, (page-1)*per_page, far inside int64
	maxEmailLen    = 254
	maxStageIDLen  = 100
	maxCursorLen   = 4096 // the store's cursors stay under 1,800 characters
)

// applicantFilterNames are the filter parameters, which next links repeat.
var applicantFilterNames = []string{"name", "email", "stage_id", "status", "invite_status", "updated_since"}

func (s *Server) listApplicants(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	trackID, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	params := &queryParams{values: r.URL.Query()}
	q, err := readApplicantQuery(params)
	if err != nil {
		return err
	}
	q.TrackID = trackID

	page, err := s.store.Applicants(r.Context(), p.CompanyID, q)
	if err != nil {
		return err
	}

	body := map[string]any{"data": page.Rows, "page": q.Page, "per_page": q.PerPage, "total": page.Total, "next": nil}
	if page.Rows == nil {
		body["data"] = []hiretrack.ApplicantRow{}
	}
	if q.After != "" {
		body["page"] = nil
	}
	if page.Next != "" {
		body["next"] = nextApplicantsLink(params, q, page.Next)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// readApplicantQuery reads the filters, sort and page of the applicant list.
func readApplicantQuery(params *queryParams) (hiretrack.ApplicantQuery, error) {
	q := hiretrack.ApplicantQuery{
		Name:         params.String("name", maxNameLen),
		Email:        params.String("email", maxEmailLen),
		StageID:      params.String("stage_id", maxStageIDLen),
		Status:       hiretrack.ApplicationStatus(params.Enum("status", applicationStatusNames()...)),
		InviteStatus: hiretrack.InviteStatus(params.Enum("invite_status", inviteStatusNames()...)),
		UpdatedSince: params.Time("updated_since"),
		PerPage:      int(params.Int("per_page", 1, maxPerPage, defaultPerPage)),
		Page:         params.Int("page", 1, maxPage, 1),
		After:        params.String("after", maxCursorLen),
	}
	q.Sort, q.Descending = readSort(params)
	if err := params.Err(); err != nil {
		return q, err
	}

	if q.After != "" && params.has("page") {
		return q, hiretrack.FieldErrorf(hiretrack.KindInvalid, "page", "invalid_query",
			"page cannot be combined with after: after continues from the cursor of a next link, page selects a page by number")
	}
	return q, nil
}

// readSort reads sort: a sort key, descending when it starts with "-".
func readSort(params *queryParams) (hiretrack.ApplicantSortKey, bool) {
	allowed := make([]string, 0, 2*len(hiretrack.ApplicantSortKeys))
	for _, key := range hiretrack.ApplicantSortKeys {
		allowed = append(allowed, string(key), "-"+string(key))
	}
	sort := params.Enum("sort", allowed...)
	if sort == "" {
		return hiretrack.SortDateAdded, false
	}
	key, desc := strings.CutPrefix(sort, "-")
	return hiretrack.ApplicantSortKey(key), desc
}

// sortParam returns the sort parameter that selects q's order.
func sortParam(q hiretrack.ApplicantQuery) string {
	if q.Descending {
		return "-" + string(q.Sort)
	}
	return string(q.Sort)
}

// nextApplicantsLink returns the path and query of the page after cursor:
// the request's filters, per_page and sort, and the cursor as after.
func nextApplicantsLink(params *queryParams, q hiretrack.ApplicantQuery, cursor string) string {
	next := url.Values{}
	for _, name := range applicantFilterNames {
		if value, ok := params.get(name); ok {
			next.Set(name, value)
		}
	}
	next.Set("per_page", strconv.Itoa(q.PerPage))
	next.Set("sort", sortParam(q))
	next.Set("after", cursor)
	return fmt.Sprintf("/tracks/%d/applicants?%s", q.TrackID, next.Encode())
}

func applicationStatusNames() []string {
	return []string{string(hiretrack.ApplicationActive), string(hiretrack.ApplicationRejected), string(hiretrack.ApplicationHired)}
}

func inviteStatusNames() []string {
	return []string{
		string(hiretrack.InvitePending), string(hiretrack.InviteStarted),
		string(hiretrack.InviteCompleted), string(hiretrack.InviteExpired),
	}
}

// queryParams reads URL query parameters one by one, so each error names the
// parameter, the value and what is allowed. Values are trimmed of leading
// and trailing whitespace, and an empty value counts as absent. The first
// error sticks and later reads return zero values.
type queryParams struct {
	values url.Values
	err    error
}

// Err returns the first error met while reading parameters.
func (p *queryParams) Err() error { return p.err }

func (p *queryParams) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = hiretrack.FieldErrorf(hiretrack.KindInvalid, name, "invalid_query", format, args...)
	}
}

// get returns a parameter's trimmed value; ok is false when it is absent or
// empty. A parameter given more than once is an error.
func (p *queryParams) get(name string) (value string, ok bool) {
	values := p.values[name]
	if len(values) > 1 {
		p.fail(name, "%s is given %d times; send it once", name, len(values))
		return "", false
	}
	if len(values) == 0 {
		return "", false
	}
	value = strings.TrimSpace(values[0])
	return value, value != ""
}

// has reports whether a parameter has a value.
func (p *queryParams) has(name string) bool {
	_, ok := p.get(name)
	return ok
}

// String reads an optional string of at most maxLen characters.
func (p *queryParams) String(name string, maxLen int) string {
	value, _ := p.get(name)
	if n := len([]rune(value)); n > maxLen {
		p.fail(name, "%s is %d characters long; the maximum is %d", name, n, maxLen)
		return ""
	}
	return value
}

// Int reads an optional integer in [min, max] written in decimal digits,
// and returns def when it is absent.
func (p *queryParams) Int(name string, min, max, def int64) int64 {
	value, ok := p.get(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || strings.TrimLeft(value, "0123456789") != "" || n < min || n > max {
		p.fail(name, "%s is %q; it must be an integer from %d to %d", name, clipText(value), min, max)
		return def
	}
	return n
}

// Enum reads an optional value that must be one of allowed, matched exactly.
func (p *queryParams) Enum(name string, allowed ...string) string {
	value, ok := p.get(name)
	if !ok {
		return ""
	}
	for _, a := range allowed {
		if value == a {
			return value
		}
	}
	p.fail(name, "%s is %q; allowed values are %s", name, clipText(value), quoteList(allowed))
	return ""
}

// Time reads an optional RFC 3339 time.
func (p *queryParams) Time(name string) time.Time {
	value, ok := p.get(name)
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		hint := ""
		if strings.Contains(value, " ") {
			hint = " (a + in a URL query reads as a space; write it as %2B)"
		}
		p.fail(name, "%s is %q; it must be an RFC 3339 time such as 2026-01-02T15:04:05Z%s", name, clipText(value), hint)
		return time.Time{}
	}
	return t
}

// clipText cuts a parameter value for an error message to a readable length.
func clipText(value string) string {
	const max = 60
	if runes := []rune(value); len(runes) > max {
		return string(runes[:max]) + "…"
	}
	return value
}
