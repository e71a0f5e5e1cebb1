package app_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// benchStages is the number of regular stages of the benchmark track, so
// each seeded application can be advanced benchStages-1 times.
const benchStages = 6

// benchTrack is a seeded track whose applications have completed their
// track invitation and can be advanced at once.
type benchTrack struct {
	principal    hiretrack.Principal
	trackID      int64
	applications []int64
}

// seedAdvanceable creates a track of benchStages stages and enough
// applications with completed invitations for n advances.
func seedAdvanceable(b *testing.B, e *env, n int) benchTrack {
	b.Helper()
	ctx := context.Background()
	store := e.srv.Store()
	p, err := store.Authenticate(ctx, secret.Hash(e.key))
	require.NoError(b, err)

	form, err := store.CreateModule(ctx, p.CompanyID, hiretrack.Module{
		Type: hiretrack.ModuleForm, Name: "Apply",
		Questions: []hiretrack.Question{{Label: "Why?", Kind: hiretrack.QuestionText}},
	})
	require.NoError(b, err)
	test, err := store.CreateModule(ctx, p.CompanyID, hiretrack.Module{Type: hiretrack.ModuleAssessment, Name: "Test"})
	require.NoError(b, err)

	stages := []hiretrack.StageInput{{Name: "Apply", Type: hiretrack.StageType(form.Type), ModuleID: form.ID}}
	for i := 2; i <= benchStages; i++ {
		stages = append(stages, hiretrack.StageInput{Name: fmt.Sprintf("Test %d", i), Type: hiretrack.StageType(test.Type), ModuleID: test.ID})
	}
	track, err := store.CreateTrack(ctx, p.CompanyID, "Benchmark", stages)
	require.NoError(b, err)

	key, _, err := secret.LoadOrCreateKey(filepath.Join(b.TempDir(), "secret.key"))
	require.NoError(b, err)
	sealer, err := secret.NewSealer(key)
	require.NoError(b, err)

	bt := benchTrack{principal: p, trackID: track.ID}
	apps := (n + benchStages - 2) / (benchStages - 1)
	for i := 0; i < apps; i++ {
		token, stored, err := sealer.NewInviteToken()
		require.NoError(b, err)
		inv, err := store.Invite(ctx, hiretrack.InviteParams{
			Principal: p, TrackID: track.ID, CandidateName: "Bench", Email: fmt.Sprintf("bench%d@example.com", i),
			Format: hiretrack.InviteGetLink, Token: stored,
		})
		require.NoError(b, err)
		_, err = store.SubmitForm(ctx, secret.Hash(token), []string{"benchmark"})
		require.NoError(b, err)
		bt.applications = append(bt.applications, inv.ApplicationID)
	}
	return bt
}

// BenchmarkAdvanceHTTP measures PUT /tracks/candidate/advance with getlink
// over loopback HTTP, one client at a time and with parallel clients.
func BenchmarkAdvanceHTTP(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			e := setup(b, options{})
			bt := seedAdvanceable(b, e, b.N)
			e.client.Transport = &http.Transport{MaxIdleConnsPerHost: clients}
			var next atomic.Int64

			b.SetParallelism(clients)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := next.Add(1) - 1
					app := bt.applications[k%int64(len(bt.applications))]
					body := fmt.Sprintf(`{"track_id":%d,"application_id":%d,"invite_format":"getlink"}`, bt.trackID, app)
					req, _ := http.NewRequest(http.MethodPut, e.srv.URL()+"/tracks/candidate/advance", strings.NewReader(body))
					req.Header.Set("apiKey", e.key)
					if r := e.send(req); r.Status != http.StatusOK {
						b.Fatalf("advance returned %d: %s", r.Status, r.Raw)
					}
				}
			})
		})
	}
}

// BenchmarkAdvanceStore measures the same advance transaction called in
// process, without HTTP and JSON, to show what the transport costs.
func BenchmarkAdvanceStore(b *testing.B) {
	e := setup(b, options{})
	bt := seedAdvanceable(b, e, b.N)
	store := e.srv.Store()
	ctx := context.Background()

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		app := bt.applications[i%len(bt.applications)]
		_, err := store.Transition(ctx, hiretrack.TransitionParams{
			Principal: bt.principal, Kind: hiretrack.TransitionAdvance, TrackID: bt.trackID, ApplicationID: app,
			Format: hiretrack.InviteGetLink, Token: hiretrack.NewToken{Hash: hiretrack.SecretHash(fmt.Sprintf("bench-%d", i)), Sealed: []byte("x")},
		})
		if err != nil {
			b.Fatalf("advance application %d: %v", app, err)
		}
	}
}
