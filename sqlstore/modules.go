package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// CreateModule stores a module.
func (s *Store) CreateModule(ctx context.Context, companyID int64, m hiretrack.Module) (hiretrack.Module, error) {
	questions, err := json.Marshal(m.Questions)
	if err != nil {
		return m, hiretrack.Internal("create module", err)
	}
	if m.Questions == nil {
		questions = []byte("[]")
	}

	m.CreatedAt = s.clock()
	err = s.withTx(ctx, "create module", func(tx *dialectTx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO modules (company_id, type, name, launch_url, questions, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			companyID, m.Type, m.Name, m.LaunchURL, string(questions), formatTime(m.CreatedAt)).Scan(&m.ID)
	})
	return m, err
}

const moduleColumns = `id, type, name, launch_url, questions, created_at`

// Module returns one module of the company.
func (s *Store) Module(ctx context.Context, companyID, moduleID int64) (hiretrack.Module, error) {
	m, err := scanModule(s.read().QueryRowContext(ctx,
		`SELECT `+moduleColumns+` FROM modules WHERE id = ? AND company_id = ?`, moduleID, companyID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, hiretrack.NotFoundf("module %d not found", moduleID)
	}
	if err != nil {
		return m, hiretrack.Internal("read module", err)
	}
	return m, nil
}

// Modules returns the company's modules, oldest first.
func (s *Store) Modules(ctx context.Context, companyID int64) ([]hiretrack.Module, error) {
	rows, err := s.read().QueryContext(ctx,
		`SELECT `+moduleColumns+` FROM modules WHERE company_id = ? ORDER BY id`, companyID)
	if err != nil {
		return nil, hiretrack.Internal("list modules", err)
	}
	defer rows.Close()

	modules := []hiretrack.Module{}
	for rows.Next() {
		m, err := scanModule(rows)
		if err != nil {
			return nil, hiretrack.Internal("list modules", err)
		}
		modules = append(modules, m)
	}
	if err := rows.Err(); err != nil {
		return nil, hiretrack.Internal("list modules", err)
	}
	return modules, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanModule(row scanner) (hiretrack.Module, error) {
	var m hiretrack.Module
	var questions string
	if err := row.Scan(&m.ID, &m.Type, &m.Name, &m.LaunchURL, &questions, textTime{&m.CreatedAt}); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(questions), &m.Questions); err != nil {
		return m, fmt.Errorf("decode questions of module %d: %w", m.ID, err)
	}
	return m, nil
}
