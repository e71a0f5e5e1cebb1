package app_test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// listRow is one applicant of the applicant list.
type listRow struct {
	ApplicationID         int64    `json:"application_id"`
	CandidateID           int64    `json:"candidate_id"`
	Name                  string   `json:"name"`
	Email                 string   `json:"email"`
	Status                string   `json:"status"`
	StageStatus           string   `json:"stage_status"`
	TrackInvitationStatus string   `json:"track_invitation_status"`
	Score                 *float64 `json:"score"`
	DateAdded             string   `json:"date_added"`
	LastUpdatedAt         string   `json:"last_updated_at"`
	CurrentStage          struct {
		ID   string `json:"stage_id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"current_stage"`
}

// listPage is the body of the applicant list.
type listPage struct {
	Data    []listRow `json:"data"`
	Page    *int64    `json:"page"`
	PerPage int       `json:"per_page"`
	Total   int64     `json:"total"`
	Next    *string   `json:"next"`
}

// names returns the names of a page's applicants in order.
func (p listPage) names() []string {
	names := make([]string, len(p.Data))
	for i, row := range p.Data {
		names[i] = row.Name
	}
	return names
}

// listApplicants requests the applicant list of a track with a raw query string.
func (e *env) listApplicants(trackID int64, query string) result {
	e.t.Helper()
	return e.do("GET", fmt.Sprintf("/tracks/%d/applicants?%s", trackID, query), nil)
}

// mustListApplicants requests the applicant list and requires 200 OK.
func (e *env) mustListApplicants(trackID int64, query string) listPage {
	e.t.Helper()
	r := e.listApplicants(trackID, query)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[listPage](e.t, r)
}

// followNext requests a next link of the applicant list and requires 200 OK.
func (e *env) followNext(next string) listPage {
	e.t.Helper()
	r := e.do("GET", next, nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[listPage](e.t, r)
}

// reportResult reports a result for a response and requires 200 OK. A nil
// score reports started, any other completed with that score.
func (e *env) reportResult(responseID int64, score *float64) {
	e.t.Helper()
	body := map[string]any{"status": "started"}
	if score != nil {
		body = map[string]any{"status": "completed", "score": *score}
	}
	r := e.do("POST", fmt.Sprintf("/responses/%d/result", responseID), body)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
}

// closeApplication hires or rejects an application and requires 200 OK.
// action is "hire" or "reject".
func (e *env) closeApplication(trackID, applicationID int64, action string) {
	e.t.Helper()
	r := e.do("PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/%s", trackID, applicationID, action), nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
}

// requireRowMatchesDetail checks that a row of the applicant list shows
// what the applicant detail of the same application shows.
func (e *env) requireRowMatchesDetail(trackID int64, row listRow) {
	e.t.Helper()
	d := e.applicant(trackID, row.ApplicationID)
	require.Equal(e.t, d.Applicant.CandidateID, row.CandidateID, row.Name)
	require.Equal(e.t, d.Applicant.Name, row.Name)
	require.Equal(e.t, d.Applicant.Email, row.Email, row.Name)
	require.Equal(e.t, d.Applicant.Status, row.Status, row.Name)
	require.Equal(e.t, d.Applicant.StageStatus, row.StageStatus, row.Name)
	require.Equal(e.t, d.Applicant.TrackInvitationStatus, row.TrackInvitationStatus, row.Name)
	require.Equal(e.t, d.Applicant.Score, row.Score, row.Name)
	require.Equal(e.t, d.Applicant.DateAdded, row.DateAdded, row.Name)
	require.Equal(e.t, d.Applicant.LastUpdatedAt, row.LastUpdatedAt, row.Name)
	require.Equal(e.t, d.CurrentStage.ID, row.CurrentStage.ID, row.Name)
	require.Equal(e.t, d.CurrentStage.Name, row.CurrentStage.Name, row.Name)
	require.Equal(e.t, d.CurrentStage.Type, row.CurrentStage.Type, row.Name)
}

// listFixture is a track whose applicants differ in every field the list
// filters and sorts on.
type listFixture struct {
	track track
	ids   map[string]int64 // application ids by candidate name
}

// The names of the listFixture applicants. Their ids follow this order,
// except that alice is invited second but with the earliest date_added.
const (
	bob   = "Bob Stone"
	alice = "alice Wong"
	carol = "Carol Ng"
	emile = "Émile Zola"
	dave  = "dave Li"
	eve   = "Eve Stone"
	frank = "Frank Hire"
	gina  = "Gina Reject"
)

// listClockStart is the clock time at which seedListFixture starts.
var listClockStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// seedListFixture invites eight candidates and moves them through the
// track, stepping the clock so that date_added, last_updated_at, name and
// score each order them differently:
//
//	name   date_added  last stage change    stage           stage_status  score
//	bob    09:05       advance at 10:03     assessment      Completed     82
//	alice  09:00       advance at 10:05     assessment      Completed     55
//	carol  09:10       none                 form            Pending       null
//	emile  09:11       none                 form            Completed     null
//	dave   09:12       advance at 10:07     assessment      Started       null
//	eve    09:13       advance at 10:01     assessment      Completed     55
//	frank  09:14       hire at 10:10        Hired           hired         90
//	gina   09:15       reject at 10:11      Rejected        rejected      null
func seedListFixture(e *env, clock *testClock) listFixture {
	e.t.Helper()
	f := listFixture{track: e.newTrack("Backend Engineer"), ids: map[string]int64{}}
	links := map[string]string{}
	at := func(hour, minute int) {
		target := listClockStart.Add(time.Duration(hour-9)*time.Hour + time.Duration(minute)*time.Minute)
		clock.Advance(target.Sub(clock.Now()))
	}
	invite := func(name, email string) {
		inv := e.invite(f.track.ID, name, email, "getlink")
		f.ids[name], links[name] = inv.ApplicationID, inv.InviteLink
	}
	advance := func(name string) int64 {
		return e.mustAdvance(f.track.ID, f.ids[name], "getlink").ResponseID
	}
	score := func(v float64) *float64 { return &v }

	at(9, 5)
	invite(bob, "bob@example.com")
	at(9, 0)
	invite(alice, "alice@example.org")
	for i, c := range [][2]string{
		{carol, "carol@example.com"}, {emile, "emile@example.fr"}, {dave, "dave@example.com"},
		{eve, "eve@example.com"}, {frank, "frank@example.com"}, {gina, "gina@example.com"},
	} {
		at(9, 10+i)
		invite(c[0], c[1])
	}

	at(9, 30)
	for _, name := range []string{bob, alice, emile, dave, eve, frank} {
		e.completeForm(links[name])
	}
	at(10, 1)
	e.reportResult(advance(eve), score(55))
	at(10, 3)
	e.reportResult(advance(bob), score(82))
	at(10, 5)
	e.reportResult(advance(alice), score(55))
	at(10, 7)
	e.reportResult(advance(dave), nil)
	at(10, 9)
	e.reportResult(advance(frank), score(90))
	at(10, 10)
	e.closeApplication(f.track.ID, f.ids[frank], "hire")
	at(10, 11)
	e.closeApplication(f.track.ID, f.ids[gina], "reject")
	at(10, 30)
	return f
}

func TestApplicantList(t *testing.T) {
	t.Parallel()
	clock := newTestClock(listClockStart)
	e := setup(t, options{now: clock.Now})
	f := seedListFixture(e, clock)
	trackID := f.track.ID

	// The subtests run in order and only read, except the last, which moves
	// the clock past the invite links' expiry.
	t.Run("MatchesApplicantDetail", func(t *testing.T) {
		e := e.forTest(t)

		r := e.listApplicants(trackID, "")

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.ElementsMatch(t, []string{"data", "page", "per_page", "total", "next"}, slices.Collect(maps.Keys(r.Body)))
		first := r.Body["data"].([]any)[0].(map[string]any)
		require.ElementsMatch(t, []string{
			"application_id", "candidate_id", "name", "email", "status", "stage_status",
			"track_invitation_status", "score", "date_added", "last_updated_at", "current_stage",
		}, slices.Collect(maps.Keys(first)))

		page := decode[listPage](t, r)
		require.Len(t, page.Data, 8)
		for _, row := range page.Data {
			e.requireRowMatchesDetail(trackID, row)
		}
	})

	t.Run("RowValues", func(t *testing.T) {
		e := e.forTest(t)

		page := e.mustListApplicants(trackID, "sort=name")

		byName := map[string]listRow{}
		for _, row := range page.Data {
			byName[row.Name] = row
		}
		type want struct {
			status, stageStatus, invitation, stageName, dateAdded, lastUpdated string
			score                                                              *float64
		}
		score := func(v float64) *float64 { return &v }
		for name, w := range map[string]want{
			bob:   {"active", "Completed", "Completed", assessmentStage, "2026-03-02T09:05:00Z", "2026-03-02T10:03:00Z", score(82)},
			alice: {"active", "Completed", "Completed", assessmentStage, "2026-03-02T09:00:00Z", "2026-03-02T10:05:00Z", score(55)},
			carol: {"active", "Pending", "Pending", formStage, "2026-03-02T09:10:00Z", "2026-03-02T09:10:00Z", nil},
			emile: {"active", "Completed", "Completed", formStage, "2026-03-02T09:11:00Z", "2026-03-02T09:11:00Z", nil},
			dave:  {"active", "Started", "Completed", assessmentStage, "2026-03-02T09:12:00Z", "2026-03-02T10:07:00Z", nil},
			eve:   {"active", "Completed", "Completed", assessmentStage, "2026-03-02T09:13:00Z", "2026-03-02T10:01:00Z", score(55)},
			frank: {"hired", "hired", "Completed", "Hired", "2026-03-02T09:14:00Z", "2026-03-02T10:10:00Z", score(90)},
			gina:  {"rejected", "rejected", "Expired", "Rejected", "2026-03-02T09:15:00Z", "2026-03-02T10:11:00Z", nil},
		} {
			row := byName[name]
			require.Equal(t, f.ids[name], row.ApplicationID, name)
			require.Equal(t, w.status, row.Status, name)
			require.Equal(t, w.stageStatus, row.StageStatus, name)
			require.Equal(t, w.invitation, row.TrackInvitationStatus, name)
			require.Equal(t, w.stageName, row.CurrentStage.Name, name)
			require.Equal(t, w.dateAdded, row.DateAdded, name)
			require.Equal(t, w.lastUpdated, row.LastUpdatedAt, name)
			require.Equal(t, w.score, row.Score, name)
		}
	})

	t.Run("Sorts", func(t *testing.T) {
		for _, c := range []struct {
			sort string
			want []string
		}{
			{"", []string{alice, bob, carol, emile, dave, eve, frank, gina}},
			{"date_added", []string{alice, bob, carol, emile, dave, eve, frank, gina}},
			{"-date_added", []string{gina, frank, eve, dave, emile, carol, bob, alice}},
			{"last_updated_at", []string{carol, emile, eve, bob, alice, dave, frank, gina}},
			{"-last_updated_at", []string{gina, frank, dave, alice, bob, eve, emile, carol}},
			{"name", []string{alice, bob, carol, dave, eve, frank, gina, emile}},
			{"-name", []string{emile, gina, frank, eve, dave, carol, bob, alice}},
			// Ties on score go by application id in the direction of the
			// sort, and applicants without a score come last both ways.
			{"score", []string{alice, eve, bob, frank, carol, emile, dave, gina}},
			{"-score", []string{frank, bob, eve, alice, gina, dave, emile, carol}},
		} {
			t.Run("Sort="+c.sort, func(t *testing.T) {
				e := e.forTest(t)

				page := e.mustListApplicants(trackID, "sort="+url.QueryEscape(c.sort))

				require.Equal(t, c.want, page.names())
				require.Equal(t, int64(8), page.Total)
				require.Nil(t, page.Next)
			})
		}
	})

	t.Run("Filters", func(t *testing.T) {
		e := e.forTest(t)
		aliceDetail := e.applicant(trackID, f.ids[alice])
		since := requireUTC(t, aliceDetail.Applicant.LastUpdatedAt)
		hiredStage := f.track.Stages[3]
		require.Equal(t, "hired", hiredStage.Type)

		for _, c := range []struct {
			name  string
			query url.Values
			want  []string
		}{
			{"NameIgnoresCase", url.Values{"name": {"STONE"}}, []string{bob, eve}},
			{"NamePartial", url.Values{"name": {"li"}}, []string{alice, dave}},
			{"NameNonASCII", url.Values{"name": {"ÉMILE"}}, []string{emile}},
			{"NameWildcardIsLiteral", url.Values{"name": {"%"}}, []string{}},
			{"NameTrimmed", url.Values{"name": {"  CAROL  "}}, []string{carol}},
			{"EmailIgnoresCase", url.Values{"email": {"EXAMPLE.ORG"}}, []string{alice}},
			{"EmailPartial", url.Values{"email": {"@example.fr"}}, []string{emile}},
			{"StageID", url.Values{"stage_id": {f.track.Stages[1].ID}}, []string{alice, bob, dave, eve}},
			{"TerminalStageID", url.Values{"stage_id": {hiredStage.ID}}, []string{frank}},
			{"StatusActive", url.Values{"status": {"active"}}, []string{alice, bob, carol, emile, dave, eve}},
			{"StatusHired", url.Values{"status": {"hired"}}, []string{frank}},
			{"StatusRejected", url.Values{"status": {"rejected"}}, []string{gina}},
			{"InvitePending", url.Values{"invite_status": {"Pending"}}, []string{carol}},
			{"InviteStarted", url.Values{"invite_status": {"Started"}}, []string{dave}},
			{"InviteCompleted", url.Values{"invite_status": {"Completed"}}, []string{alice, bob, emile, eve}},
			// Gina's form response was expired by the rejection, but a
			// terminal stage has no response of its own.
			{"InviteExpiredSkipsTerminal", url.Values{"invite_status": {"Expired"}}, []string{}},
			{"UpdatedSinceInclusive", url.Values{"updated_since": {since.Format(time.RFC3339Nano)}}, []string{alice, dave, frank, gina}},
			{"UpdatedSinceOffset", url.Values{"updated_since": {since.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)}}, []string{alice, dave, frank, gina}},
			{"UpdatedSinceNanosecondAfter", url.Values{"updated_since": {since.Add(time.Nanosecond).Format(time.RFC3339Nano)}}, []string{dave, frank, gina}},
			{"Combined", url.Values{"stage_id": {f.track.Stages[1].ID}, "invite_status": {"Completed"}, "name": {"stone"}}, []string{bob, eve}},
			{"EmptyValuesIgnored", url.Values{"name": {""}, "status": {""}, "sort": {""}, "page": {""}}, []string{alice, bob, carol, emile, dave, eve, frank, gina}},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := e.forTest(t)

				page := e.mustListApplicants(trackID, c.query.Encode())

				require.Equal(t, c.want, page.names())
				require.Equal(t, int64(len(c.want)), page.Total)
			})
		}
	})

	t.Run("Pages", func(t *testing.T) {
		e := e.forTest(t)

		first := e.mustListApplicants(trackID, "per_page=3")
		third := e.mustListApplicants(trackID, "per_page=3&page=3")
		beyond := e.mustListApplicants(trackID, "per_page=3&page=4")
		all := e.mustListApplicants(trackID, "")

		require.Equal(t, []string{alice, bob, carol}, first.names())
		require.Equal(t, int64(1), *first.Page)
		require.Equal(t, 3, first.PerPage)
		require.Equal(t, int64(8), first.Total)
		require.NotNil(t, first.Next)
		require.Equal(t, []string{frank, gina}, third.names())
		require.Equal(t, int64(3), *third.Page)
		require.Nil(t, third.Next)
		require.Equal(t, []listRow{}, beyond.Data)
		require.Equal(t, int64(4), *beyond.Page)
		require.Equal(t, int64(8), beyond.Total)
		require.Nil(t, beyond.Next)
		require.Equal(t, int64(1), *all.Page)
		require.Equal(t, 25, all.PerPage)
		require.Len(t, all.Data, 8)
		require.Nil(t, all.Next)
	})

	t.Run("LastFullPageHasNoNext", func(t *testing.T) {
		e := e.forTest(t)

		page := e.mustListApplicants(trackID, "per_page=4&page=2")

		require.Equal(t, []string{dave, eve, frank, gina}, page.names())
		require.Nil(t, page.Next)
	})

	t.Run("NextLink", func(t *testing.T) {
		e := e.forTest(t)
		query := url.Values{"status": {"active"}, "per_page": {"2"}, "sort": {"-score"}}

		first := e.mustListApplicants(trackID, query.Encode())
		require.NotNil(t, first.Next)
		link, err := url.Parse(*first.Next)
		require.NoError(t, err)
		second := e.followNext(*first.Next)
		third := e.followNext(*second.Next)

		require.Equal(t, fmt.Sprintf("/tracks/%d/applicants", trackID), link.Path)
		require.Equal(t, []string{"after", "per_page", "sort", "status"}, slices.Sorted(maps.Keys(link.Query())))
		require.Equal(t, "active", link.Query().Get("status"))
		require.Equal(t, "2", link.Query().Get("per_page"))
		require.Equal(t, "-score", link.Query().Get("sort"))
		_, err = base64.RawURLEncoding.DecodeString(link.Query().Get("after"))
		require.NoError(t, err, "the cursor is URL-safe base64")
		require.Equal(t, []string{bob, eve}, first.names())
		require.Equal(t, []string{alice, dave}, second.names())
		require.Nil(t, second.Page, "a page reached by cursor has no page number")
		require.Equal(t, int64(6), second.Total)
		require.Equal(t, []string{emile, carol}, third.names())
		require.Nil(t, third.Next)
	})

	t.Run("InviteStatusExpired", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(8 * 24 * time.Hour)

		expired := e.mustListApplicants(trackID, "invite_status=Expired")
		pending := e.mustListApplicants(trackID, "invite_status=Pending")
		started := e.mustListApplicants(trackID, "invite_status=Started")
		completed := e.mustListApplicants(trackID, "invite_status=Completed")

		require.Equal(t, []string{carol, dave}, expired.names())
		require.Equal(t, int64(2), expired.Total)
		require.Equal(t, "Expired", expired.Data[0].StageStatus)
		require.Equal(t, "Expired", expired.Data[0].TrackInvitationStatus)
		require.Equal(t, "Expired", expired.Data[1].StageStatus)
		require.Equal(t, "Completed", expired.Data[1].TrackInvitationStatus)
		require.Equal(t, e.applicant(trackID, f.ids[dave]).Applicant.StageStatus, expired.Data[1].StageStatus)
		require.Empty(t, pending.Data)
		require.Empty(t, started.Data)
		require.Equal(t, []string{alice, bob, emile, eve}, completed.names())
	})
}

func TestApplicantListRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	e.invite(tr.ID, "Ann Example", "ann@example.com", "getlink")
	e.invite(tr.ID, "Ben Example", "ben@example.com", "getlink")
	other := e.newTrack("Designer")
	next, err := url.Parse(*e.mustListApplicants(tr.ID, "sort=name&per_page=1").Next)
	require.NoError(t, err)
	nameCursor := next.Query().Get("after")

	for _, c := range []struct {
		name, query, field, message string
	}{
		{"PerPageZero", "per_page=0", "per_page", `per_page is "0"; it must be an integer from 1 to 200`},
		{"PerPageTooLarge", "per_page=201", "per_page", `per_page is "201"; it must be an integer from 1 to 200`},
		{"PerPageNotNumber", "per_page=abc", "per_page", `per_page is "abc"; it must be an integer from 1 to 200`},
		{"PerPageNegative", "per_page=-1", "per_page", "from 1 to 200"},
		{"PerPageSigned", "per_page=%2B5", "per_page", "from 1 to 200"},
		{"PerPageFraction", "per_page=2.5", "per_page", "from 1 to 200"},
		{"PerPageTwice", "per_page=5&per_page=6", "per_page", "per_page is given 2 times; send it once"},
		{"PageZero", "page=0", "page", `page is "0"; it must be an integer from 1 to 1000000000`},
		{"PageNotNumber", "page=last", "page", "from 1 to 1000000000"},
		{"PageTooLarge", "page=1000000001", "page", "from 1 to 1000000000"},
		{"Sort", "sort=size", "sort", `sort is "size"; allowed values are "date_added", "-date_added", "last_updated_at", ` +
			`"-last_updated_at", "name", "-name", "score" and "-score"`},
		{"SortCase", "sort=Name", "sort", `sort is "Name"`},
		{"Status", "status=open", "status", `status is "open"; allowed values are "active", "rejected" and "hired"`},
		{"InviteStatusCase", "invite_status=pending", "invite_status",
			`invite_status is "pending"; allowed values are "Pending", "Started", "Completed" and "Expired"`},
		{"UpdatedSince", "updated_since=yesterday", "updated_since",
			`updated_since is "yesterday"; it must be an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{"UpdatedSincePlusUnescaped", "updated_since=2026-03-02T10:00:00+01:00", "updated_since", "write it as %2B"},
		{"NameTooLong", "name=" + strings.Repeat("x", 201), "name", "name is 201 characters long; the maximum is 200"},
		{"EmailTooLong", "email=" + strings.Repeat("x", 255), "email", "email is 255 characters long; the maximum is 254"},
		{"StageOfOtherTrack", "stage_id=" + other.Stages[0].ID, "stage_id",
			fmt.Sprintf("it must be the id of one of the 5 stages of track %d", tr.ID)},
		{"PageWithAfter", "page=2&after=" + nameCursor + "&sort=name", "page", "page cannot be combined with after"},
		{"CursorTooLong", "after=" + strings.Repeat("A", 4097), "after", "after is 4097 characters long; the maximum is 4096"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.listApplicants(tr.ID, c.query)

			requireError(t, r, http.StatusBadRequest, "invalid_query", c.field)
			require.Contains(t, r.Body["error"].(map[string]any)["message"], c.message)
		})
	}

	for _, c := range []struct {
		name, query, message string
	}{
		{"CursorOfOtherSort", "sort=-name&after=" + nameCursor,
			`after was made for sort "name" but the request's sort is "-name"`},
		{"CursorWithoutSort", "after=" + nameCursor, `after was made for sort "name" but the request's sort is "date_added"`},
		{"CursorNotBase64", "after=not*a*cursor", "after is not a cursor of this list"},
		{"CursorNotJSON", "after=" + base64.RawURLEncoding.EncodeToString([]byte("[1,2]")), "after is not a cursor of this list"},
		{"CursorWrongKeyType", "sort=name&after=" + base64.RawURLEncoding.EncodeToString([]byte(`{"sort":"name","key":7,"id":1}`)),
			"after is not a cursor of this list"},
		{"CursorBadTime", "after=" + base64.RawURLEncoding.EncodeToString([]byte(`{"sort":"date_added","key":"soon","id":1}`)),
			"after is not a cursor of this list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.listApplicants(tr.ID, c.query)

			requireError(t, r, http.StatusBadRequest, "invalid_cursor", "after")
			require.Contains(t, r.Body["error"].(map[string]any)["message"], c.message)
		})
	}

	t.Run("TrackIDNotNumber", func(t *testing.T) {
		e := e.forTest(t)

		r := e.do("GET", "/tracks/abc/applicants", nil)

		requireError(t, r, http.StatusBadRequest, "invalid_path", "track_id")
	})

	t.Run("UnknownTrack", func(t *testing.T) {
		e := e.forTest(t)

		r := e.listApplicants(999999, "")

		requireError(t, r, http.StatusNotFound, "not_found", "")
	})

	t.Run("TrackOfOtherCompany", func(t *testing.T) {
		globex := e.forTest(t)
		globex.key = e.newKey("Globex")
		globex.newTrack("Globex Engineer")

		r := globex.listApplicants(tr.ID, "")

		requireError(t, r, http.StatusNotFound, "not_found", "")
		require.Equal(t, fmt.Sprintf("track %d not found", tr.ID), r.Body["error"].(map[string]any)["message"])
	})

	t.Run("MissingKey", func(t *testing.T) {
		e := e.forTest(t)

		r := e.doWithKey("", "GET", fmt.Sprintf("/tracks/%d/applicants", tr.ID), nil)

		requireError(t, r, http.StatusUnauthorized, "unauthorized", "")
	})
}

