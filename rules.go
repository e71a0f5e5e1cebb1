package hiretrack

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ReviewDecision is the outcome a reviewer reports for a review response.
type ReviewDecision string

// The review decisions.
const (
	DecisionAdvance ReviewDecision = "advance"
	DecisionHold    ReviewDecision = "hold"
	DecisionReject  ReviewDecision = "reject"
)

// ReviewDecisions lists the decisions in the order error messages name them.
var ReviewDecisions = []ReviewDecision{DecisionAdvance, DecisionHold, DecisionReject}

// ResultFields are the typed parts of a result besides score and data. Which
// of them a response accepts depends on its module type: MaxScore, Passed
// and ReportURL belong to assessments and automated interviews, the others
// to reviews.
type ResultFields struct {
	MaxScore     *float64       `json:"max_score,omitempty"`
	Passed       *bool          `json:"passed,omitempty"`
	ReportURL    string         `json:"report_url,omitempty"`
	Rating       *int           `json:"rating,omitempty"`
	Decision     ReviewDecision `json:"decision,omitempty"`
	Notes        string         `json:"notes,omitempty"`
	ReviewerName string         `json:"reviewer_name,omitempty"`
}

// ResultFieldNames returns the typed result fields that a module type accepts.
func ResultFieldNames(t ModuleType) []string {
	switch t {
	case ModuleAssessment, ModuleAutomatedInterview:
		return []string{"max_score", "passed", "report_url"}
	case ModuleReview:
		return []string{"rating", "decision", "notes", "reviewer_name"}
	}
	return nil
}

// Names returns the names of the fields that are set, in declaration order.
func (f ResultFields) Names() []string {
	var names []string
	add := func(set bool, name string) {
		if set {
			names = append(names, name)
		}
	}
	add(f.MaxScore != nil, "max_score")
	add(f.Passed != nil, "passed")
	add(f.ReportURL != "", "report_url")
	add(f.Rating != nil, "rating")
	add(f.Decision != "", "decision")
	add(f.Notes != "", "notes")
	add(f.ReviewerName != "", "reviewer_name")
	return names
}

// RuleName names one of the two automation rules of a stage.
type RuleName string

// The automation rules. The store evaluates auto_advance first, and
// auto_reject only when auto_advance does not match.
const (
	RuleAutoAdvance RuleName = "auto_advance"
	RuleAutoReject  RuleName = "auto_reject"
)

// RuleMatch is the way a rule combines its conditions.
type RuleMatch string

// The ways to combine conditions: every condition must hold, or at least one.
const (
	MatchAll RuleMatch = "all"
	MatchAny RuleMatch = "any"
)

// RuleField is the part of a result that a condition tests.
type RuleField string

// The condition fields. FieldAnswer tests the answer to the form question
// that the condition's Label names.
const (
	FieldScore    RuleField = "score"
	FieldPassed   RuleField = "passed"
	FieldRating   RuleField = "rating"
	FieldDecision RuleField = "decision"
	FieldAnswer   RuleField = "answer"
)

// RuleOperator compares a result field with a condition's value.
type RuleOperator string

// The operators. AtLeast and AtMost compare numbers, and an answer only
// when its text is a number.
const (
	OpEquals  RuleOperator = "equals"
	OpOneOf   RuleOperator = "one_of"
	OpAtLeast RuleOperator = "at_least"
	OpAtMost  RuleOperator = "at_most"
)

// MaxRuleConditions bounds the conditions of one rule, and MaxRuleValues the
// values of one one_of condition.
const (
	MaxRuleConditions = 20
	MaxRuleValues     = 50
)

// Condition is one test of a rule. Value is a JSON number, boolean or
// string, or for one_of an array of them, of the type that Field has.
type Condition struct {
	Field    RuleField       `json:"field"`
	Label    string          `json:"label,omitempty"`
	Operator RuleOperator    `json:"operator"`
	Value    json.RawMessage `json:"value"`
}

// Rule is an automation rule of a stage. InviteFormat belongs to
// auto_advance, SendEmail and EmailMessage to auto_reject.
type Rule struct {
	Match        RuleMatch    `json:"match"`
	Conditions   []Condition  `json:"conditions"`
	InviteFormat InviteFormat `json:"invite_format,omitempty"`
	SendEmail    *bool        `json:"send_email,omitempty"`
	EmailMessage string       `json:"email_message,omitempty"`
}

