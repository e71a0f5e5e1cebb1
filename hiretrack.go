// Package hiretrack holds the domain types of a hiring pipeline, the coded
// error type every layer returns, and the Store interface that database
// packages implement. It imports no other package of this module.
package hiretrack

import (
	"encoding/json"
	"time"
)

// ModuleType is the kind of task a candidate does in a stage.
type ModuleType string

// The module types. Form modules are answered on hiretrack's own candidate
// page; the others are run elsewhere and report back through the result API.
const (
	ModuleForm               ModuleType = "form"
	ModuleAssessment         ModuleType = "assessment"
	ModuleAutomatedInterview ModuleType = "automated_interview"
	ModuleReview             ModuleType = "review"
)

// ModuleTypes lists the valid module types in the order error messages name them.
var ModuleTypes = []ModuleType{ModuleForm, ModuleAssessment, ModuleAutomatedInterview, ModuleReview}

// Valid reports whether t is one of ModuleTypes.
func (t ModuleType) Valid() bool {
	for _, v := range ModuleTypes {
		if t == v {
			return true
		}
	}
	return false
}

// ResponseIDName returns the type-specific name of a response id of this
// module type, such as "report_id" for an assessment.
func (t ModuleType) ResponseIDName() string {
	switch t {
	case ModuleForm:
		return "form_response_id"
	case ModuleAssessment:
		return "report_id"
	case ModuleAutomatedInterview:
		return "interview_response_id"
	case ModuleReview:
		return "review_id"
	}
	return "response_id"
}

// StageType is a module type for regular stages, or one of the two terminal types.
type StageType string

// The terminal stage types that every track ends with.
const (
	StageHired    StageType = "hired"
	StageRejected StageType = "rejected"
)

// Terminal reports whether t is the hired or rejected stage type.
func (t StageType) Terminal() bool {
	return t == StageHired || t == StageRejected
}

// QuestionKind is the answer format of a form question: free text or a choice.
type QuestionKind string

// The question kinds: free text, or one of a fixed list of options.
const (
	QuestionText   QuestionKind = "text"
	QuestionChoice QuestionKind = "choice"
)

// Question is one question of a form module.
type Question struct {
	Label    string       `json:"label"`
	Kind     QuestionKind `json:"kind"`
	Options  []string     `json:"options,omitempty"`
	Required bool         `json:"required"`
}

// Module is the thing a candidate does in a stage.
type Module struct {
	ID        int64      `json:"module_id"`
	Type      ModuleType `json:"type"`
	Name      string     `json:"name"`
	LaunchURL string     `json:"launch_url,omitempty"`
	Questions []Question `json:"questions,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// Stage is one step of a track. Terminal stages have no module.
type Stage struct {
	ID       string    `json:"stage_id"`
	Name     string    `json:"name"`
	Type     StageType `json:"type"`
	ModuleID *int64    `json:"module_id"`
	Position int       `json:"position"`

	// AutoAdvance and AutoReject are the stage's automation rules, nil when unset.
	AutoAdvance *Rule `json:"auto_advance"`
	AutoReject  *Rule `json:"auto_reject"`
	// InviteValidHours is how long the invite links of this stage stay
	// usable, from when they open. Terminal stages have none, so it is 0.
	InviteValidHours int `json:"invite_valid_hours,omitempty"`
}

// StageRef names a stage in responses that do not need its module.
type StageRef struct {
	ID   string    `json:"stage_id"`
	Name string    `json:"name"`
	Type StageType `json:"type"`
}

// Ref returns the short form of s.
func (s Stage) Ref() StageRef {
	return StageRef{ID: s.ID, Name: s.Name, Type: s.Type}
}

// Track is a hiring pipeline: regular stages in order, then Hired and Rejected.
type Track struct {
	ID        int64     `json:"track_id"`
	Title     string    `json:"title"`
	Stages    []Stage   `json:"stages"`
	CreatedAt time.Time `json:"created_at"`
}

// ApplicationStatus is the state of an application as a whole.
type ApplicationStatus string

// The application statuses.
const (
	ApplicationActive   ApplicationStatus = "active"
	ApplicationRejected ApplicationStatus = "rejected"
	ApplicationHired    ApplicationStatus = "hired"
)

// InviteStatus is the state of one response.
type InviteStatus string

// The invite statuses. A response moves Pending, Started, Completed; a link
// whose time ran out reads as Expired.
const (
	InvitePending   InviteStatus = "Pending"
	InviteStarted   InviteStatus = "Started"
	InviteCompleted InviteStatus = "Completed"
	InviteExpired   InviteStatus = "Expired"
)

// InviteFormat selects whether an invite only creates a link or also emails it.
type InviteFormat string

// The invite formats.
const (
	InviteGetLink  InviteFormat = "getlink"
	InviteSendLink InviteFormat = "sendlink"
)

// Response is one stage an application entered, with its own invite link.
type Response struct {
	ID            int64           `json:"response_id"`
	ApplicationID int64           `json:"application_id"`
	StageID       string          `json:"stage_id"`
	ModuleID      int64           `json:"module_id"`
	ModuleType    ModuleType      `json:"module_type"`
	InviteStatus  InviteStatus    `json:"invite_status"`
	Score         *float64        `json:"score"`
	Data          json.RawMessage `json:"data"`
	InvitedAt     time.Time       `json:"invited_at"`
	ExpiresAt     time.Time       `json:"expires_at"`
	OpenedAt      *time.Time      `json:"opened_at"`
	StartedAt     *time.Time      `json:"started_at"`
	CompletedAt   *time.Time      `json:"completed_at"`

	// Result holds the typed result fields, and RuleFired the automation
	// rule that the response's completion fired, empty when none did.
	Result    ResultFields `json:"result"`
	RuleFired RuleName     `json:"rule_fired"`
}

// Event is one entry of an application's append-only timeline.
type Event struct {
	ID         int64           `json:"event_id"`
	Type       string          `json:"type"`
	Actor      string          `json:"actor"`
	StageID    string          `json:"stage_id,omitempty"`
	ResponseID *int64          `json:"response_id,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	At         time.Time       `json:"at"`
}

// The event types written to the timeline.
const (
	EventInvited      = "invited"
	EventReinvited    = "reinvited"
	EventOpened       = "opened"
	EventStarted      = "started"
	EventCompleted    = "completed"
	EventAdvanced     = "advanced"
	EventMoved        = "moved"
	EventRejected     = "rejected"
	EventUnrejected   = "unrejected"
	EventHired        = "hired"
	EventApplied      = "applied"
	EventEmailQueued  = "email_queued"
	EventEmailSent    = "email_sent"
	EventEmailFailed  = "email_failed"
	EventScoreUpdated = "score_updated"
)

// Actors recorded on events: the API key's prefix stands for an integrator.
const (
	ActorCandidate = "candidate"
	ActorSystem    = "system"
)
