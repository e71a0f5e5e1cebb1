package client

import (
	"encoding/json"
	"time"

	"github.com/hiretrack/hiretrack"
)

// The resources that the API returns as the server stores them share the
// domain types, so that a field added there reaches the client too.
type (
	Module    = hiretrack.Module
	Question  = hiretrack.Question
	Track     = hiretrack.Track
	Stage     = hiretrack.Stage
	StageRef  = hiretrack.StageRef
	Event     = hiretrack.Event
	Applicant = hiretrack.Applicant
	APIKey    = hiretrack.APIKey
	Answer    = hiretrack.Answer
)

// Response is one stage that an application entered. The API repeats its
// id under the name of its module type, and only that one of the four ids
// is set.
type Response struct {
	hiretrack.Response
	FormResponseID      int64 `json:"form_response_id,omitempty"`
	ReportID            int64 `json:"report_id,omitempty"`
	InterviewResponseID int64 `json:"interview_response_id,omitempty"`
	ReviewID            int64 `json:"review_id,omitempty"`

	// Result replaces the stored fields of hiretrack.Response with the
	// API's form, which adds the answers of a form stage.
	Result Result `json:"result"`
}

// Result is the typed result of a response. Only the fields of the
// response's module type are set: MaxScore, Passed and ReportURL for an
// assessment or automated interview, Rating, Decision, Notes and
// ReviewerName for a review, and Answers for a form.
type Result struct {
	hiretrack.ResultFields
	Answers []Answer `json:"answers,omitempty"`
}

// The invite formats of invites and transitions.
const (
	GetLink  = "getlink"
	SendLink = "sendlink"
)

// ModuleInput is the body of CreateModule.
type ModuleInput struct {
	Type      string     `json:"type"`
	Name      string     `json:"name"`
	LaunchURL string     `json:"launch_url,omitempty"`
	Questions []Question `json:"questions,omitempty"`
}

// TrackInput is the body of CreateTrack.
type TrackInput struct {
	Title  string       `json:"title"`
	Stages []StageInput `json:"stages"`
}

// StageInput is one regular stage of TrackInput.
type StageInput struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	ModuleID int64  `json:"module_id"`
}

// InviteInput is the body of Invite.
type InviteInput struct {
	TrackID        int64  `json:"track_id"`
	CandidateName  string `json:"candidate_name"`
	CandidateEmail string `json:"candidate_email"`
	InviteFormat   string `json:"invite_format"`

	// StartDate and ExpiryDate bound the link: RFC 3339 with an offset, or
	// "YYYY-MM-DD HH:MM" read as GMT. Empty leaves the stage's default.
	StartDate  string `json:"start_date,omitempty"`
	ExpiryDate string `json:"expiry_date,omitempty"`
}

// Invitation is the response body of Invite. Created is true for a new
// application (201) and false when the candidate had applied before and
// got a new link (200).
type Invitation struct {
	Created       bool      `json:"-"`
	ApplicationID int64     `json:"application_id"`
	CandidateID   int64     `json:"candidate_id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	TrackID       int64     `json:"track_id"`
	ResponseID    int64     `json:"response_id"`
	InviteLink    string    `json:"invite_link"`
	InviteStatus  string    `json:"invite_status"`
	Status        string    `json:"status"`
	ExpiresAt     time.Time `json:"expires_at"`

	// StartDate and ExpiryDate echo the link dates of the request, in UTC;
	// both are nil when the request set neither.
	StartDate  *time.Time `json:"start_date,omitempty"`
	ExpiryDate *time.Time `json:"expiry_date,omitempty"`
}

// AdvanceInput is the body of Advance.
type AdvanceInput struct {
	TrackID       int64  `json:"track_id"`
	ApplicationID int64  `json:"application_id"`
	InviteFormat  string `json:"invite_format"`
	SourceStageID string `json:"source_stage_id,omitempty"`
	DryRun        bool   `json:"dry_run,omitempty"`

	// StartDate and ExpiryDate bound the new stage's link, as in InviteInput.
	StartDate  string `json:"start_date,omitempty"`
	ExpiryDate string `json:"expiry_date,omitempty"`
}

// Advancement is the response body of Advance. A dry run fills the fields of
// DryRunOutcome instead of the link fields.
type Advancement struct {
	ApplicationID int64     `json:"application_id"`
	CandidateID   int64     `json:"candidate_id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	TrackID       int64     `json:"track_id"`
	StageMoved    string    `json:"stage_moved"`
	StageID       string    `json:"stage_id"`
	ModuleID      *int64    `json:"module_id"`
	ResponseID    int64     `json:"response_id"`
	InviteLink    string    `json:"invite_link"`
	Status        string    `json:"status"`
	ExpiresAt     time.Time `json:"expires_at"`
	EmailSent     bool      `json:"email_sent"`

	// StartDate and ExpiryDate echo the link dates of the request, in UTC;
	// both are nil when the request set neither.
	StartDate  *time.Time `json:"start_date,omitempty"`
	ExpiryDate *time.Time `json:"expiry_date,omitempty"`
	DryRunOutcome
}