// TestApplicantListNextWhileInviting walks each order by its next links
// while new candidates are invited between the requests, with names and
// times that sort both before and after the walk's position.
func TestApplicantListNextWhileInviting(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	for _, sort := range []string{"date_added", "-date_added", "name", "-name", "last_updated_at", "-last_updated_at", "score", "-score"} {
		t.Run("Sort="+sort, func(t *testing.T) {
			t.Parallel()
			e := shared.forTest(t)
			tr := e.newTrack("Backend Engineer")
			var initial []int64
			for i, name := range []string{"Mia", "Noah", "Liam", "Emma", "Olivia", "Ava", "Lucas"} {
				inv := e.invite(tr.ID, name+" Walker", fmt.Sprintf("initial%d@example.com", i), "getlink")
				initial = append(initial, inv.ApplicationID)
			}

			seen := map[int64]int{}
			page := e.mustListApplicants(tr.ID, "per_page=2&sort="+url.QueryEscape(sort))
			for pages := 1; ; pages++ {
				for _, row := range page.Data {
					seen[row.ApplicationID]++
				}
				if pages <= 3 {
					e.invite(tr.ID, fmt.Sprintf("Aaron %d", pages), fmt.Sprintf("early%d@example.com", pages), "getlink")
					e.invite(tr.ID, fmt.Sprintf("Zed %d", pages), fmt.Sprintf("late%d@example.com", pages), "getlink")
				}
				if page.Next == nil {
					break
				}
				require.Less(t, pages, 20, "the walk does not end")
				page = e.followNext(*page.Next)
			}

			for id, count := range seen {
				require.Equal(t, 1, count, "application %d was listed %d times", id, count)
			}
			for _, id := range initial {
				require.Contains(t, seen, id, "application %d was skipped", id)
			}
			require.Equal(t, int64(13), page.Total)
		})
	}
}

