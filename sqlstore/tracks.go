package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// CreateTrack stores a track with its regular and terminal stages.
func (s *Store) CreateTrack(ctx context.Context, companyID int64, title string, inputs []hiretrack.StageInput) (hiretrack.Track, error) {
	t := hiretrack.Track{Title: title, CreatedAt: s.clock()}
	err := s.withTx(ctx, "create track", func(tx *dialectTx) error {
		if err := checkStageModules(ctx, tx, companyID, inputs); err != nil {
			return err
		}
		if err := checkStageInputRules(ctx, tx, companyID, inputs); err != nil {
			return err
		}

		err := tx.QueryRowContext(ctx, `
			INSERT INTO tracks (company_id, title, created_at) VALUES (?, ?, ?) RETURNING id`,
			companyID, title, formatTime(t.CreatedAt)).Scan(&t.ID)
		if err != nil {
			return fmt.Errorf("insert track: %w", err)
		}

		stages, err := insertStages(ctx, tx, t.ID, inputs)
		t.Stages = stages
		return err
	})
	return t, err
}

// checkStageModules checks that each stage's module exists and has the stage's type.
func checkStageModules(ctx context.Context, tx *dialectTx, companyID int64, inputs []hiretrack.StageInput) error {
	for i, in := range inputs {
		var typ hiretrack.ModuleType
		err := tx.QueryRowContext(ctx, `SELECT type FROM modules WHERE id = ? AND company_id = ?`,
			in.ModuleID, companyID).Scan(&typ)
		field := fmt.Sprintf("stages[%d].module_id", i)
		if errors.Is(err, sql.ErrNoRows) {
			e := hiretrack.NotFoundf("module %d not found (%s)", in.ModuleID, field)
			e.Field = field
			return e
		}
		if err != nil {
			return fmt.Errorf("read module %d: %w", in.ModuleID, err)
		}
		if string(typ) != string(in.Type) {
			return hiretrack.FieldErrorf(hiretrack.KindUnprocessable, fmt.Sprintf("stages[%d].type", i), "stage_type_mismatch",
				"stages[%d].type is %q but module %d is of type %q; the stage type must match its module's type",
				i, in.Type, in.ModuleID, typ)
		}
	}
	return nil
}

// insertStages stores the regular stages at positions 1..n and then Hired and Rejected.
func insertStages(ctx context.Context, tx *dialectTx, trackID int64, inputs []hiretrack.StageInput) ([]hiretrack.Stage, error) {
	stages := make([]hiretrack.Stage, 0, len(inputs)+2)
	for _, in := range inputs {
		moduleID, hours := in.ModuleID, in.InviteValidHours
		if hours == 0 {
			hours = hiretrack.DefaultInviteValidHours
		}
		stages = append(stages, hiretrack.Stage{
			Name: in.Name, Type: in.Type, ModuleID: &moduleID, InviteValidHours: hours,
			AutoAdvance: in.AutoAdvance, AutoReject: in.AutoReject,
		})
	}
	stages = append(stages,
		hiretrack.Stage{Name: "Hired", Type: hiretrack.StageHired},
		hiretrack.Stage{Name: "Rejected", Type: hiretrack.StageRejected})

	for i := range stages {
		id, err := newStageID()
		if err != nil {
			return nil, err
		}
		stages[i].ID = id
		stages[i].Position = i + 1

		// Terminal stages keep the column's default; they never issue links.
		hours := stages[i].InviteValidHours
		if hours == 0 {
			hours = hiretrack.DefaultInviteValidHours
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO stages (id, track_id, position, name, type, module_id, invite_valid_hours, auto_advance, auto_reject)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, trackID, stages[i].Position, stages[i].Name, stages[i].Type, stages[i].ModuleID, hours,
			ruleText(stages[i].AutoAdvance), ruleText(stages[i].AutoReject))
		if err != nil {
			return nil, fmt.Errorf("insert stage: %w", err)
		}
	}
	return stages, nil
}

// Track returns one track of the company with its stages.
func (s *Store) Track(ctx context.Context, companyID, trackID int64) (hiretrack.Track, error) {
	t, err := readTrack(ctx, s.read(), companyID, trackID)
	if err != nil {
		return t, wrapInternal("read track", err)
	}
	return t, nil
}

// readTrack reads a track and its stages; KindNotFound when it does not exist.
func readTrack(ctx context.Context, q queryer, companyID, trackID int64) (hiretrack.Track, error) {
	t := hiretrack.Track{ID: trackID}
	err := q.QueryRowContext(ctx, `SELECT title, created_at FROM tracks WHERE id = ? AND company_id = ?`,
		trackID, companyID).Scan(&t.Title, textTime{&t.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return t, hiretrack.NotFoundf("track %d not found", trackID)
	}
	if err != nil {
		return t, fmt.Errorf("read track %d: %w", trackID, err)
	}

	t.Stages, err = readStages(ctx, q, trackID)
	return t, err
}

// readStages returns a track's stages in position order.
func readStages(ctx context.Context, q queryer, trackID int64) ([]hiretrack.Stage, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT id, name, type, module_id, position, invite_valid_hours, auto_advance, auto_reject
		FROM stages WHERE track_id = ? ORDER BY position`, trackID)
	if err != nil {
		return nil, fmt.Errorf("read stages of track %d: %w", trackID, err)
	}
	defer rows.Close()

	var stages []hiretrack.Stage
	for rows.Next() {
		var st hiretrack.Stage
		var advance, reject sql.NullString
		if err := rows.Scan(&st.ID, &st.Name, &st.Type, &st.ModuleID, &st.Position, &st.InviteValidHours, &advance, &reject); err != nil {
			return nil, fmt.Errorf("read stages of track %d: %w", trackID, err)
		}
		if st.Type.Terminal() {
			st.InviteValidHours = 0
		}
		if st.AutoAdvance, err = parseRule(advance); err != nil {
			return nil, fmt.Errorf("read auto_advance of stage %s: %w", st.ID, err)
		}
		if st.AutoReject, err = parseRule(reject); err != nil {
			return nil, fmt.Errorf("read auto_reject of stage %s: %w", st.ID, err)
		}
		stages = append(stages, st)
	}
	return stages, rows.Err()
}

// Tracks returns the company's tracks with their stages, oldest first.
func (s *Store) Tracks(ctx context.Context, companyID int64) ([]hiretrack.Track, error) {
	rows, err := s.read().QueryContext(ctx, `SELECT id FROM tracks WHERE company_id = ? ORDER BY id`, companyID)
	if err != nil {
		return nil, hiretrack.Internal("list tracks", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, hiretrack.Internal("list tracks", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, hiretrack.Internal("list tracks", err)
	}

	tracks := []hiretrack.Track{}
	for _, id := range ids {
		t, err := readTrack(ctx, s.read(), companyID, id)
		if err != nil {
			return nil, wrapInternal("list tracks", err)
		}
		tracks = append(tracks, t)
	}
	return tracks, nil
}
