package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// timeLayout is the fixed-width UTC text form in which the store writes
// times (sqlstore/store.go), so seeded rows sort and parse like its own.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Seeding sizes. rowsPerInsert keeps each statement under SQLite's limit of
// 32,766 parameters and PostgreSQL's 65,535; rowsPerTx bounds the work one
// transaction holds.
const (
	rowsPerInsert = 500
	rowsPerTx     = 20_000
)

// pendingEvery makes every pendingEvery-th application keep a Pending track
// invitation, so list filters on invite_status select a real subset. The
// other applications completed the first-stage form and can be advanced.
const pendingEvery = 10

// seededTrack is a track created for the run and its stages.
type seededTrack struct {
	id       int64
	first    hiretrack.Stage
	regulars int // the number of regular stages, 4 to 6
}

// dataset is the outcome of seeding: the API key, the tracks, and the
// applications that can be advanced.
type dataset struct {
	key          string
	tracks       []seededTrack
	applications int
	advanceable  []advanceTarget
}

// advanceTarget is an application with a completed track invitation.
type advanceTarget struct {
	trackID       int64
	applicationID int64
	regulars      int
}

// seed creates the company, key, modules and tracks through the store and
// then bulk-inserts the candidates, applications, responses and events on
// the migrated database at source. The database must be empty.
func seed(ctx context.Context, source string, opts options, logger *slog.Logger) (dataset, error) {
	var ds dataset
	db, err := sqlstore.Open(source, sqlstore.Options{})
	if err != nil {
		return ds, err
	}
	// Closing runs PRAGMA optimize on SQLite, which gathers the planner
	// statistics of the seeded tables as a restarted server would have them.
	defer db.Close()
	if err := db.Migrate(ctx, logger); err != nil {
		return ds, err
	}

	store := sqlstore.NewStore(db, func(context.Context, *sql.Tx, hiretrack.EmailJob) error {
		return fmt.Errorf("seeding queues no emails")
	}, nil, logger)
	principal, err := createKey(ctx, store, &ds)
	if err != nil {
		return ds, err
	}
	if err := createTracks(ctx, store, principal, opts.tracks, &ds); err != nil {
		return ds, err
	}

	ins := inserter{db: db.Write, dialect: db.Dialect}
	if err := insertApplications(ctx, ins, principal, opts.applications, &ds); err != nil {
		return ds, err
	}
	if db.Dialect == sqlstore.Postgres {
		if err := finishPostgres(ctx, db.Write); err != nil {
			return ds, err
		}
	}
	return ds, nil
}

// createKey creates the company and its API key.
func createKey(ctx context.Context, store *sqlstore.Store, ds *dataset) (hiretrack.Principal, error) {
	key, stored, err := secret.NewAPIKey()
	if err != nil {
		return hiretrack.Principal{}, err
	}
	p, err := store.CreateAPIKey(ctx, "Bench", stored)
	if err != nil {
		return p, fmt.Errorf("create API key: %w", err)
	}
	ds.key = key
	return p, nil
}

// minRegulars is the smallest number of regular stages of a seeded track.
const minRegulars = 4

// createTracks creates n tracks of minRegulars to maxRegulars regular
// stages in turn. The first stage of each is a form, the others are
// assessments.
func createTracks(ctx context.Context, store *sqlstore.Store, p hiretrack.Principal, n int, ds *dataset) error {
	form, err := store.CreateModule(ctx, p.CompanyID, hiretrack.Module{
		Type: hiretrack.ModuleForm, Name: "Application form",
		Questions: []hiretrack.Question{{Label: "Why this role?", Kind: hiretrack.QuestionText}},
	})
	if err != nil {
		return fmt.Errorf("create form module: %w", err)
	}
	test, err := store.CreateModule(ctx, p.CompanyID, hiretrack.Module{
		Type: hiretrack.ModuleAssessment, Name: "Assessment", LaunchURL: "http://127.0.0.1/assessment",
	})
	if err != nil {
		return fmt.Errorf("create assessment module: %w", err)
	}

	for i := range n {
		regulars := minRegulars + i%(maxRegulars-minRegulars+1)
		stages := []hiretrack.StageInput{{Name: "Apply", Type: hiretrack.StageType(form.Type), ModuleID: form.ID}}
		for s := 2; s <= regulars; s++ {
			stages = append(stages, hiretrack.StageInput{
				Name: fmt.Sprintf("Round %d", s), Type: hiretrack.StageType(test.Type), ModuleID: test.ID,
			})
		}
		track, err := store.CreateTrack(ctx, p.CompanyID, fmt.Sprintf("Bench track %d", i+1), stages)
		if err != nil {
			return fmt.Errorf("create track %d: %w", i+1, err)
		}
		ds.tracks = append(ds.tracks, seededTrack{id: track.ID, first: track.Stages[0], regulars: regulars})
	}
	return nil
}