// ruleFields lists the condition fields that each stage type reports.
var ruleFields = map[StageType][]RuleField{
	StageType(ModuleForm):               {FieldAnswer},
	StageType(ModuleAssessment):         {FieldScore, FieldPassed},
	StageType(ModuleAutomatedInterview): {FieldScore, FieldPassed},
	StageType(ModuleReview):             {FieldRating, FieldDecision},
}

// RuleTarget is the stage a rule is checked for.
type RuleTarget struct {
	Type      StageType
	Questions []Question // of the stage's form module
	Last      bool       // the last regular stage, which has no stage to advance to
}

// CheckRule checks a rule against the stage it is set on. prefix is the
// rule's field path in the request, such as "stages[1].auto_advance", which
// errors name. It returns KindUnprocessable for a field the stage does not
// report, an operator or value that does not fit the field, or an
// auto_advance on the last regular stage.
func CheckRule(prefix string, name RuleName, r Rule, target RuleTarget) error {
	allowed, ok := ruleFields[target.Type]
	if !ok {
		return FieldErrorf(KindUnprocessable, prefix, "invalid_rule",
			"%s is set on a %s stage; only stages with a module can carry rules", prefix, target.Type)
	}
	if name == RuleAutoAdvance && target.Last {
		return FieldErrorf(KindUnprocessable, prefix, "invalid_rule",
			"%s is set on the last regular stage, which has no next stage; hiring is an explicit action", prefix)
	}

	for i, c := range r.Conditions {
		field := fmt.Sprintf("%s.conditions[%d]", prefix, i)
		if !slices.Contains(allowed, c.Field) {
			return FieldErrorf(KindUnprocessable, field+".field", "invalid_rule",
				"%s.field is %q, which a %s stage does not report; allowed fields are %s",
				field, c.Field, target.Type, quoteFields(allowed))
		}
		if err := checkCondition(field, c, target.Questions); err != nil {
			return err
		}
	}
	return nil
}

// checkCondition checks the operator, label and value of one condition.
func checkCondition(field string, c Condition, questions []Question) error {
	ops := operatorsOf(c.Field)
	if !slices.Contains(ops, c.Operator) {
		return FieldErrorf(KindUnprocessable, field+".operator", "invalid_rule",
			"%s.operator is %q; the operators of %s are %s", field, c.Operator, c.Field, quoteOperators(ops))
	}

	var question *Question
	if c.Field == FieldAnswer {
		for i := range questions {
			if questions[i].Label == c.Label {
				question = &questions[i]
			}
		}
		if question == nil {
			return FieldErrorf(KindUnprocessable, field+".label", "invalid_rule",
				"%s.label is %q, which is not a question of the stage's form", field, c.Label)
		}
	} else if c.Label != "" {
		return FieldErrorf(KindUnprocessable, field+".label", "invalid_rule",
			"%s.label is only used with \"field\": \"answer\"", field)
	}

	values, err := conditionValues(field+".value", c)
	if err != nil {
		return err
	}
	for _, v := range values {
		if err := checkValue(field+".value", c, v, question); err != nil {
			return err
		}
	}
	return nil
}

// operatorsOf returns the operators that apply to a field.
func operatorsOf(f RuleField) []RuleOperator {
	switch f {
	case FieldPassed:
		return []RuleOperator{OpEquals}
	case FieldDecision:
		return []RuleOperator{OpEquals, OpOneOf}
	}
	return []RuleOperator{OpEquals, OpOneOf, OpAtLeast, OpAtMost}
}

// conditionValues splits a condition's value into the values it compares
// with: one, or the 1 to MaxRuleValues items of a one_of array.
func conditionValues(field string, c Condition) ([]json.RawMessage, error) {
	if c.Operator != OpOneOf {
		return []json.RawMessage{c.Value}, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(c.Value, &items) != nil || len(items) == 0 || len(items) > MaxRuleValues {
		return nil, FieldErrorf(KindUnprocessable, field, "invalid_rule",
			"%s is %s; one_of needs an array of 1 to %d values", field, clipJSON(c.Value), MaxRuleValues)
	}
	return items, nil
}

// checkValue checks that one value has the field's type and range.
func checkValue(field string, c Condition, v json.RawMessage, question *Question) error {
	invalid := func(want string) error {
		return FieldErrorf(KindUnprocessable, field, "invalid_rule", "%s is %s; %s", field, clipJSON(v), want)
	}

	switch {
	case c.Field == FieldScore:
		if n, ok := number(v); !ok || n < 0 || n > 100 {
			return invalid("a score is a number from 0 to 100")
		}
	case c.Field == FieldRating:
		if n, ok := number(v); !ok || n < 1 || n > 5 {
			return invalid("a rating is a number from 1 to 5")
		}
	case c.Field == FieldPassed:
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return invalid("passed is true or false")
		}
	case c.Field == FieldDecision:
		var d ReviewDecision
		if json.Unmarshal(v, &d) != nil || !slices.Contains(ReviewDecisions, d) {
			return invalid(`a decision is "advance", "hold" or "reject"`)
		}
	case c.Operator == OpAtLeast || c.Operator == OpAtMost:
		if _, ok := number(v); !ok {
			return invalid("at_least and at_most compare an answer with a number")
		}
	default:
		return checkAnswerValue(field, v, question)
	}
	return nil
}

