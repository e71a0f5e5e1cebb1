package hiretrack

import (
	"encoding/json"
	"testing"
)

func TestRuleMatches(t *testing.T) {
	score := func(v float64) *float64 { return &v }
	rating := func(v int) *int { return &v }
	condition := func(field RuleField, op RuleOperator, value string) Condition {
		return Condition{Field: field, Operator: op, Value: json.RawMessage(value)}
	}
	answer := func(op RuleOperator, value string) Condition {
		c := condition(FieldAnswer, op, value)
		c.Label = "Years of Go"
		return c
	}

	cases := []struct {
		name string
		rule Rule
		view ResultView
		want bool
	}{
		{"ScoreMissing", Rule{Conditions: []Condition{condition(FieldScore, OpAtMost, "100")}}, ResultView{}, false},
		{"RatingOneOf", Rule{Conditions: []Condition{condition(FieldRating, OpOneOf, "[4, 5]")}},
			ResultView{Fields: ResultFields{Rating: rating(5)}}, true},
		{"DecisionEquals", Rule{Conditions: []Condition{condition(FieldDecision, OpEquals, `"hold"`)}},
			ResultView{Fields: ResultFields{Decision: DecisionAdvance}}, false},
		{"AnswerNumber", Rule{Conditions: []Condition{answer(OpAtLeast, "3")}},
			ResultView{Answers: []Answer{{Label: "Years of Go", Value: " 3.5"}}}, true},
		{"AnswerText", Rule{Conditions: []Condition{answer(OpAtLeast, "3")}},
			ResultView{Answers: []Answer{{Label: "Years of Go", Value: "many"}}}, false},
		{"AnswerEmpty", Rule{Conditions: []Condition{answer(OpEquals, `""`)}},
			ResultView{Answers: []Answer{{Label: "Years of Go", Value: ""}}}, false},
		{"AllWithMissing", Rule{Match: MatchAll, Conditions: []Condition{
			condition(FieldScore, OpAtLeast, "10"), condition(FieldPassed, OpEquals, "true")}},
			ResultView{Score: score(50)}, false},
		{"AnyWithMissing", Rule{Match: MatchAny, Conditions: []Condition{
			condition(FieldScore, OpAtLeast, "10"), condition(FieldPassed, OpEquals, "true")}},
			ResultView{Score: score(50)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rule.Matches(c.view); got != c.want {
				t.Errorf("Matches = %v, want %v", got, c.want)
			}
		})
	}
}
