package httpapi

import (
	"net/http"
	"slices"
	"sort"

	"github.com/hiretrack/hiretrack"
)

// The keys of a rule object and of a condition, so that a misspelt key is
// an error instead of a condition that silently tests something else.
var (
	ruleKeys      = []string{"match", "conditions", "invite_format", "send_email", "email_message"}
	conditionKeys = []string{"field", "label", "operator", "value"}
)

// readRule reads the rule under name. set is false when the field is
// absent, and the rule is nil when the field is absent or null.
func readRule(parent *object, name hiretrack.RuleName) (rule *hiretrack.Rule, set bool) {
	_, set = parent.fields[string(name)]
	raw := parent.raw(string(name))
	if raw == nil || parent.err != nil {
		return nil, set
	}
	o, err := parseObject(raw, parent.prefix+string(name)+".")
	if err != nil {
		parent.err = err
		return nil, set
	}

	r := &hiretrack.Rule{Match: hiretrack.MatchAll}
	if o.raw("match") != nil {
		r.Match = hiretrack.RuleMatch(o.Enum("match", string(hiretrack.MatchAll), string(hiretrack.MatchAny)))
	}
	r.Conditions = readConditions(o)
	readRuleAction(o, name, r)
	if o.err == nil {
		o.rejectUnknown(ruleKeys)
	}
	if o.err != nil {
		parent.err = o.err
		return nil, set
	}
	return r, set
}

// readConditions reads the 1 to MaxRuleConditions conditions of a rule.
func readConditions(o *object) []hiretrack.Condition {
	items := o.Objects("conditions", hiretrack.MaxRuleConditions, true)
	if o.err == nil && len(items) == 0 {
		o.fail(hiretrack.KindInvalid, "conditions", "invalid_field", "%sconditions must hold at least one condition", o.prefix)
	}

	conditions := make([]hiretrack.Condition, 0, len(items))
	for _, item := range items {
		c := hiretrack.Condition{
			Field: hiretrack.RuleField(item.Enum("field", "score", "passed", "rating", "decision", "answer")),
			Operator: hiretrack.RuleOperator(item.Enum("operator",
				string(hiretrack.OpEquals), string(hiretrack.OpOneOf), string(hiretrack.OpAtLeast), string(hiretrack.OpAtMost))),
			Value: item.raw("value"),
		}
		if c.Field == hiretrack.FieldAnswer {
			c.Label = item.String("label", maxLabelLen)
		} else {
			c.Label, _ = item.OptionalString("label", maxLabelLen)
		}
		if item.err == nil && c.Value == nil {
			item.missing("value")
		}
		if item.err == nil {
			item.rejectUnknown(conditionKeys)
		}
		if item.err != nil {
			o.err = item.err
			return nil
		}
		conditions = append(conditions, c)
	}
	return conditions
}

// readRuleAction reads what a rule does: auto_advance takes invite_format,
// auto_reject send_email and email_message.
func readRuleAction(o *object, name hiretrack.RuleName, r *hiretrack.Rule) {
	if name == hiretrack.RuleAutoAdvance {
		r.InviteFormat = readInviteFormat(o)
		for _, key := range []string{"send_email", "email_message"} {
			if o.err == nil && o.raw(key) != nil {
				o.fail(hiretrack.KindUnprocessable, key, "invalid_value", "%s%s belongs to auto_reject; auto_advance sends the invite that invite_format selects", o.prefix, key)
			}
		}
		return
	}

	if o.err == nil && o.raw("invite_format") != nil {
		o.fail(hiretrack.KindUnprocessable, "invite_format", "invalid_value", "%sinvite_format belongs to auto_advance", o.prefix)
	}
	send := o.Bool("send_email")
	r.SendEmail = &send
	message, hasMessage := o.OptionalString("email_message", maxEmailMessageLen)
	if hasMessage && !send && o.err == nil {
		o.fail(hiretrack.KindUnprocessable, "email_message", "invalid_value", "%semail_message is only used with \"send_email\": true", o.prefix)
	}
	r.EmailMessage = message
}

// rejectUnknown fails on the first key, in sorted order, that is not in known.
func (o *object) rejectUnknown(known []string) {
	keys := make([]string, 0, len(o.fields))
	for key := range o.fields {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if !slices.Contains(known, key) {
			o.fail(hiretrack.KindInvalid, key, "unknown_field", "%s%s is not a known field; the fields are %s",
				o.prefix, key, quoteList(known))
			return
		}
	}
}

// updateStage is PATCH /tracks/{track_id}/stages/{stage_id}, which sets or
// removes the automation rules of a stage.
func (s *Server) updateStage(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	trackID, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	stageID := r.PathValue("stage_id")
	body, err := decodeObject(r)
	if err != nil {
		return err
	}

	var u hiretrack.StageRulesUpdate
	u.AutoAdvance, u.SetAutoAdvance = readRule(body, hiretrack.RuleAutoAdvance)
	u.AutoReject, u.SetAutoReject = readRule(body, hiretrack.RuleAutoReject)
	if err := body.Err(); err != nil {
		return err
	}
	if !u.SetAutoAdvance && !u.SetAutoReject {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, "auto_advance", "missing_field",
			"send auto_advance, auto_reject or both; a rule set to null is removed")
	}

	st, err := s.store.UpdateStageRules(r.Context(), p.CompanyID, trackID, stageID, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
