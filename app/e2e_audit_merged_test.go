package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The write routes of stage rules, invite links, open links and webhooks
// each record one audit event with their ids, and no event keeps a
// webhook's signing secret from the bodies of create and rotate.
func TestAuditLogMergedRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(3)})
	rc := newReceiver(t)
	tr := e.newTrack("Site Reliability Engineer")

	type step struct {
		action string
		r      result
		ids    map[string]int64
		detail map[string]any
	}
	var steps []step
	do := func(action, method, path string, body any) result {
		t.Helper()
		r := e.do(method, path, body)
		require.Less(t, r.Status, 300, "%s %s: %s", method, path, r.Raw)
		steps = append(steps, step{action: action, r: r})
		return r
	}
	idOf := func(r result, field string) int64 { return int64(r.Body[field].(float64)) }

	created := do("webhook.create", "POST", "/webhooks", map[string]any{"url": rc.srv.URL + "/hooks",
		"events": []string{"application.invited"}})
	hook := idOf(created, "webhook_id")
	steps[0].ids = map[string]int64{"webhook_id": hook}

	stagePath := fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, tr.Stages[1].ID)
	do("stage.update_rules", "PATCH", stagePath, map[string]any{"auto_advance": nil})
	steps[1].ids = map[string]int64{"track_id": tr.ID, "module_id": *tr.Stages[1].ModuleID}
	steps[1].detail = map[string]any{"stage_id": tr.Stages[1].ID}

	inv := e.invite(tr.ID, "Audra Auditson", "audra@example.com", "getlink")
	// A response's body names its application and its stage's module.
	invIDs := map[string]int64{"response_id": inv.ResponseID, "application_id": inv.ApplicationID,
		"module_id": *tr.Stages[0].ModuleID}
	do("response.reissue_invite", "POST", fmt.Sprintf("/responses/%d/invite", inv.ResponseID),
		map[string]any{"invite_format": "getlink", "regenerate": true})
	steps[2].ids = invIDs
	do("response.revoke_invite", "POST", fmt.Sprintf("/responses/%d/invite/revoke", inv.ResponseID), nil)
	steps[3].ids = invIDs

	do("open_link.set", "POST", fmt.Sprintf("/tracks/%d/open-link", tr.ID), map[string]any{})
	steps[4].ids = map[string]int64{"track_id": tr.ID}
	do("open_link.disable", "DELETE", fmt.Sprintf("/tracks/%d/open-link", tr.ID), nil)
	steps[5].ids = map[string]int64{"track_id": tr.ID}

	rc.waitFor(1)
	first := e.deliveries(hook)[0].ID
	do("webhook.redeliver", "POST", fmt.Sprintf("/webhooks/%d/deliveries/%d/redeliver", hook, first), nil)
	// The path's delivery is the one recorded, and the body names its application.
	steps[6].ids = map[string]int64{"webhook_id": hook, "delivery_id": first, "application_id": inv.ApplicationID}
	test := do("webhook.test", "POST", fmt.Sprintf("/webhooks/%d/test", hook), nil)
	steps[7].ids = map[string]int64{"webhook_id": hook, "delivery_id": idOf(test, "delivery_id")}
	do("webhook.update", "PATCH", fmt.Sprintf("/webhooks/%d", hook), map[string]any{"description": "Nightly sync"})
	steps[8].ids = map[string]int64{"webhook_id": hook}
	rotated := do("webhook.rotate_secret", "POST", fmt.Sprintf("/webhooks/%d/rotate-secret", hook), nil)
	steps[9].ids = map[string]int64{"webhook_id": hook}
	do("webhook.delete", "DELETE", fmt.Sprintf("/webhooks/%d", hook), nil)
	steps[10].ids = map[string]int64{"webhook_id": hook}

	t.Run("OneEventPerWrite", func(t *testing.T) {
		var got []auditEvent
		for _, ev := range e.readAudit("/audit?per_page=200").Data {
			if ev.Action != "application.invite" && ev.Action != "track.create" && ev.Action != "module.create" {
				got = append(got, ev)
			}
		}
		require.Len(t, got, len(steps))
		for i, s := range steps {
			require.Equal(t, s.action, got[i].Action, "event %d", i)
			require.Equal(t, s.r.Status, got[i].Status, "event %d", i)
			require.Equal(t, s.ids, got[i].IDs, "event %d: %s", i, s.action)
			require.Equal(t, s.detail, got[i].Detail, "event %d: %s", i, s.action)
			require.Equal(t, s.r.Header.Get("X-Request-Id"), got[i].RequestID, "event %d", i)
		}
	})

	t.Run("NoSecretStored", func(t *testing.T) {
		secrets := []string{created.Body["secret"].(string), rotated.Body["secret"].(string)}
		require.True(t, strings.HasPrefix(secrets[0], "whsec_"), "secret: %s", secrets[0])
		db := e.openDB()
		defer db.Close()
		rows, err := db.Query("SELECT action, ids, detail FROM audit_events ORDER BY id")
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var action string
			var ids, detail *string
			require.NoError(t, rows.Scan(&action, &ids, &detail))
			text := fmt.Sprint(action, deref(ids), deref(detail))
			for _, secret := range secrets {
				require.NotContains(t, text, secret)
			}
			require.NotContains(t, text, "whsec_")
			n++
		}
		require.NoError(t, rows.Err())
		require.Equal(t, len(steps)+5, n, "the steps, three modules, the track and the invite")
	})
}

// deref returns the text of a nullable column, or "".
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