func TestApplicantListCursorOfLongName(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	// JSON escapes < as \u003c, so these names give the longest cursors.
	first := e.invite(tr.ID, strings.Repeat("<", 200), "first@example.com", "getlink")
	second := e.invite(tr.ID, strings.Repeat("<", 199)+">", "second@example.com", "getlink")

	page := e.mustListApplicants(tr.ID, "sort=name&per_page=1")
	require.NotNil(t, page.Next)
	next := e.followNext(*page.Next)

	require.Len(t, page.Data, 1)
	require.Equal(t, first.ApplicationID, page.Data[0].ApplicationID)
	require.Greater(t, len(*page.Next), 1600)
	require.Len(t, next.Data, 1)
	require.Equal(t, second.ApplicationID, next.Data[0].ApplicationID)
	require.Nil(t, next.Next)
}

// TestApplicantListFollowsWrites changes one application through every
// write path and checks after each that the list filters on the new state
// and shows what the applicant detail shows.
func TestApplicantListFollowsWrites(t *testing.T) {
	t.Parallel()
	clock := newTestClock(listClockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	form, assessment, review := tr.Stages[0], tr.Stages[1], tr.Stages[2]
	var applicationID int64

	// requireListed checks that the filters list exactly the application and
	// that its row matches the detail.
	requireListed := func(t *testing.T, filters url.Values) listRow {
		e := e.forTest(t)
		page := e.mustListApplicants(tr.ID, filters.Encode())
		require.Len(t, page.Data, 1, "filters %v", filters)
		require.Equal(t, applicationID, page.Data[0].ApplicationID)
		e.requireRowMatchesDetail(tr.ID, page.Data[0])
		return page.Data[0]
	}
	patch := func(t *testing.T, action string, body any) map[string]any {
		r := e.forTest(t).do("PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/%s", tr.ID, applicationID, action), body)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		return r.Body
	}

	t.Run("Import", func(t *testing.T) {
		r := e.forTest(t).do("POST", "/tracks/application", map[string]any{
			"track_id": tr.ID, "candidate_name": "Ivy IMPORTED", "candidate_email": "Ivy@Example.com",
			"fields": map[string]string{motivationLabel: "I like the product."},
		})
		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		applicationID = int64(r.Body["application_id"].(float64))

		row := requireListed(t, url.Values{"name": {"imported"}, "email": {"ivy@example"}, "invite_status": {"Completed"}})
		require.Equal(t, "Completed", row.StageStatus)
	})

	t.Run("Move", func(t *testing.T) {
		patch(t, "move", map[string]any{
			"source_stage_id": form.ID, "destination_stage_id": assessment.ID, "invite_format": "getlink",
		})

		row := requireListed(t, url.Values{"stage_id": {assessment.ID}, "invite_status": {"Pending"}})
		require.Equal(t, "Pending", row.StageStatus)
	})

	t.Run("StartOnCandidatePage", func(t *testing.T) {
		body := patch(t, "move", map[string]any{
			"source_stage_id": assessment.ID, "destination_stage_id": review.ID, "invite_format": "getlink",
		})
		link := body["invite_link"].(string)
		p := e.forTest(t).postPage(link+"/start", nil)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)

		row := requireListed(t, url.Values{"stage_id": {review.ID}, "invite_status": {"Started"}})
		require.Equal(t, "Started", row.StageStatus)
	})

	t.Run("Reject", func(t *testing.T) {
		patch(t, "reject", nil)

		row := requireListed(t, url.Values{"status": {"rejected"}})
		require.Equal(t, "rejected", row.StageStatus)
		require.Empty(t, e.forTest(t).mustListApplicants(tr.ID, "invite_status=Expired").Data)
	})

	t.Run("Unreject", func(t *testing.T) {
		patch(t, "unreject", map[string]any{"invite_format": "getlink"})

		row := requireListed(t, url.Values{"status": {"active"}, "stage_id": {review.ID}, "invite_status": {"Pending"}})
		require.Equal(t, "Pending", row.StageStatus)
	})

	t.Run("Expiry", func(t *testing.T) {
		clock.Advance(8 * 24 * time.Hour)

		row := requireListed(t, url.Values{"invite_status": {"Expired"}})
		require.Equal(t, "Expired", row.StageStatus)
	})

	t.Run("Hire", func(t *testing.T) {
		patch(t, "hire", nil)

		row := requireListed(t, url.Values{"status": {"hired"}, "stage_id": {tr.Stages[3].ID}})
		require.Equal(t, "hired", row.StageStatus)
	})
}

// TestApplicantListReinviteRenewsExpiry checks that a new invite of an
// expired track invitation brings it back to Pending in the list.
func TestApplicantListReinviteRenewsExpiry(t *testing.T) {
	t.Parallel()
	clock := newTestClock(listClockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Rex Renewed", "rex@example.com", "getlink")
	clock.Advance(8 * 24 * time.Hour)
	expired := e.mustListApplicants(tr.ID, "invite_status=Expired")

	r := e.do("POST", "/tracks/invite", map[string]any{
		"candidate_name": "Rex Renewed", "candidate_email": "rex@example.com", "track_id": tr.ID, "invite_format": "getlink",
	})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	pending := e.mustListApplicants(tr.ID, "invite_status=Pending")

	require.Len(t, expired.Data, 1)
	require.Equal(t, inv.ApplicationID, expired.Data[0].ApplicationID)
	require.Len(t, pending.Data, 1)
	require.Equal(t, inv.ApplicationID, pending.Data[0].ApplicationID)
	e.requireRowMatchesDetail(tr.ID, pending.Data[0])
}
