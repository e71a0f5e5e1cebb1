package app_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCandidatePageTimes(t *testing.T) {
	t.Parallel()

	t.Run("FormOpenedThenSubmitted", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Tim Times", "tim@example.com", "getlink")
		clock.Advance(time.Minute)
		require.Equal(t, http.StatusOK, e.getPage(inv.InviteLink).Status)
		clock.Advance(time.Minute)
		require.Equal(t, http.StatusOK, e.getPage(inv.InviteLink).Status, "a second visit keeps the first opening")
		clock.Advance(5 * time.Minute)

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"I like the product."}})

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		r := e.applicant(tr.ID, inv.ApplicationID).Responses[0]
		require.Equal(t, "2026-03-02T09:31:00Z", *r.OpenedAt)
		require.Equal(t, "2026-03-02T09:37:00Z", *r.StartedAt)
		require.Equal(t, "2026-03-02T09:37:00Z", *r.CompletedAt)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []string{"invited", "opened", "completed"}, a.eventTypes())
		require.Equal(t, "2026-03-02T09:31:00Z", a.Timeline[1].At)
	})

	t.Run("StartStageOpenedThenStarted", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Sia Start", "sia@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		clock.Advance(time.Hour)
		require.Equal(t, http.StatusOK, e.getPage(adv.InviteLink).Status)
		clock.Advance(10 * time.Minute)

		p := e.postPage(adv.InviteLink+"/start", nil)

		require.Equal(t, http.StatusSeeOther, p.Status, "page: %s", p.HTML)
		r := e.applicant(tr.ID, inv.ApplicationID).Responses[1]
		require.Equal(t, "Started", r.InviteStatus)
		require.Equal(t, "2026-03-02T10:30:00Z", *r.OpenedAt)
		require.Equal(t, "2026-03-02T10:40:00Z", *r.StartedAt)
		require.Nil(t, r.CompletedAt)
	})
}

func TestCandidateFormSavedOnce(t *testing.T) {
	t.Parallel()

	t.Run("SecondSubmit", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sue Second", "sue.second@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		before := e.applicant(tr.ID, inv.ApplicationID)
		clock.Advance(time.Minute)

		var p page
		e.requireNoChange(inv.ApplicationID, func() result {
			p = e.postPage(inv.InviteLink, url.Values{"q1": {"Changed my mind."}, "q2": {"None"}})
			return result{Status: p.Status, Raw: []byte(p.HTML)}
		})

		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Already completed</h1>")
		require.Contains(t, p.HTML, "This step is already completed. If you think this is a mistake, contact the recruiter who invited you.")
		after := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, before.Responses, after.Responses, "the stored answers and times are unchanged")
		require.Equal(t, before.Timeline, after.Timeline)
	})

	t.Run("ConcurrentSubmits", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Cy Concurrent", "cy@example.com", "getlink")

		const submits = 4
		statuses := make([]int, submits)
		var wg sync.WaitGroup
		for i := range submits {
			wg.Go(func() {
				statuses[i] = e.postPage(inv.InviteLink, url.Values{"q1": {"Answer"}}).Status
			})
		}
		wg.Wait()

		saved, alreadyCompleted := 0, 0
		for _, status := range statuses {
			switch status {
			case http.StatusOK:
				saved++
			case http.StatusGone:
				alreadyCompleted++
			}
		}
		require.Equal(t, 1, saved, "statuses %v", statuses)
		require.Equal(t, submits-1, alreadyCompleted, "statuses %v", statuses)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []string{"invited", "completed"}, a.eventTypes())
	})
}
