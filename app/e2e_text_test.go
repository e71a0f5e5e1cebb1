package app_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTextFieldsRejectControlCharacters checks that names and titles that
// later appear in emails and candidate pages carry no control characters
// and are valid UTF-8.
func TestTextFieldsRejectControlCharacters(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")

	cases := []struct {
		name string
		body string
	}{
		{"NulInName", `"R\u0000x"`},
		{"EscapeInName", `"Ann\u001b[31m"`},
		{"InvalidUTF8InName", "\"Ann\xff\xfe\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"track_id": %d, "candidate_name": %s, "candidate_email": "ann@example.com", "invite_format": "getlink"}`,
				tr.ID, c.body)

			r := e.do(http.MethodPost, "/tracks/invite", body)

			requireError(t, r, http.StatusBadRequest, "invalid_field", "candidate_name")
			require.Contains(t, r.Body["error"].(map[string]any)["message"], "without control characters")
		})
	}

	t.Run("LineBreaksInRejectionMessage", func(t *testing.T) {
		inv := e.invite(tr.ID, "Lena Lines", "lena@example.com", "getlink")
		body := map[string]any{"send_email": true, "email_message": "Thank you.\n\nWe chose another candidate.\tRegards"}

		r := e.do(http.MethodPatch, fmt.Sprintf("/tracks/%d/applicants/%d/reject", tr.ID, inv.ApplicationID), body)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, true, r.Body["email_sent"])
	})
}
