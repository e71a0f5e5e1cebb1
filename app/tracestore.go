package app

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hiretrack/hiretrack"
)

// tracedStore adds a span to the store calls that do the work of the API
// requests. It embeds the store, so that methods it does not wrap, such as
// those added later, pass through untraced rather than break the build.
type tracedStore struct {
	hiretrack.Store
	tracer trace.Tracer
}

// traced runs call in a child span named store.<name>. A coded error
// marks the span failed only when it is internal: a not_found or a
// conflict is the API working as documented.
func traced[T any](ctx context.Context, s tracedStore, name string, call func(context.Context) (T, error)) (T, error) {
	ctx, span := s.tracer.Start(ctx, "store."+name)
	defer span.End()

	v, err := call(ctx)
	var coded *hiretrack.Error
	switch {
	case errors.As(err, &coded):
		span.SetAttributes(attribute.String("hiretrack.error_code", coded.Code))
		if coded.Kind == hiretrack.KindInternal {
			span.SetStatus(codes.Error, coded.Code)
		}
	case err != nil:
		span.SetStatus(codes.Error, "error")
	}
	return v, err
}

func (s tracedStore) Authenticate(ctx context.Context, hash hiretrack.SecretHash) (hiretrack.Principal, error) {
	return traced(ctx, s, "Authenticate", func(ctx context.Context) (hiretrack.Principal, error) {
		return s.Store.Authenticate(ctx, hash)
	})
}

func (s tracedStore) Tracks(ctx context.Context, companyID int64) ([]hiretrack.Track, error) {
	return traced(ctx, s, "Tracks", func(ctx context.Context) ([]hiretrack.Track, error) {
		return s.Store.Tracks(ctx, companyID)
	})
}

func (s tracedStore) Invite(ctx context.Context, p hiretrack.InviteParams) (hiretrack.Invitation, error) {
	return traced(ctx, s, "Invite", func(ctx context.Context) (hiretrack.Invitation, error) {
		return s.Store.Invite(ctx, p)
	})
}

func (s tracedStore) Transition(ctx context.Context, p hiretrack.TransitionParams) (hiretrack.Transition, error) {
	return traced(ctx, s, "Transition", func(ctx context.Context) (hiretrack.Transition, error) {
		return s.Store.Transition(ctx, p)
	})
}

func (s tracedStore) ImportApplication(ctx context.Context, p hiretrack.ImportParams) (hiretrack.Transition, error) {
	return traced(ctx, s, "ImportApplication", func(ctx context.Context) (hiretrack.Transition, error) {
		return s.Store.ImportApplication(ctx, p)
	})
}

func (s tracedStore) RecordResult(ctx context.Context, p hiretrack.ResultParams) (hiretrack.ResultOutcome, error) {
	return traced(ctx, s, "RecordResult", func(ctx context.Context) (hiretrack.ResultOutcome, error) {
		return s.Store.RecordResult(ctx, p)
	})
}

func (s tracedStore) Applicant(ctx context.Context, companyID, trackID, applicationID int64) (hiretrack.ApplicantDetail, error) {
	return traced(ctx, s, "Applicant", func(ctx context.Context) (hiretrack.ApplicantDetail, error) {
		return s.Store.Applicant(ctx, companyID, trackID, applicationID)
	})
}

func (s tracedStore) Applicants(ctx context.Context, companyID int64, q hiretrack.ApplicantQuery) (hiretrack.ApplicantPage, error) {
	return traced(ctx, s, "Applicants", func(ctx context.Context) (hiretrack.ApplicantPage, error) {
		return s.Store.Applicants(ctx, companyID, q)
	})
}

func (s tracedStore) ClaimIdempotencyKey(ctx context.Context, c hiretrack.IdempotencyClaim) (hiretrack.IdempotencyRecord, error) {
	return traced(ctx, s, "ClaimIdempotencyKey", func(ctx context.Context) (hiretrack.IdempotencyRecord, error) {
		return s.Store.ClaimIdempotencyKey(ctx, c)
	})
}

func (s tracedStore) CompleteIdempotencyKey(ctx context.Context, c hiretrack.IdempotencyClaim, claimedAt time.Time, resp hiretrack.IdempotentResponse) error {
	_, err := traced(ctx, s, "CompleteIdempotencyKey", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Store.CompleteIdempotencyKey(ctx, c, claimedAt, resp)
	})
	return err
}
