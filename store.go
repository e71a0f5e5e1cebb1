package hiretrack

import (
	"context"
	"encoding/json"
	"time"
)

// Principal is who a request acts for: one company, through one API key.
type Principal struct {
	CompanyID int64
	KeyID     int64
	KeyPrefix string // first characters of the key, safe to log and show
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

// NewKey is an API key as the store keeps it.
type NewKey struct {
	Prefix string
	Hash   SecretHash
}

// StageInput is one regular stage of a track to create.
type StageInput struct {
	Name     string
	Type     StageType
	ModuleID int64
}

// InviteParams is a request to invite a candidate to a track.
type InviteParams struct {
	Principal     Principal
	TrackID       int64
	CandidateName string
	Email         string
	Format        InviteFormat
	Token         NewToken
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
	ExpiresAt     time.Time
	Created       bool
	EmailQueued   bool
}

// AdvanceParams is a request to move an application to the next stage.
type AdvanceParams struct {
	Principal     Principal
	TrackID       int64
	ApplicationID int64
	Format        InviteFormat
	SourceStageID string // empty when the client did not send one
	Token         NewToken
}

// Advancement is the outcome of an advance.
type Advancement struct {
	ApplicationID int64
	CandidateID   int64
	TrackID       int64
	Name          string
	Email         string
	Stage         Stage
	ResponseID    int64
	ExpiresAt     time.Time
	EmailQueued   bool
}

// ResultParams is a progress or result report for one response.
type ResultParams struct {
	Principal  Principal
	ResponseID int64
	Status     InviteStatus // InviteStarted or InviteCompleted
	Score      *float64
	Data       json.RawMessage
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
}

// Answer is one answered form question.
type Answer struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// InvitePage is what the candidate page shows for one invite link.
type InvitePage struct {
	ResponseID    int64
	ApplicationID int64
	CandidateName string
	TrackTitle    string
	Stage         StageRef
	Module        Module
	InviteStatus  InviteStatus
	ExpiresAt     time.Time
}

// InviteEmail is what the mail worker needs to send one invite.
type InviteEmail struct {
	ResponseID    int64
	ApplicationID int64
	CandidateName string
	Email         string
	TrackTitle    string
	StageName     string
	TokenSealed   []byte
	ExpiresAt     time.Time
}

// EmailJob is a queued email. Stores insert it in the same transaction as the
// change that causes it, so a rolled-back change never sends mail.
type EmailJob struct {
	ResponseID    int64
	ApplicationID int64
}

// Store is the persistence behind the API. Every method that takes a
// company id, directly or in a Principal, sees only that company's records
// and answers KindNotFound for the records of others. Methods that change
// state do so in one transaction: on any error nothing is written.
type Store interface {
	// CreateAPIKey creates the company if it does not exist and stores a key
	// for it. Called by the operator command line.
	CreateAPIKey(ctx context.Context, companyName string, key NewKey) (Principal, error)

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

	// Advance moves an application to its next regular stage and creates the
	// stage's response. KindNotFound for an unknown track or application;
	// KindConflict with code application_closed, stage_mismatch,
	// invitation_pending or no_next_stage.
	Advance(ctx context.Context, p AdvanceParams) (Advancement, error)

	// RecordResult marks a response started or completed and stores its
	// score and data. KindNotFound for an unknown response; KindConflict
	// with code response_completed when it is already completed.
	RecordResult(ctx context.Context, p ResultParams) (Response, error)

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
	// KindConflict for a non-form stage.
	SubmitForm(ctx context.Context, hash SecretHash, values []string) (InvitePage, error)

	// InviteEmail returns what the mail worker needs for one response.
	// Called only by the mail worker; KindNotFound when it does not exist.
	InviteEmail(ctx context.Context, responseID int64) (InviteEmail, error)

	// RecordEmailEvent appends an email_sent or email_failed event.
	// Called only by the mail worker.
	RecordEmailEvent(ctx context.Context, job EmailJob, eventType string, data map[string]any) error
}