// seedRow is one application with its candidate, its first-stage response
// and the events of that response.
type seedRow struct {
	id        int64 // the id of the candidate, application and response alike
	track     seededTrack
	name      string
	email     string
	created   time.Time
	completed bool
}

var firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}

// newSeedRow returns application number id of total. Applications go to the
// tracks in turn and were created evenly over the 90 days before now.
func newSeedRow(id int64, total int, tracks []seededTrack, now time.Time) seedRow {
	span := 90 * 24 * time.Hour
	step := span / time.Duration(total)
	i := int(id - 1)
	return seedRow{
		id:        id,
		track:     tracks[i%len(tracks)],
		name:      fmt.Sprintf("%s %s %d", firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)], id),
		email:     fmt.Sprintf("candidate%d@example.com", id),
		created:   now.Add(-span + time.Duration(i)*step).UTC().Truncate(time.Microsecond),
		completed: id%pendingEvery != 0,
	}
}

// insertApplications inserts n applications in transactions of rowsPerTx.
func insertApplications(ctx context.Context, ins inserter, p hiretrack.Principal, n int, ds *dataset) error {
	now := time.Now()
	ds.applications = n
	for start := 1; start <= n; start += rowsPerTx {
		end := min(start+rowsPerTx-1, n)
		rows := make([]seedRow, 0, end-start+1)
		for id := start; id <= end; id++ {
			rows = append(rows, newSeedRow(int64(id), n, ds.tracks, now))
		}
		if err := insertBatch(ctx, ins, p, rows); err != nil {
			return fmt.Errorf("insert applications %d to %d: %w", start, end, err)
		}
		for _, r := range rows {
			if r.completed {
				ds.advanceable = append(ds.advanceable, advanceTarget{trackID: r.track.id, applicationID: r.id, regulars: r.track.regulars})
			}
		}
	}
	return nil
}