// checkAnswerValue checks a value that an answer is compared with as text.
// For a choice question it must be one of the options.
func checkAnswerValue(field string, v json.RawMessage, question *Question) error {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return FieldErrorf(KindUnprocessable, field, "invalid_rule", "%s is %s; an answer is compared with a string", field, clipJSON(v))
	}
	if question.Kind == QuestionChoice && !slices.Contains(question.Options, s) {
		return FieldErrorf(KindUnprocessable, field, "invalid_rule", "%s is %q; %q has the options %s",
			field, s, question.Label, strings.Join(question.Options, ", "))
	}
	return nil
}

// number decodes a JSON number that is finite.
func number(v json.RawMessage) (float64, bool) {
	var n float64
	if json.Unmarshal(v, &n) != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// ResultView is what rules test: a completed response's score, typed fields
// and form answers.
type ResultView struct {
	Score   *float64
	Fields  ResultFields
	Answers []Answer
}

// Matches reports whether the result meets the rule's conditions. A
// condition on a field that the result lacks does not hold.
func (r Rule) Matches(v ResultView) bool {
	for _, c := range r.Conditions {
		holds := c.holds(v)
		if r.Match == MatchAny && holds {
			return true
		}
		if r.Match != MatchAny && !holds {
			return false
		}
	}
	return r.Match != MatchAny
}

// holds evaluates one condition.
func (c Condition) holds(v ResultView) bool {
	switch c.Field {
	case FieldScore:
		return v.Score != nil && c.compareNumber(*v.Score)
	case FieldRating:
		return v.Fields.Rating != nil && c.compareNumber(float64(*v.Fields.Rating))
	case FieldPassed:
		var want bool
		return v.Fields.Passed != nil && json.Unmarshal(c.Value, &want) == nil && *v.Fields.Passed == want
	case FieldDecision:
		return v.Fields.Decision != "" && c.compareText(string(v.Fields.Decision))
	case FieldAnswer:
		return c.compareAnswer(v.Answers)
	}
	return false
}

// compareAnswer compares the answer to the condition's question. An empty
// answer holds for no condition.
func (c Condition) compareAnswer(answers []Answer) bool {
	for _, a := range answers {
		if a.Label != c.Label || a.Value == "" {
			continue
		}
		if c.Operator == OpAtLeast || c.Operator == OpAtMost {
			n, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
			return err == nil && c.compareNumber(n)
		}
		return c.compareText(a.Value)
	}
	return false
}

func (c Condition) compareNumber(n float64) bool {
	switch c.Operator {
	case OpAtLeast:
		want, ok := number(c.Value)
		return ok && n >= want
	case OpAtMost:
		want, ok := number(c.Value)
		return ok && n <= want
	case OpEquals:
		want, ok := number(c.Value)
		return ok && n == want
	case OpOneOf:
		var values []float64
		return json.Unmarshal(c.Value, &values) == nil && slices.Contains(values, n)
	}
	return false
}

func (c Condition) compareText(s string) bool {
	switch c.Operator {
	case OpEquals:
		var want string
		return json.Unmarshal(c.Value, &want) == nil && s == want
	case OpOneOf:
		var values []string
		return json.Unmarshal(c.Value, &values) == nil && slices.Contains(values, s)
	}
	return false
}

func quoteFields(fields []RuleField) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = strconv.Quote(string(f))
	}
	return strings.Join(names, ", ")
}

func quoteOperators(ops []RuleOperator) string {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = strconv.Quote(string(o))
	}
	return strings.Join(names, ", ")
}

// clipJSON returns a value's JSON for an error message, cut to a readable length.
func clipJSON(v json.RawMessage) string {
	const max = 60
	if len(v) > max {
		return string(v[:max]) + "…"
	}
	return string(v)
}
