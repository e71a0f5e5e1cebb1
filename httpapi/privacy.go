package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
)

// erasedReplayBody is the marker that an erasure stores in place of a
// response under an Idempotency-Key that named the erased candidate. A
// retry with the key gets erasedReplayError instead.
const erasedReplayBody = `{"error":{"code":"candidate_erased","message":"the response stored under this ` +
	`Idempotency-Key named a candidate whose personal data was erased; the request was not run again"}}` + "\n"

// erasedReplayError is the error of a retry whose stored response was
// replaced by erasedReplayBody.
func erasedReplayError() error {
	return hiretrack.Errorf(hiretrack.KindGone, "candidate_erased",
		"the response stored under this Idempotency-Key named a candidate whose personal data was erased; the request was not run again")
}

func (s *Server) eraseCandidate(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	candidateID, err := pathID(r, "candidate_id")
	if err != nil {
		return err
	}

	erasure, err := s.store.EraseCandidate(r.Context(), hiretrack.EraseParams{
		Principal: p, CandidateID: candidateID, Route: r.Pattern, RequestID: infoFrom(r.Context()).id,
		ScrubReplay: s.scrubReplay,
	})
	if err != nil {
		return err
	}
	if s.afterErase != nil {
		s.afterErase(r.Context(), erasure)
	}

	s.logger.InfoContext(r.Context(), "candidate erased", "candidate_id", candidateID,
		"applications", len(erasure.ApplicationIDs), "already_erased", erasure.AlreadyErased,
		"company_id", p.CompanyID, "key_prefix", p.KeyPrefix)
	writeJSON(w, http.StatusOK, erasure)
	return nil
}

// scrubReplay replaces a stored idempotent response that contains one of
// values, compared case-insensitively as they appear in JSON, with a 410
// response of code candidate_erased.
func (s *Server) scrubReplay(resp hiretrack.IdempotentResponse, values []string) (hiretrack.IdempotentResponse, bool, error) {
	body, err := s.sealer.Open(resp.Body)
	if err != nil {
		// A body that the server key cannot open cannot be replayed or read
		// either, so it must not stop the erasure.
		s.logger.Warn("an idempotent response could not be opened during an erasure", "error", err)
		return resp, false, nil
	}
	if !containsAny(strings.ToLower(body), values) {
		return resp, false, nil
	}

	sealed, err := s.sealer.Seal(erasedReplayBody)
	if err != nil {
		return resp, false, hiretrack.Internal("seal an erased idempotent response", err)
	}
	return hiretrack.IdempotentResponse{StatusCode: http.StatusGone, ContentType: "application/json", Body: sealed}, true, nil
}

// containsAny reports whether the lower-case JSON text has a string equal
// to a non-empty value, ignoring case, as written or as a JSON encoder
// escapes it. Whole strings are compared, because a short name such as "Ed"
// is part of many words, such as "completed", in unrelated responses.
func containsAny(text string, values []string) bool {
	for _, v := range values {
		if v == "" {
			continue
		}
		v = strings.ToLower(v)
		encoded, _ := json.Marshal(v)
		if strings.Contains(text, `"`+v+`"`) || strings.Contains(text, string(encoded)) {
			return true
		}
	}
	return false
}

func (s *Server) exportCandidate(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	candidateID, err := pathID(r, "candidate_id")
	if err != nil {
		return err
	}
	export, err := s.store.ExportCandidate(r.Context(), p.CompanyID, candidateID)
	if err != nil {
		return err
	}

	apps := make([]map[string]any, len(export.Applications))
	for i, d := range export.Applications {
		apps[i] = applicantJSON(d)
	}
	if export.Events == nil {
		export.Events = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"candidate": export.Candidate, "applications": apps, "emails": export.Emails, "events": export.Events,
		"exported_at": s.now().UTC().Truncate(time.Microsecond),
	})
	return nil
}