// insertBatch inserts rows in one transaction, table by table in the order
// of their foreign keys.
func insertBatch(ctx context.Context, ins inserter, p hiretrack.Principal, rows []seedRow) error {
	tx, err := ins.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	tables := []struct {
		name    string
		columns string
		values  func(seedRow) [][]any
	}{
		{"candidates", "id, company_id, name, email, email_key, created_at", func(r seedRow) [][]any {
			return [][]any{{r.id, p.CompanyID, r.name, r.email, strings.ToLower(r.email), format(r.created)}}
		}},
		{"applications", applicationColumns, func(r seedRow) [][]any { return [][]any{applicationValues(p, r)} }},
		{"responses", responseColumns, func(r seedRow) [][]any { return [][]any{responseValues(p, r)} }},
		{"events", "company_id, application_id, response_id, stage_id, type, actor, data, created_at", func(r seedRow) [][]any {
			return eventValues(p, r)
		}},
	}
	for _, table := range tables {
		var values [][]any
		for _, r := range rows {
			values = append(values, table.values(r)...)
		}
		if err := ins.insert(ctx, tx, table.name, table.columns, values); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// applicationColumns include the summary columns that the applicant list
// reads, filled as refreshApplicantSummary (sqlstore/applicants.go) would.
const applicationColumns = `id, company_id, track_id, candidate_id, stage_id, status, created_at, updated_at,
	name_key, email_key, score, stage_invite_status, stage_invite_expires_at`

func applicationValues(p hiretrack.Principal, r seedRow) []any {
	return []any{
		r.id, p.CompanyID, r.track.id, r.id, r.track.first.ID, string(hiretrack.ApplicationActive),
		format(r.created), format(r.updated()),
		strings.ToLower(r.name), strings.ToLower(r.email), nil, string(r.inviteStatus()), format(r.expires()),
	}
}

const responseColumns = `id, company_id, application_id, stage_id, module_id, invite_status, token_hash, token_sealed,
	score, data, invited_at, expires_at, opened_at, started_at, completed_at`

// responseValues returns the first-stage response. Its token_hash only has
// to be unique: no seeded link is ever opened, so token_sealed is a
// placeholder the mail worker never reads.
func responseValues(p hiretrack.Principal, r seedRow) []any {
	var data, done any
	if r.completed {
		data = `{"answers":[{"label":"Why this role?","value":"I like building pipelines."}]}`
		done = format(r.updated())
	}
	return []any{
		r.id, p.CompanyID, r.id, r.track.first.ID, *r.track.first.ModuleID, string(r.inviteStatus()),
		"seed-" + strconv.FormatInt(r.id, 10), []byte("seed"),
		nil, data, format(r.created), format(r.expires()), done, done, done,
	}
}

// eventValues returns the invited event and, for a completed invitation,
// the completed event, as Invite and SubmitForm write them.
func eventValues(p hiretrack.Principal, r seedRow) [][]any {
	events := [][]any{{p.CompanyID, r.id, r.id, r.track.first.ID, hiretrack.EventInvited, p.Actor(),
		`{"invite_format":"getlink"}`, format(r.created)}}
	if r.completed {
		events = append(events, []any{p.CompanyID, r.id, r.id, r.track.first.ID, hiretrack.EventCompleted,
			hiretrack.ActorCandidate, nil, format(r.updated())})
	}
	return events
}

func (r seedRow) inviteStatus() hiretrack.InviteStatus {
	if r.completed {
		return hiretrack.InviteCompleted
	}
	return hiretrack.InvitePending
}

// updated returns when the candidate completed the form, an hour after
// the invitation, or the creation time of a pending one.
func (r seedRow) updated() time.Time {
	if r.completed {
		return r.created.Add(time.Hour)
	}
	return r.created
}

// expires returns the expiry of the invitation, after the default 168 hours
// of a stage's invite_valid_hours.
func (r seedRow) expires() time.Time { return r.created.Add(168 * time.Hour) }

func format(t time.Time) string { return t.UTC().Format(timeLayout) }

// finishPostgres moves the identity sequences past the explicit ids that
// seeding inserted and gathers planner statistics, as autovacuum would
// shortly after such a load.
func finishPostgres(ctx context.Context, db *sql.DB) error {
	for _, table := range []string{"candidates", "applications", "responses", "events"} {
		_, err := db.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), (SELECT max(id) FROM `+table+`))`)
		if err != nil {
			return fmt.Errorf("move the id sequence of %s: %w", table, err)
		}
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// inserter writes multi-row INSERT statements in the placeholder style of
// the dialect.
type inserter struct {
	db      *sql.DB
	dialect sqlstore.Dialect
}

// insert inserts values into table, rowsPerInsert rows per statement.
func (ins inserter) insert(ctx context.Context, tx *sql.Tx, table, columns string, values [][]any) error {
	for start := 0; start < len(values); start += rowsPerInsert {
		chunk := values[start:min(start+rowsPerInsert, len(values))]
		var query strings.Builder
		query.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		var args []any
		for i, row := range chunk {
			if i > 0 {
				query.WriteString(", ")
			}
			query.WriteString("(")
			for j, v := range row {
				if j > 0 {
					query.WriteString(", ")
				}
				args = append(args, v)
				query.WriteString(ins.placeholder(len(args)))
			}
			query.WriteString(")")
		}
		if _, err := tx.ExecContext(ctx, query.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func (ins inserter) placeholder(n int) string {
	if ins.dialect == sqlstore.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
