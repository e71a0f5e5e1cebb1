package app_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestModules(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("CreateForm", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		questions := []any{
			map[string]any{"label": "Why us?", "kind": "text", "required": true},
			map[string]any{"label": "Start date", "kind": "choice", "options": []any{"Now", "Later"}, "required": false},
		}
		r := e.do("POST", "/modules", map[string]any{"type": "form", "name": "Screening", "questions": questions})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.ElementsMatch(t, []string{"module_id", "type", "name", "questions", "created_at"}, slices.Collect(maps.Keys(r.Body)))
		require.Greater(t, r.Body["module_id"], 0.0)
		require.Equal(t, "form", r.Body["type"])
		require.Equal(t, "Screening", r.Body["name"])
		require.Equal(t, questions, r.Body["questions"])
		requireUTC(t, r.Body["created_at"].(string))
	})

	t.Run("CreateAssessmentWithLaunchURL", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.do("POST", "/modules", map[string]any{"type": "assessment", "name": "Go exercise", "launch_url": launchURL})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.Equal(t, "assessment", r.Body["type"])
		require.Equal(t, "Go exercise", r.Body["name"])
		require.Equal(t, launchURL, r.Body["launch_url"])
		require.NotContains(t, r.Body, "questions")
	})

	t.Run("GetByID", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		created := e.do("POST", "/modules", map[string]any{"type": "automated_interview", "name": "Video interview"})
		require.Equal(t, http.StatusCreated, created.Status, "body: %s", created.Raw)

		r := e.do("GET", fmt.Sprintf("/modules/%d", int64(created.Body["module_id"].(float64))), nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, created.Body, r.Body)
	})

	t.Run("ListOldestFirst", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		e.key = e.newKey("Module List Co")
		first := e.createModule(map[string]any{"type": "review", "name": "First"})
		second := e.createModule(map[string]any{"type": "review", "name": "Second"})

		r := e.do("GET", "/modules", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		modules := decode[struct {
			Data []struct {
				ID   int64  `json:"module_id"`
				Name string `json:"name"`
			} `json:"data"`
		}](t, r).Data
		require.Len(t, modules, 2)
		require.Equal(t, first, modules[0].ID)
		require.Equal(t, "First", modules[0].Name)
		require.Equal(t, second, modules[1].ID)
		require.Equal(t, "Second", modules[1].Name)
	})

	t.Run("ListEmpty", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		e.key = e.newKey("Empty Module Co")

		r := e.do("GET", "/modules", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, map[string]any{"data": []any{}}, r.Body)
	})

	t.Run("UnknownID", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.do("GET", "/modules/999999", nil)

		requireError(t, r, http.StatusNotFound, "not_found", "")
		require.Equal(t, "module 999999 not found", r.Body["error"].(map[string]any)["message"])
	})

	t.Run("IDNotANumber", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.do("GET", "/modules/abc", nil)

		requireError(t, r, http.StatusBadRequest, "invalid_path", "module_id")
	})

	t.Run("IDWithSign", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		id := e.createModule(map[string]any{"type": "review", "name": "Signed"})

		r := e.do("GET", fmt.Sprintf("/modules/+%d", id), nil)

		requireError(t, r, http.StatusBadRequest, "invalid_path", "module_id")
	})
}

func TestCreateModuleRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	textQuestion := map[string]any{"label": "Why us?", "kind": "text"}

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"UnknownType", map[string]any{"type": "quiz", "name": "Quiz"}, 422, "invalid_value", "type"},
		{"MissingType", map[string]any{"name": "Quiz"}, 400, "missing_field", "type"},
		{"MissingName", map[string]any{"type": "review"}, 400, "missing_field", "name"},
		{"EmptyName", map[string]any{"type": "review", "name": "  "}, 400, "invalid_field", "name"},
		{"NameNotString", map[string]any{"type": "review", "name": 42}, 400, "invalid_field", "name"},
		{"NameTooLong", map[string]any{"type": "review", "name": strings.Repeat("n", 201)}, 400, "invalid_field", "name"},
		{"FormWithoutQuestions", map[string]any{"type": "form", "name": "Form"}, 400, "missing_field", "questions"},
		{"QuestionsNotArray", map[string]any{"type": "form", "name": "Form", "questions": "Why us?"}, 400, "invalid_field", "questions"},
		{"QuestionsOnAssessment", map[string]any{"type": "assessment", "name": "Test", "questions": []any{textQuestion}}, 422, "invalid_value", "questions"},
		{"LaunchURLOnForm", map[string]any{"type": "form", "name": "Form", "questions": []any{textQuestion}, "launch_url": launchURL}, 422, "invalid_value", "launch_url"},
		{"LaunchURLOnReview", map[string]any{"type": "review", "name": "Review", "launch_url": launchURL}, 422, "invalid_value", "launch_url"},
		{"LaunchURLNotHTTP", map[string]any{"type": "assessment", "name": "Test", "launch_url": "ftp://files.example.com/test"}, 400, "invalid_field", "launch_url"},
		{"LaunchURLRelative", map[string]any{"type": "assessment", "name": "Test", "launch_url": "/start"}, 400, "invalid_field", "launch_url"},
		{"QuestionWithoutLabel", map[string]any{"type": "form", "name": "Form", "questions": []any{map[string]any{"kind": "text"}}}, 400, "missing_field", "questions[0].label"},
		{"UnknownQuestionKind", map[string]any{"type": "form", "name": "Form", "questions": []any{map[string]any{"label": "Age", "kind": "number"}}}, 422, "invalid_value", "questions[0].kind"},
		{"ChoiceWithoutOptions", map[string]any{"type": "form", "name": "Form", "questions": []any{map[string]any{"label": "Start", "kind": "choice"}}}, 400, "invalid_field", "questions[0].options"},
		{"DuplicateOptions", map[string]any{"type": "form", "name": "Form", "questions": []any{map[string]any{"label": "Start", "kind": "choice", "options": []string{"Now", "Now"}}}}, 400, "invalid_field", "questions[0].options"},
		{"OptionsOnTextQuestion", map[string]any{"type": "form", "name": "Form", "questions": []any{map[string]any{"label": "Why us?", "kind": "text", "options": []string{"A"}}}}, 422, "invalid_value", "questions[0].options"},
		{"RequiredNotBoolean", map[string]any{"type": "form", "name": "Form", "questions": []any{map[string]any{"label": "Why us?", "kind": "text", "required": "yes"}}}, 400, "invalid_field", "questions[0].required"},
		{"QuestionNotObject", map[string]any{"type": "form", "name": "Form", "questions": []any{"Why us?"}}, 400, "invalid_json", "questions[0]"},
		{"MalformedJSON", `{"type": "review",`, 400, "invalid_json", ""},
		{"EmptyBody", "", 400, "invalid_json", ""},
		{"BodyNotObject", `["review"]`, 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.do("POST", "/modules", c.body)

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	r := e.do("GET", "/modules", nil)
	require.Equal(t, map[string]any{"data": []any{}}, r.Body, "a rejected module was stored")
}

func TestTracks(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("AppendsTerminalStages", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		form := e.createFormModule()
		review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})

		r := e.do("POST", "/tracks", map[string]any{"title": "Backend Engineer", "stages": []any{
			map[string]any{"name": formStage, "type": "form", "module_id": form},
			map[string]any{"name": reviewStage, "type": "review", "module_id": review},
		}})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		tr := decode[track](t, r)
		require.Greater(t, tr.ID, int64(0))
		require.Equal(t, "Backend Engineer", tr.Title)
		requireUTC(t, tr.CreatedAt)
		require.Len(t, tr.Stages, 4)

		want := []stage{
			{Name: formStage, Type: "form", ModuleID: &form, Position: 1},
			{Name: reviewStage, Type: "review", ModuleID: &review, Position: 2},
			{Name: "Hired", Type: "hired", Position: 3},
			{Name: "Rejected", Type: "rejected", Position: 4},
		}
		ids := map[string]bool{}
		for i, st := range tr.Stages {
			require.True(t, strings.HasPrefix(st.ID, "stg_"), "stage id %q", st.ID)
			ids[st.ID] = true
			st.ID = ""
			require.Equal(t, want[i], st, "stage %d", i)
		}
		require.Len(t, ids, 4, "stage ids are not distinct")

		stages := r.Body["stages"].([]any)
		for _, terminal := range stages[2:] {
			require.Contains(t, terminal, "module_id")
			require.Nil(t, terminal.(map[string]any)["module_id"])
		}
	})

	t.Run("GetByID", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		created := e.newTrack("Data Engineer")

		r := e.do("GET", fmt.Sprintf("/tracks/%d", created.ID), nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, created, decode[track](t, r))
	})

	t.Run("ListOldestFirst", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		e.key = e.newKey("Track List Co")
		first := e.newTrack("First track")
		second := e.newTrack("Second track")

		r := e.do("GET", "/tracks", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, []track{first, second}, decode[struct {
			Data []track `json:"data"`
		}](t, r).Data)
	})

	t.Run("ListEmpty", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		e.key = e.newKey("Empty Track Co")

		r := e.do("GET", "/tracks", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, map[string]any{"data": []any{}}, r.Body)
	})

	t.Run("ModuleIDAsString", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		review := e.createModule(map[string]any{"type": "review", "name": "Review"})

		tr := e.createTrack("Designer", map[string]any{"name": "Review", "type": "review", "module_id": fmt.Sprint(review)})

		require.Equal(t, &review, tr.Stages[0].ModuleID)
	})

	t.Run("UnknownID", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.do("GET", "/tracks/999999", nil)

		requireError(t, r, http.StatusNotFound, "not_found", "")
	})
}

func TestCreateTrackRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	form := e.createFormModule()
	assessment := e.createModule(map[string]any{"type": "assessment", "name": assessmentName})
	formStageBody := map[string]any{"name": formStage, "type": "form", "module_id": form}

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"StageTypeMismatch", map[string]any{"title": "T", "stages": []any{
			formStageBody, map[string]any{"name": "Review", "type": "review", "module_id": assessment},
		}}, 422, "stage_type_mismatch", "stages[1].type"},
		{"UnknownModule", map[string]any{"title": "T", "stages": []any{
			map[string]any{"name": "Review", "type": "review", "module_id": 999999},
		}}, 404, "not_found", "stages[0].module_id"},
		{"TerminalStageType", map[string]any{"title": "T", "stages": []any{
			map[string]any{"name": "Hired", "type": "hired", "module_id": form},
		}}, 422, "invalid_value", "stages[0].type"},
		{"ModuleIDNotNumber", map[string]any{"title": "T", "stages": []any{
			map[string]any{"name": "Form", "type": "form", "module_id": "abc"},
		}}, 400, "invalid_field", "stages[0].module_id"},
		{"ModuleIDZero", map[string]any{"title": "T", "stages": []any{
			map[string]any{"name": "Form", "type": "form", "module_id": 0},
		}}, 400, "invalid_field", "stages[0].module_id"},
		{"MissingStageName", map[string]any{"title": "T", "stages": []any{
			map[string]any{"type": "form", "module_id": form},
		}}, 400, "missing_field", "stages[0].name"},
		{"StageNotObject", map[string]any{"title": "T", "stages": []any{"Form"}}, 400, "invalid_json", "stages[0]"},
		{"NoStages", map[string]any{"title": "T", "stages": []any{}}, 400, "invalid_field", "stages"},
		{"MissingStages", map[string]any{"title": "T"}, 400, "missing_field", "stages"},
		{"MissingTitle", map[string]any{"stages": []any{formStageBody}}, 400, "missing_field", "title"},
		{"MalformedJSON", `{"title": "T", "stages": [`, 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.do("POST", "/tracks", c.body)

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	r := e.do("GET", "/tracks", nil)
	require.Equal(t, map[string]any{"data": []any{}}, r.Body, "a rejected track was stored")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("MissingKey", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.doWithKey("", "GET", "/modules", nil)

		requireError(t, r, http.StatusUnauthorized, "unauthorized", "")
		require.Contains(t, r.Body["error"].(map[string]any)["message"], "apiKey")
	})

	t.Run("UnknownKey", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.doWithKey("htk_not-a-key-of-this-server", "GET", "/modules", nil)

		requireError(t, r, http.StatusUnauthorized, "unauthorized", "")
	})

	t.Run("BearerToken", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		req, err := http.NewRequest("GET", e.srv.URL()+"/modules", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.key)

		r := e.send(req)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Contains(t, r.Body, "data")
	})

	t.Run("UnknownBearerToken", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		req, err := http.NewRequest("GET", e.srv.URL()+"/modules", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer htk_not-a-key-of-this-server")

		r := e.send(req)

		requireError(t, r, http.StatusUnauthorized, "unauthorized", "")
	})

	t.Run("BasicScheme", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		req, err := http.NewRequest("GET", e.srv.URL()+"/modules", nil)
		require.NoError(t, err)
		req.SetBasicAuth("acme", e.key)

		r := e.send(req)

		requireError(t, r, http.StatusUnauthorized, "unauthorized", "")
	})
}
