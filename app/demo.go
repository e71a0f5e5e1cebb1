package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// demoCompany is the company the demo data belongs to.
const demoCompany = "Example Co"

// trackFile is the format of examples/track.json: a track whose stages
// define their modules inline.
type trackFile struct {
	Title  string `json:"title"`
	Stages []struct {
		Name   string           `json:"name"`
		Module hiretrack.Module `json:"module"`
	} `json:"stages"`
}

// demoCommand loads the example track and invites the example candidates.
func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("demo", stderr)
	bindDB(fs, &cfg, getenv)
	fs.StringVar(&cfg.PublicURL, "public-url", envOr(getenv, "public-url", "http://127.0.0.1:8080"), "base URL of invite links; use the one the server runs with")
	trackPath := fs.String("track", "examples/track.json", "track definition to load")
	candidatesPath := fs.String("candidates", "examples/candidates.csv", "CSV of candidates with a header row name,email")
	if _, err := parseSettings(fs, args, getenv, ""); err != nil {
		return err
	}

	track, err := readTrackFile(*trackPath)
	if err != nil {
		return err
	}
	candidates, err := readCandidates(*candidatesPath)
	if err != nil {
		return err
	}
	sealer, err := loadSealer(cfg, logger)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	d := demo{store: sqlstore.NewStore(db, nil, nil, logger), sealer: sealer, publicURL: strings.TrimRight(cfg.PublicURL, "/"), out: stdout}
	return d.load(ctx, track, candidates)
}

type demo struct {
	store     *sqlstore.Store
	sealer    *secret.Sealer
	publicURL string
	out       io.Writer
}

// load creates the key, the modules, the track and one invitation per candidate.
func (d demo) load(ctx context.Context, tf trackFile, candidates [][2]string) error {
	key, stored, err := secret.NewAPIKey()
	if err != nil {
		return err
	}
	p, err := d.store.CreateAPIKey(ctx, demoCompany, stored)
	if err != nil {
		return err
	}

	track, err := d.createTrack(ctx, p.CompanyID, tf)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "Track %d %q with stages:\n", track.ID, track.Title)
	for _, st := range track.Stages {
		fmt.Fprintf(d.out, "  %-22s %-20s %s\n", st.ID, st.Type, st.Name)
	}

	fmt.Fprintf(d.out, "\nInvited candidates (application_id, email, invite link):\n")
	for _, c := range candidates {
		if err := d.invite(ctx, p, track.ID, c[0], c[1]); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.out, "\nAPI key for %q, shown only this once:\n%s\n", demoCompany, key)
	return nil
}

func (d demo) createTrack(ctx context.Context, companyID int64, tf trackFile) (hiretrack.Track, error) {
	stages := make([]hiretrack.StageInput, 0, len(tf.Stages))
	for _, st := range tf.Stages {
		m, err := d.store.CreateModule(ctx, companyID, st.Module)
		if err != nil {
			return hiretrack.Track{}, err
		}
		stages = append(stages, hiretrack.StageInput{Name: st.Name, Type: hiretrack.StageType(m.Type), ModuleID: m.ID})
	}
	return d.store.CreateTrack(ctx, companyID, tf.Title, stages)
}

func (d demo) invite(ctx context.Context, p hiretrack.Principal, trackID int64, name, email string) error {
	token, stored, err := d.sealer.NewInviteToken()
	if err != nil {
		return err
	}
	inv, err := d.store.Invite(ctx, hiretrack.InviteParams{
		Principal: p, TrackID: trackID, CandidateName: name, Email: email,
		Format: hiretrack.InviteGetLink, Token: stored,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  %d  %-24s %s/invite/%s\n", inv.ApplicationID, inv.Email, d.publicURL, token)
	return nil
}

func readTrackFile(path string) (trackFile, error) {
	var tf trackFile
	data, err := os.ReadFile(path)
	if err != nil {
		return tf, fmt.Errorf("read track definition (set its path with --track): %w", err)
	}
	if err := json.Unmarshal(data, &tf); err != nil {
		return tf, fmt.Errorf("parse %s: %w", path, err)
	}
	if tf.Title == "" || len(tf.Stages) == 0 {
		return tf, fmt.Errorf("%s needs a title and at least one stage", path)
	}
	for i, st := range tf.Stages {
		if st.Name == "" || !st.Module.Type.Valid() || st.Module.Name == "" {
			return tf, fmt.Errorf("%s: stage %d needs a name and a module with a valid type and a name", path, i+1)
		}
	}
	return tf, nil
}

// readCandidates reads name,email rows after the header row.
func readCandidates(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read candidates (set their path with --candidates): %w", err)
	}
	defer f.Close()

	r := csv.NewReader(f)
	r.FieldsPerRecord = 2
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, errors.New(path + " has no candidate rows after the header")
	}

	out := make([][2]string, 0, len(rows)-1)
	for _, row := range rows[1:] {
		out = append(out, [2]string{strings.TrimSpace(row[0]), strings.TrimSpace(row[1])})
	}
	return out, nil
}
