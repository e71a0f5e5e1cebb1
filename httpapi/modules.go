package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/hiretrack/hiretrack"
)

// Limits on module definitions, generous for real forms and small enough
// that a candidate page stays light.
const (
	maxNameLen      = 200
	maxQuestions    = 100
	maxOptions      = 50
	maxLabelLen     = 500
	maxLaunchURLLen = 2000
)

func (s *Server) createModule(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	m, err := readModule(body)
	if err != nil {
		return err
	}

	m, err = s.store.CreateModule(r.Context(), p.CompanyID, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// readModule reads and checks a module definition.
func readModule(body *object) (hiretrack.Module, error) {
	m := hiretrack.Module{
		Type: hiretrack.ModuleType(body.Enum("type", moduleTypeNames()...)),
		Name: body.String("name", maxNameLen),
	}
	launchURL, hasURL := body.OptionalString("launch_url", maxLaunchURLLen)
	questions := body.Objects("questions", maxQuestions, false)
	if err := body.Err(); err != nil {
		return m, err
	}

	if hasURL {
		if err := checkLaunchURL(m.Type, launchURL); err != nil {
			return m, err
		}
		m.LaunchURL = launchURL
	}

	var err error
	m.Questions, err = readQuestions(m.Type, questions)
	return m, err
}

// moduleTypeNames returns the module types as the strings clients send.
func moduleTypeNames() []string {
	names := make([]string, len(hiretrack.ModuleTypes))
	for i, t := range hiretrack.ModuleTypes {
		names[i] = string(t)
	}
	return names
}

// checkLaunchURL allows an absolute http or https URL on externally run modules.
func checkLaunchURL(t hiretrack.ModuleType, raw string) error {
	if t != hiretrack.ModuleAssessment && t != hiretrack.ModuleAutomatedInterview {
		return hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "launch_url", "invalid_value",
			"launch_url is only allowed on assessment and automated_interview modules, not on %s", t)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, "launch_url", "invalid_field",
			"launch_url is %q; it must be an absolute http or https URL", raw)
	}
	return nil
}

// readQuestions checks form questions: forms need at least one, other types none.
func readQuestions(t hiretrack.ModuleType, items []*object) ([]hiretrack.Question, error) {
	if t != hiretrack.ModuleForm {
		if len(items) > 0 {
			return nil, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "questions", "invalid_value",
				"questions are only allowed on form modules, not on %s", t)
		}
		return nil, nil
	}
	if len(items) == 0 {
		return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, "questions", "missing_field",
			"a form module needs at least one question in questions")
	}

	questions := make([]hiretrack.Question, 0, len(items))
	for i, item := range items {
		q, err := readQuestion(item, i)
		if err != nil {
			return nil, err
		}
		questions = append(questions, q)
	}
	return questions, nil
}

func readQuestion(item *object, i int) (hiretrack.Question, error) {
	q := hiretrack.Question{
		Label:    item.String("label", maxLabelLen),
		Kind:     hiretrack.QuestionKind(item.Enum("kind", string(hiretrack.QuestionText), string(hiretrack.QuestionChoice))),
		Required: item.Bool("required"),
	}
	options := item.raw("options")
	if err := item.Err(); err != nil {
		return q, err
	}

	field := fmt.Sprintf("questions[%d].options", i)
	if q.Kind == hiretrack.QuestionText {
		if options != nil {
			return q, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, field, "invalid_value",
				"%s is only allowed on questions of kind \"choice\"", field)
		}
		return q, nil
	}
	return q, readOptions(&q, options, field)
}

// readOptions reads the options of a choice question: 1 to maxOptions distinct non-empty strings.
func readOptions(q *hiretrack.Question, raw []byte, field string) error {
	var options []string
	if raw == nil || json.Unmarshal(raw, &options) != nil {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, field, "invalid_field",
			"%s must be an array of strings for a question of kind \"choice\"", field)
	}
	if len(options) == 0 || len(options) > maxOptions {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, field, "invalid_field",
			"%s has %d items; a choice question needs 1 to %d", field, len(options), maxOptions)
	}

	// Options are trimmed like the answers checked against them, so that an
	// option such as " Now" can still be chosen.
	seen := map[string]bool{}
	for i, opt := range options {
		opt = strings.TrimSpace(opt)
		options[i] = opt
		if opt == "" || utf8.RuneCountInString(opt) > maxLabelLen || seen[opt] {
			return hiretrack.FieldErrorf(hiretrack.KindInvalid, field, "invalid_field",
				"%s must hold distinct, non-empty strings of at most %d characters; %q is not allowed", field, maxLabelLen, opt)
		}
		seen[opt] = true
	}
	q.Options = options
	return nil
}

func (s *Server) listModules(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	modules, err := s.store.Modules(r.Context(), p.CompanyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(modules))
	return nil
}

func (s *Server) getModule(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "module_id")
	if err != nil {
		return err
	}
	m, err := s.store.Module(r.Context(), p.CompanyID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
