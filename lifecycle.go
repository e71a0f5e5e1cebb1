package hiretrack

import "time"

// DefaultInviteValidHours is how long an invite link stays usable when its
// stage sets no other lifetime: 168 hours, one week.
const DefaultInviteValidHours = 168

// MaxInviteValidHours bounds a stage's invite_valid_hours: 8,760 hours, one year.
const MaxInviteValidHours = 8760

// LinkWindow bounds an invite link. A nil StartsAt makes the link usable at
// once. A nil ExpiresAt makes it expire the stage's InviteValidHours after
// it opens: after StartsAt when that is later than now, else after now.
type LinkWindow struct {
	StartsAt  *time.Time
	ExpiresAt *time.Time
}

// ReissueParams is a request to send the invite of one response again.
type ReissueParams struct {
	Principal  Principal
	ResponseID int64
	Format     InviteFormat

	// Regenerate replaces a link that is still usable. An expired or
	// revoked link is always replaced.
	Regenerate bool
	Window     LinkWindow

	// Token is the new token, used only when the link is replaced.
	Token NewToken
}

// Reissue is the outcome of a reissue.
type Reissue struct {
	Response Response
	StartsAt *time.Time

	// Regenerated is set when the response got ReissueParams.Token. When it
	// is not set, TokenSealed is the sealed copy of the link that stays valid.
	Regenerated bool
	TokenSealed []byte
	EmailQueued bool
}

// OpenLinkParams sets the open application link of a track.
type OpenLinkParams struct {
	CompanyID int64
	TrackID   int64
	TokenHash SecretHash
	Window    LinkWindow
}

// OpenLink is the stored open application link of a track, without its token.
type OpenLink struct {
	TrackID   int64
	StartsAt  *time.Time
	ExpiresAt *time.Time
	CreatedAt time.Time
}

// ApplyPage is the content of the public page of an open application link.
type ApplyPage struct {
	TrackID    int64
	TrackTitle string
	Stage      StageRef
	Module     Module
}

// ApplyParams is a submission of the public application form.
type ApplyParams struct {
	TokenHash     SecretHash
	CandidateName string
	Email         string
	Values        []string // Values[i] answers question i of the first stage
	Token         NewToken // the token of the completed first-stage response
}

// EventInviteRevoked is the timeline event of a revoked invite link.
const EventInviteRevoked = "invite_revoked"
