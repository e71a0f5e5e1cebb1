package hiretrack

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Principal is who a request acts for: one company, through one API key.
type Principal struct {
	CompanyID int64
	KeyID     int64
	KeyPrefix string  // first characters of the key, safe to log and show
	Scopes    []Scope // the key's permissions, in the order of AllScopes
}

// HasScope reports whether the principal's key has scope.
func (p Principal) HasScope(scope Scope) bool {
	return slices.Contains(p.Scopes, scope)
}

// Actor returns the name recorded on timeline events for this principal.
func (p Principal) Actor() string { return "key:" + p.KeyPrefix }

// SecretHash is the stored form of a secret: the SHA-256 of the secret, hex encoded.
type SecretHash string

// NewToken is an invite token as the store keeps it: the hash to look it up
// by, and a copy sealed with the server key so the mail worker can put the
// link into an email. The plain token never reaches the database.
type NewToken struct {
	Hash   SecretHash
	Sealed []byte
}

// NewKey is an API key as the store keeps it. Name is an optional label
// that helps people tell keys apart.
type NewKey struct {
	Prefix string
	Hash   SecretHash
	Name   string
	Scopes []Scope
}

// APIKey is a stored API key as lists show it. It never contains the key
// or its hash.
type APIKey struct {
	ID        int64      `json:"id"`
	Prefix    string     `json:"prefix"`
	Name      string     `json:"name"`
	Scopes    []Scope    `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// StageInput is one regular stage of a track to create.
type StageInput struct {
	Name        string
	Type        StageType
	ModuleID    int64
	AutoAdvance *Rule
	AutoReject  *Rule

	// InviteValidHours is the stage's link lifetime; 0 selects the default.
	InviteValidHours int
}

// StageRulesUpdate changes the automation rules of a stage. A rule whose
// Set flag is false stays as it is; a set rule that is nil is removed.
type StageRulesUpdate struct {
	SetAutoAdvance bool
	AutoAdvance    *Rule
	SetAutoReject  bool
	AutoReject     *Rule
}

// InviteParams is a request to invite a candidate to a track.
type InviteParams struct {
	Principal     Principal
	TrackID       int64
	CandidateName string
	Email         string
	Format        InviteFormat
	Token         NewToken
	Window        LinkWindow
}

// Invitation is the outcome of an invite: a new application, or the
// existing one with a fresh link when Created is false.
type Invitation struct {
	ApplicationID int64
	CandidateID   int64
	ResponseID    int64
	TrackID       int64
	Name          string
	Email         string
	InviteStatus  InviteStatus
	StartsAt      *time.Time
	ExpiresAt     time.Time
	Created       bool
	EmailQueued   bool
}

// TransitionKind names a stage transition.
type TransitionKind string

// The transitions. Advance goes to the next regular stage, move to any stage
// of the track, reject and hire to the terminal stages, and unreject back to
// the stage an application was rejected from.
const (
	TransitionAdvance  TransitionKind = "advance"
	TransitionMove     TransitionKind = "move"
	TransitionReject   TransitionKind = "reject"
	TransitionUnreject TransitionKind = "unreject"
	TransitionHire     TransitionKind = "hire"
)

// TransitionParams is a request to move an application between stages.
type TransitionParams struct {
	Principal     Principal
	Kind          TransitionKind
	TrackID       int64
	ApplicationID int64

	// SourceStageID, when not empty, is a compare-and-set: the transition
	// happens only when the application is in this stage.
	SourceStageID string

	// DestinationStageID is the target of a move; other kinds ignore it.
	DestinationStageID string

	// CandidateID, when not zero, must be the application's candidate;
	// otherwise the store returns KindNotFound for the application.
	CandidateID int64

	// Format announces the new stage's response: getlink returns a link,
	// sendlink also emails it, and empty creates the response without a link.
	Format InviteFormat
	Token  NewToken
	Window LinkWindow // bounds the new stage's link

	// DryRun checks everything and reports the outcome without writing.
	DryRun bool

	// SendEmail queues a rejection email with EmailMessage, or a default text
	// when it is empty. Only reject uses them.
	SendEmail    bool
	EmailMessage string

	// Rule names the automation rule that makes this transition. The
	// timeline then records the rule and the system as the actor.
	Rule RuleName
}

// Transition is the outcome of a transition, or of a dry run.
type Transition struct {
	Kind          TransitionKind
	ApplicationID int64
	CandidateID   int64
	TrackID       int64
	Name          string
	Email         string
	From          Stage
	To            Stage
	Status        ApplicationStatus
	ResponseID    int64 // 0 when the destination stage has no module
	ExpiresAt     time.Time
	LinkCreated   bool // an invite link for ResponseID was issued
	EmailQueued   bool // an invite or rejection email was (or, in a dry run, would be) queued
	DryRun        bool
}

// ImportParams adds an applicant whose first-stage form was collected elsewhere.
type ImportParams struct {
	Principal     Principal
	TrackID       int64
	CandidateName string
	Email         string
	Fields        map[string]string // form answers by question label
	Token         NewToken
}

// ResultParams is a progress or result report for one response.
type ResultParams struct {
	Principal  Principal
	ResponseID int64
	Status     InviteStatus // InviteStarted or InviteCompleted
	Score      *float64
	Data       json.RawMessage

	// Fields are the typed result fields, which the response's module type
	// must accept. Answers, nil when absent, are the answers of a form
	// response, which the store checks against the form's questions.
	Fields  ResultFields
	Answers []Answer
}

// ResultOutcome is the response after a result, and the transition that an
// automation rule of its stage made, nil when no rule fired.
type ResultOutcome struct {
	Response Response
	Fired    *Transition
}

// StageReport is one response with the track and stage it belongs to, as
// the stage-wise report and the response endpoint show it.
type StageReport struct {
	TrackID  int64
	Stage    StageRef
	Response Response
}

// Applicant is one application as the applicant endpoints show it.
type Applicant struct {
	ApplicationID         int64             `json:"application_id"`
	CandidateID           int64             `json:"candidate_id"`
	Name                  string            `json:"name"`
	Email                 string            `json:"email"`
	Status                ApplicationStatus `json:"status"`
	StageStatus           string            `json:"stage_status"`
	TrackInvitationStatus InviteStatus      `json:"track_invitation_status"`
	Score                 *float64          `json:"score"`
	DateAdded             time.Time         `json:"date_added"`
	LastUpdatedAt         time.Time         `json:"last_updated_at"`
}

// ApplicantDetail is everything the applicant detail endpoint returns.
type ApplicantDetail struct {
	TrackID      int64
	TrackTitle   string
	Applicant    Applicant
	CurrentStage StageRef
	Stages       []Stage
	Responses    []Response
	Timeline     []Event

	// Report has one entry for each stage with a module that the
	// application entered, in track order. SubmittedResponse holds the
	// answers of the completed first-stage form, empty when there is none.
	Report            []StageReport
	SubmittedResponse []Answer
}

// ApplicantSortKey is a field that the applicant list can be sorted by.
type ApplicantSortKey string

// The sort keys of the applicant list. SortName compares lower-cased names
// by code point, and SortScore puts applicants without a score last in both
// directions.
const (
	SortDateAdded     ApplicantSortKey = "date_added"
	SortLastUpdatedAt ApplicantSortKey = "last_updated_at"
	SortName          ApplicantSortKey = "name"
	SortScore         ApplicantSortKey = "score"
)

// ApplicantSortKeys lists the sort keys in the order error messages name them.
var ApplicantSortKeys = []ApplicantSortKey{SortDateAdded, SortLastUpdatedAt, SortName, SortScore}

// ApplicantQuery selects, orders and pages a track's applicants. A filter
// field left empty or zero matches every applicant.
type ApplicantQuery struct {
	TrackID int64

	// Name and Email match case-insensitive substrings of the candidate's
	// name and email.
	Name  string
	Email string

	StageID string
	Status  ApplicationStatus

	// InviteStatus matches the status of the latest response in the
	// application's current stage, with expiry applied at the time of the
	// read. Applications in a terminal stage have no such response and never match.
	InviteStatus InviteStatus

	// UpdatedSince keeps applications whose LastUpdatedAt is at or after it.
	UpdatedSince time.Time

	Sort       ApplicantSortKey
	Descending bool

	// PerPage is the page size, at least 1. When After is not empty, the page
	// starts after the applicant that the cursor After names, and Page is
	// ignored. Otherwise Page, counted from 1, selects the page by offset.
	PerPage int
	Page    int64
	After   string
}

// ApplicantRow is one applicant of the applicant list: the summary that the
// applicant detail shows, and the current stage.
type ApplicantRow struct {
	Applicant
	CurrentStage StageRef `json:"current_stage"`
}

// ApplicantPage is one page of the applicant list.
type ApplicantPage struct {
	Rows []ApplicantRow

	// Total is the number of applicants that match the filters, on all pages.
	Total int64

	// Next is an opaque cursor for ApplicantQuery.After that continues after
	// the last row, or empty when no applicant follows.
	Next string
}

// Answer is one answered form question.
type Answer struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// InvitePage is the content of the candidate page for one invite link.
type InvitePage struct {
	ResponseID    int64
	ApplicationID int64
	CandidateName string
	TrackTitle    string
	Stage         StageRef
	Module        Module
	InviteStatus  InviteStatus
	StartsAt      *time.Time
	ExpiresAt     time.Time
}

// InviteEmail is the data the mail worker needs to send one invite.
type InviteEmail struct {
	ResponseID    int64
	ApplicationID int64
	CandidateName string
	Email         string
	TrackTitle    string
	StageName     string
	TokenSealed   []byte
	StartsAt      *time.Time
	ExpiresAt     time.Time
}

// RejectionEmail is the data the mail worker needs to send one rejection. Status
// is the application's status when the worker loads it, so that the worker
// can skip a rejection that was undone before the email went out.
type RejectionEmail struct {
	ApplicationID int64
	CandidateName string
	Email         string
	TrackTitle    string
	Status        ApplicationStatus
}

// EmailKind is the kind of a queued email.
type EmailKind string

// The email kinds.
const (
	EmailInvite    EmailKind = "invite"
	EmailRejection EmailKind = "rejection"
)

// EmailJob is a queued email. Stores insert it in the same transaction as the
// change that causes it, so a rolled-back change never sends mail. An invite
// names its response; a rejection has no response and carries its text.
type EmailJob struct {
	Kind          EmailKind
	ResponseID    int64
	ApplicationID int64
	Message       string
}

// IdempotencyClaim names one idempotency key of a company and the request
// that sends it. RequestHash is the hex SHA-256 of the request's method,
// path and body, which distinguishes a retry from another request under the same key.
type IdempotencyClaim struct {
	CompanyID   int64
	Key         string
	RequestHash string
}

// IdempotencyRecord is the outcome of a claim. When Replay is nil, the claim
// reserved the key and ClaimedAt identifies that reservation to
// CompleteIdempotencyKey and ReleaseIdempotencyKey. Otherwise Replay is the
// response stored by the earlier request with the same key and hash.
type IdempotencyRecord struct {
	ClaimedAt time.Time
	Replay    *IdempotentResponse

	// TookOver is set when the claim replaced an in-progress reservation
	// that its request abandoned, by crashing or by running too long.
	TookOver bool
}

// IdempotentResponse is the HTTP response kept for replay under an
// idempotency key. The store keeps Body as given.
type IdempotentResponse struct {
	StatusCode  int
	ContentType string
	Body        []byte
}

// Store is the persistence behind the API. Every method that takes a
// company id, directly or in a Principal, reads only that company's records
// and returns KindNotFound for the records of others. Methods that change
// state do so in one transaction, so on any error nothing is written.
type Store interface {
	PrivacyStore

	// CreateAPIKey creates the company if it does not exist and stores a key
	// for it. Called by the operator command line. A key without Scopes gets
	// all of AllScopes, as every key had before scopes existed.
	CreateAPIKey(ctx context.Context, companyName string, key NewKey) (Principal, error)

	// AddAPIKey stores a new key of a company. key.Scopes must not be empty.
	AddAPIKey(ctx context.Context, companyID int64, key NewKey) (APIKey, error)

	// APIKeys returns all keys of the company, revoked ones included, oldest first.
	APIKeys(ctx context.Context, companyID int64) ([]APIKey, error)

	// RevokeAPIKey revokes a key of the company and returns it. Revoking a
	// revoked key keeps its first revoked_at. KindNotFound when the company
	// has no such key.
	RevokeAPIKey(ctx context.Context, companyID, keyID int64) (APIKey, error)

	// CompanyID returns the id of the company with this name. KindNotFound
	// when there is none. Called by the operator command line.
	CompanyID(ctx context.Context, name string) (int64, error)

	// Authenticate returns the principal of a key hash. KindUnauthorized for
	// an unknown or revoked key.
	Authenticate(ctx context.Context, hash SecretHash) (Principal, error)

	// CreateModule stores a module. Validation of its fields is the caller's.
	CreateModule(ctx context.Context, companyID int64, m Module) (Module, error)

	// Module returns one module. KindNotFound when it does not exist.
	Module(ctx context.Context, companyID, moduleID int64) (Module, error)

	// Modules returns all modules of the company, oldest first.
	Modules(ctx context.Context, companyID int64) ([]Module, error)

	// CreateTrack stores a track with its regular stages and the two terminal
	// stages. KindNotFound for an unknown module, KindUnprocessable when a
	// stage type does not match its module's type.
	CreateTrack(ctx context.Context, companyID int64, title string, stages []StageInput) (Track, error)

	// Track returns one track with its stages. KindNotFound when it does not exist.
	Track(ctx context.Context, companyID, trackID int64) (Track, error)

	// Tracks returns all tracks of the company, oldest first.
	Tracks(ctx context.Context, companyID int64) ([]Track, error)

	// Invite creates the candidate and application, or finds them and gives
	// the track invitation a fresh token. KindNotFound for an unknown track.
	Invite(ctx context.Context, p InviteParams) (Invitation, error)

	// Transition moves an application as p.Kind specifies, creating the
	// destination's response when it has a module, expiring the open
	// responses of the stage it leaves, and writing the timeline.
	// KindNotFound for an unknown track, application or destination stage;
	// KindConflict with code application_closed, stage_mismatch,
	// invitation_pending, no_next_stage, not_rejected or same_stage.
	Transition(ctx context.Context, p TransitionParams) (Transition, error)

	// ImportApplication creates a candidate and an application whose track
	// invitation is completed with the given form answers. KindNotFound for
	// an unknown track; KindConflict with code already_applied (and the
	// existing application_id in Extra); KindInvalid naming a field that is
	// not a question of the first stage's form or a missing required answer.
	ImportApplication(ctx context.Context, p ImportParams) (Transition, error)

	// RecordResult marks a response started or completed, stores its
	// score, data and typed result, and on completion evaluates the
	// automation rules of its stage in the same transaction. Posting the
	// result that completed the response again changes nothing and returns
	// the response as it is. KindNotFound for an unknown response;
	// KindUnprocessable naming a field that the module type does not accept
	// or an answer that does not fit the form; KindConflict with code
	// response_closed when the application left the response's stage, or
	// response_completed when it is completed with another result.
	RecordResult(ctx context.Context, p ResultParams) (ResultOutcome, error)

	// Response returns one response with its track and stage. KindNotFound
	// when the company has no such response.
	Response(ctx context.Context, companyID, responseID int64) (StageReport, error)

	// UpdateStageRules sets or removes the automation rules of a regular
	// stage and returns the stage. KindNotFound for an unknown track or
	// stage; KindUnprocessable for a rule that CheckRule rejects.
	UpdateStageRules(ctx context.Context, companyID, trackID int64, stageID string, u StageRulesUpdate) (Stage, error)

	// Applicant returns one application with its stages, responses and
	// timeline. KindNotFound for an unknown track or application.
	Applicant(ctx context.Context, companyID, trackID, applicationID int64) (ApplicantDetail, error)

	// OpenInvite returns the page of an invite link and records the first
	// opening. KindNotFound for an unknown token; KindGone with code
	// invite_expired, invite_completed or invite_closed for a link that can
	// no longer be used.
	OpenInvite(ctx context.Context, hash SecretHash) (InvitePage, error)

	// StartInvite marks the response of a non-form stage started. Errors as
	// OpenInvite, plus KindConflict for a form stage.
	StartInvite(ctx context.Context, hash SecretHash) (InvitePage, error)

	// SubmitForm stores the answers of a form stage and completes its
	// response; values[i] answers question i. Errors as OpenInvite, plus
	// KindInvalid naming the question for a missing required answer, an
	// answer over 10,000 characters or one outside the options, and
	// KindConflict for a non-form stage. It evaluates the automation rules
	// of the stage in the same transaction.
	SubmitForm(ctx context.Context, hash SecretHash, values []string) (InvitePage, error)

	// InviteEmail returns what the mail worker needs for one response.
	// Called only by the mail worker; KindNotFound when it does not exist.
	InviteEmail(ctx context.Context, responseID int64) (InviteEmail, error)

	// RecordEmailEvent appends an email_sent or email_failed event. The event
	// has the response's stage, or the application's current stage and no
	// response when job.ResponseID is 0. Called only by the mail worker.
	RecordEmailEvent(ctx context.Context, job EmailJob, eventType string, data map[string]any) error

	// Rejection emails.

	// RejectionEmail returns what the mail worker needs for the rejection
	// email of one application. Called only by the mail worker; KindNotFound
	// when the application does not exist.
	RejectionEmail(ctx context.Context, applicationID int64) (RejectionEmail, error)

	// Idempotency keys.

	// ClaimIdempotencyKey reserves c.Key for the request that c describes,
	// or returns the stored response of an earlier request with the same key
	// and hash. A reservation made 24 hours ago or earlier counts as absent,
	// and so does an in-progress one that its request abandoned.
	// KindUnprocessable with code idempotency_key_reused when the key was
	// used for a request with another hash; KindConflict with code
	// idempotency_key_in_progress when the earlier request is still running.
	ClaimIdempotencyKey(ctx context.Context, c IdempotencyClaim) (IdempotencyRecord, error)

	// CompleteIdempotencyKey stores the response of the request that made the
	// reservation claimedAt. It fails when that reservation was released or
	// taken over meanwhile.
	CompleteIdempotencyKey(ctx context.Context, c IdempotencyClaim, claimedAt time.Time, resp IdempotentResponse) error

	// ReleaseIdempotencyKey deletes the reservation claimedAt while it is
	// still in progress, so that a retry can act. It does nothing when the
	// reservation no longer exists.
	ReleaseIdempotencyKey(ctx context.Context, c IdempotencyClaim, claimedAt time.Time) error

	// Applicant list.

	// Applicants returns one page of a track's applicants, filtered and
	// sorted as q specifies, and the number of all that match. KindNotFound for an
	// unknown track; KindInvalid naming stage_id for a stage not in the
	// track, or naming after for a cursor that is malformed or was made for
	// another sort.
	Applicants(ctx context.Context, companyID int64, q ApplicantQuery) (ApplicantPage, error)

	// Invite lifecycle.

	// ReissueInvite renews the expiry of a response's link and, for
	// sendlink, queues the invite email again. KindNotFound for an unknown
	// response; KindConflict with code response_completed or response_closed
	// (its application left the stage); KindRateLimited with code
	// reissue_rate_limited and Extra "retry_after" in seconds.
	ReissueInvite(ctx context.Context, p ReissueParams) (Reissue, error)

	// RevokeInvite makes a response's link unusable at once. Errors as
	// ReissueInvite, without the rate limit.
	RevokeInvite(ctx context.Context, principal Principal, responseID int64) (Response, error)

	// SetOpenLink creates or replaces the open application link of a track.
	// KindNotFound for an unknown track; KindUnprocessable with code
	// first_stage_not_form.
	SetOpenLink(ctx context.Context, p OpenLinkParams) (OpenLink, error)

	// DisableOpenLink disables the open link of a track. KindNotFound for an
	// unknown track or one without an enabled link.
	DisableOpenLink(ctx context.Context, companyID, trackID int64) error

	// OpenApplyPage returns the public page of an open link. KindNotFound
	// for an unknown token; KindGone with code apply_closed,
	// apply_not_started or apply_expired outside the link's window.
	OpenApplyPage(ctx context.Context, hash SecretHash) (ApplyPage, error)

	// Apply creates the candidate and an application whose track invitation
	// is completed with the submitted answers. Errors as OpenApplyPage, plus
	// KindInvalid naming the question and KindConflict with code
	// already_applied.
	Apply(ctx context.Context, p ApplyParams) (Transition, ApplyPage, error)
}