// DryRunOutcome holds the fields that only a dry run returns.
type DryRunOutcome struct {
	DryRun            bool      `json:"dry_run"`
	FromStage         *StageRef `json:"from_stage,omitempty"`
	ToStage           *StageRef `json:"to_stage,omitempty"`
	ApplicationStatus string    `json:"application_status,omitempty"`
	CreatesInviteLink bool      `json:"creates_invite_link"`
	QueuesEmail       bool      `json:"queues_email"`
}

// TransitionInput is the body of Move, Reject, Unreject and Hire. Each
// uses the fields its endpoint documents and the server ignores the rest.
type TransitionInput struct {
	SourceStageID      string `json:"source_stage_id,omitempty"`
	DestinationStageID string `json:"destination_stage_id,omitempty"`
	InviteFormat       string `json:"invite_format,omitempty"`
	SendEmail          bool   `json:"send_email,omitempty"`
	EmailMessage       string `json:"email_message,omitempty"`
	DryRun             bool   `json:"dry_run,omitempty"`
}

// Transition is the response body of Move, Reject, Unreject and Hire, and of
// their dry runs.
type Transition struct {
	TrackID           int64      `json:"track_id"`
	ApplicationID     int64      `json:"application_id"`
	CandidateID       int64      `json:"candidate_id"`
	Name              string     `json:"name"`
	Email             string     `json:"email"`
	FromStage         StageRef   `json:"from_stage"`
	ToStage           StageRef   `json:"to_stage"`
	ApplicationStatus string     `json:"application_status"`
	ResponseID        int64      `json:"response_id,omitempty"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
	InviteLink        string     `json:"invite_link,omitempty"`
	Status            string     `json:"status,omitempty"`
	EmailSent         bool       `json:"email_sent,omitempty"`

	DryRun            bool   `json:"dry_run,omitempty"`
	ModuleID          *int64 `json:"module_id,omitempty"`
	CreatesInviteLink bool   `json:"creates_invite_link,omitempty"`
	QueuesEmail       bool   `json:"queues_email,omitempty"`
}

// RejectCandidateInput is the body of RejectCandidate, the older reject form.
type RejectCandidateInput struct {
	TrackID       int64  `json:"track_id"`
	ApplicationID int64  `json:"application_id"`
	SourceStageID string `json:"source_stage_id,omitempty"`
	SendEmail     bool   `json:"send_email,omitempty"`
	EmailMessage  string `json:"email_message,omitempty"`
	DryRun        bool   `json:"dry_run,omitempty"`
}

// CandidateRejection is the short response body of RejectCandidate.
type CandidateRejection struct {
	ApplicationID int64  `json:"application_id"`
	CandidateID   int64  `json:"candidate_id"`
	TrackID       int64  `json:"track_id"`
	Message       string `json:"message"`
}

// ImportInput is the body of Import.
type ImportInput struct {
	TrackID        int64             `json:"track_id"`
	CandidateName  string            `json:"candidate_name"`
	CandidateEmail string            `json:"candidate_email"`
	Fields         map[string]string `json:"fields,omitempty"`
}

// Imported is the response body of Import.
type Imported struct {
	ApplicationID     int64    `json:"application_id"`
	CandidateID       int64    `json:"candidate_id"`
	TrackID           int64    `json:"track_id"`
	Name              string   `json:"name"`
	Email             string   `json:"email"`
	CurrentStage      StageRef `json:"current_stage"`
	ResponseID        int64    `json:"response_id"`
	InviteStatus      string   `json:"invite_status"`
	ApplicationStatus string   `json:"application_status"`
}

// BulkInput is the body of Bulk.
type BulkInput struct {
	Action             string  `json:"action"`
	ApplicationIDs     []int64 `json:"application_ids"`
	SourceStageID      string  `json:"source_stage_id,omitempty"`
	DestinationStageID string  `json:"destination_stage_id,omitempty"`
	InviteFormat       string  `json:"invite_format,omitempty"`
	SendEmail          bool    `json:"send_email,omitempty"`
	EmailMessage       string  `json:"email_message,omitempty"`
	DryRun             bool    `json:"dry_run,omitempty"`
}

// BulkResult is the response body of Bulk: one entry per application id, in the
// order sent.
type BulkResult struct {
	Action    string      `json:"action"`
	Data      []BulkEntry `json:"data"`
	Succeeded int         `json:"succeeded"`
	Failed    int         `json:"failed"`
}

// BulkEntry is the outcome of one application of a bulk request. Body is
// the body that the single call would have returned; Err decodes it when OK is
// false.
type BulkEntry struct {
	ApplicationID int64           `json:"application_id"`
	OK            bool            `json:"ok"`
	Status        int             `json:"status"`
	Body          json.RawMessage `json:"body"`
}

// ResultInput is the body of RecordResult.
type ResultInput struct {
	Status string         `json:"status"`
	Score  *float64       `json:"score,omitempty"`
	Data   map[string]any `json:"data,omitempty"`
}

// RecordedResult is the response body of RecordResult: the response, and
// the transition that an automation rule made, nil when no rule fired.
type RecordedResult struct {
	Response
	Automation *Automation `json:"automation"`
}

// Automation is the transition that an automation rule of a stage made
// when a result arrived. ResponseID is the new stage's response, nil after
// a rejection.
type Automation struct {
	Rule              string   `json:"rule"`
	FromStage         StageRef `json:"from_stage"`
	ToStage           StageRef `json:"to_stage"`
	ApplicationStatus string   `json:"application_status"`
	EmailQueued       bool     `json:"email_queued"`
	ResponseID        *int64   `json:"response_id"`
}

// ApplicantQuery holds the filters, sort and page of ListApplicants. Zero
// fields are not sent.
type ApplicantQuery struct {
	Page         int
	PerPage      int
	Sort         string
	After        string
	Name         string
	Email        string
	StageID      string
	Status       string
	InviteStatus string
	UpdatedSince time.Time
}

// ApplicantRow is one row of the applicant list: the applicant and the
// stage it is in.
type ApplicantRow struct {
	Applicant
	CurrentStage StageRef `json:"current_stage"`
}

// ApplicantPage is one page of the applicant list. Next is the path of the
// next page, for NextApplicants, or nil on the last page.
type ApplicantPage struct {
	Data    []ApplicantRow `json:"data"`
	Page    *int           `json:"page"`
	PerPage int            `json:"per_page"`
	Total   int64          `json:"total"`
	Next    *string        `json:"next"`
}

// ApplicantDetail is the response body of GetApplicant.
type ApplicantDetail struct {
	TrackID      int64      `json:"track_id"`
	TrackTitle   string     `json:"track_title"`
	Applicant    Applicant  `json:"applicant"`
	CurrentStage StageRef   `json:"current_stage"`
	Stages       []Stage    `json:"stages"`
	Responses    []Response `json:"responses"`
	Timeline     []Event    `json:"timeline"`

	// StageWiseReport has the latest response of each stage with a module
	// that the application entered, and SubmittedResponse the answers of
	// its completed first-stage form; both are empty when there are none.
	StageWiseReport   []ReportEntry `json:"stage_wise_report"`
	SubmittedResponse []Answer      `json:"submitted_response"`
}

// ReportEntry is one entry of ApplicantDetail.StageWiseReport: a response
// with its track and stage.
type ReportEntry struct {
	Response
	TrackID int64    `json:"track_id"`
	Stage   StageRef `json:"stage"`
}

// APIKeyInput is the body of CreateAPIKey.
type APIKeyInput struct {
	Name   string   `json:"name,omitempty"`
	Scopes []string `json:"scopes"`
}

// CreatedAPIKey is the response body of CreateAPIKey: the key's record and the
// key itself, which no later response shows.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key"`
}
