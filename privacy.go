package hiretrack

import (
	"context"
	"encoding/json"
	"time"
)

// ErasedName is the name that an erased candidate keeps. Its email becomes
// empty, so a later invite with the old address creates a new candidate.
const ErasedName = "erased"

// AuditEvent is one entry of a company's audit log: who did what, when,
// and to which records. It holds ids and never personal data.
type AuditEvent struct {
	ID        int64            `json:"audit_id"`
	CompanyID int64            `json:"-"`
	KeyID     *int64           `json:"key_id"`     // nil for the command line
	KeyPrefix string           `json:"key_prefix"` // empty for the command line
	Actor     string           `json:"actor"`      // "key:<prefix>" or "cli"
	Action    string           `json:"action"`     // such as "track.create"
	Route     string           `json:"route"`      // the API route pattern, empty for the command line
	Status    int              `json:"status"`     // the HTTP status, 0 for the command line
	IDs       map[string]int64 `json:"ids"`        // such as {"track_id": 1}
	Detail    map[string]any   `json:"detail,omitempty"`
	RequestID string           `json:"request_id"`
	At        time.Time        `json:"at"`
}

// ActorCLI is the actor of audit events written by the operator command line.
const ActorCLI = "cli"

// AuditQuery selects a page of the audit log, oldest first. A filter left
// empty or zero matches every event.
type AuditQuery struct {
	Action string
	Since  time.Time // events at or after Since
	After  int64     // the page starts after the event with this id
	Limit  int       // page size, at least 1
}

// AuditPage is one page of the audit log. Next is the id to pass as
// AuditQuery.After for the following page, or 0 when no event follows.
type AuditPage struct {
	Events []AuditEvent
	Next   int64
}

// EraseParams is a request to erase a candidate's personal data.
type EraseParams struct {
	Principal   Principal
	CandidateID int64
	Route       string
	RequestID   string

	// ScrubReplay rewrites a response stored under an idempotency key of
	// the company when it contains one of values (the candidate's name and
	// email), so that a retry cannot show them again. It returns false
	// when the response does not contain them. The HTTP layer supplies it,
	// because only it can open the sealed bodies.
	ScrubReplay func(resp IdempotentResponse, values []string) (IdempotentResponse, bool, error)
}

// Erasure is the outcome of an erasure.
type Erasure struct {
	CandidateID    int64     `json:"candidate_id"`
	ApplicationIDs []int64   `json:"application_ids"`
	ErasedAt       time.Time `json:"erased_at"`

	// ResponseIDs are the responses of those applications, so that copies
	// outside the database, such as written emails, can be found.
	ResponseIDs []int64 `json:"-"`

	// AlreadyErased is set when an earlier request erased the candidate;
	// nothing was changed then.
	AlreadyErased bool `json:"already_erased"`
}

// CandidateRecord is a candidate as the export shows it.
type CandidateRecord struct {
	ID        int64      `json:"candidate_id"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	CreatedAt time.Time  `json:"created_at"`
	ErasedAt  *time.Time `json:"erased_at"`
}

// QueuedEmail is an email job of the candidate's applications that the
// job queue still holds, with its arguments as stored.
type QueuedEmail struct {
	JobID   int64           `json:"job_id"`
	Kind    string          `json:"kind"`
	State   string          `json:"state"`
	Attempt int             `json:"attempt"`
	Args    json.RawMessage `json:"args"`
}

// CandidateExport is everything stored about one candidate.
type CandidateExport struct {
	Candidate    CandidateRecord
	Applications []ApplicantDetail
	Emails       []QueuedEmail
	Events       []json.RawMessage // feed and webhook payloads, oldest first
}

// PrivacyStore holds the audit log, erasure and export. Store embeds it.
type PrivacyStore interface {
	// RecordAudit appends an event to the company's audit log.
	RecordAudit(ctx context.Context, e AuditEvent) error

	// AuditEvents returns one page of the company's audit log, oldest first.
	AuditEvents(ctx context.Context, companyID int64, q AuditQuery) (AuditPage, error)

	// EraseCandidate replaces the candidate's name with ErasedName and
	// empties its email, deletes the answers, scores and result data of all
	// its responses, invalidates their links, strips personal values from
	// its timeline events, reduces its feed and webhook payloads to ids,
	// deletes its email jobs that are not running and
	// scrubs stored idempotent responses, and records a candidate.erase
	// audit event, all in one transaction. Erasing an erased candidate
	// changes nothing and returns AlreadyErased. KindNotFound for an
	// unknown candidate.
	EraseCandidate(ctx context.Context, p EraseParams) (Erasure, error)

	// ExportCandidate returns everything stored about a candidate.
	// KindNotFound for an unknown candidate.
	ExportCandidate(ctx context.Context, companyID, candidateID int64) (CandidateExport, error)
}
