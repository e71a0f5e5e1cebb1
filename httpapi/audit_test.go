package httpapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A new write route must name its audit action, or say that its store
// method records one, so that no write goes unlisted in the audit log.
func TestAuditActionsCoverWriteRoutes(t *testing.T) {
	apiRoutes := map[string]bool{}
	for _, route := range Routes() {
		apiRoutes[route.Pattern] = route.APIKey
		if !route.APIKey || !isAuditedRoute(route.Pattern) {
			continue
		}
		_, ok := auditActions[route.Pattern]
		require.True(t, ok, "the write route %q has no entry in auditActions", route.Pattern)
	}
	for pattern := range auditActions {
		require.True(t, apiRoutes[pattern], "auditActions names %q, which is no API route", pattern)
	}
}

func TestRequiredScopeOfPrivacyRoutes(t *testing.T) {
	for pattern, want := range map[string]string{
		"DELETE /candidates/{candidate_id}":             "admin",
		"GET /candidates/{candidate_id}/export":         "admin",
		"GET /audit":                                    "admin",
		"GET /tracks/{track_id}":                        "read",
		"PUT /tracks/candidate/advance":                 "write",
		"PATCH /tracks/candidate/reject/{candidate_id}": "write",
	} {
		require.Equal(t, want, string(requiredScope(pattern)), pattern)
	}
}
