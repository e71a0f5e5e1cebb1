package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
)

// The applicant list reads the columns that migration 00004 adds to
// applications, so that filters and sorting need no join. Each sort key is a
// NOT NULL column with an index on (track_id, column, id), which makes
// (column, id) a total order. A cursor is the (column, id) of the last row
// of a page, and without filters the next page is a range scan of that index
// from the cursor.

// Applicants returns one page of a track's applicants.
func (s *Store) Applicants(ctx context.Context, companyID int64, q hiretrack.ApplicantQuery) (hiretrack.ApplicantPage, error) {
	var page hiretrack.ApplicantPage
	tx, err := s.beginRead(ctx)
	if err != nil {
		return page, hiretrack.Internal("list applicants", err)
	}
	defer tx.Rollback()

	page, err = s.listApplicants(ctx, tx, companyID, q)
	if err != nil {
		return page, wrapInternal("list applicants", err)
	}
	return page, nil
}

// listApplicants counts and reads in one read transaction, so the total and
// the rows agree.
func (s *Store) listApplicants(ctx context.Context, tx *dialectTx, companyID int64, q hiretrack.ApplicantQuery) (hiretrack.ApplicantPage, error) {
	var page hiretrack.ApplicantPage
	if q.PerPage < 1 || (q.After == "" && q.Page < 1) {
		return page, fmt.Errorf("invalid applicant query: per_page %d, page %d", q.PerPage, q.Page)
	}
	track, err := readTrack(ctx, tx, companyID, q.TrackID)
	if err != nil {
		return page, err
	}
	if err := checkStageFilter(track, q.StageID); err != nil {
		return page, err
	}
	order := newApplicantOrder(q.Sort, q.Descending)
	var after *applicantCursor
	if q.After != "" {
		if after, err = order.decodeCursor(q.After); err != nil {
			return page, err
		}
	}

	now := s.now()
	filter := newApplicantFilter(q, now, tx.dialect)
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM applications a WHERE `+filter.where, filter.args...).Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("count applicants of track %d: %w", track.ID, err)
	}

	rows, keys, err := readApplicantRows(ctx, tx, track, filter, order, after, q, now)
	if err != nil {
		return page, err
	}
	if len(rows) > q.PerPage {
		rows, keys = rows[:q.PerPage], keys[:q.PerPage]
		last := len(rows) - 1
		page.Next = order.encodeCursor(keys[last], rows[last].ApplicationID)
	}
	page.Rows = rows
	return page, nil
}

// checkStageFilter checks that a stage_id filter names a stage of the track.
func checkStageFilter(track hiretrack.Track, stageID string) error {
	if stageID == "" {
		return nil
	}
	if _, ok := stageByID(track, stageID); ok {
		return nil
	}
	return hiretrack.FieldErrorf(hiretrack.KindInvalid, "stage_id", "invalid_query",
		"stage_id is %q; it must be the id of one of the %d stages of track %d", stageID, len(track.Stages), track.ID)
}

// applicantFilter is a WHERE clause on applications a, with its arguments.
type applicantFilter struct {
	where   string
	args    []any
	dialect Dialect

	// scan is set when a condition cannot use an index. The page query then
	// reads the track's rows in id order and sorts the matches, which is one
	// pass over the track. Walking a sort index instead looks up each row in
	// index order, which is fast only when matches are dense. On a track of
	// 1,000,000 applications (2-core VM), the walk took about 1.5 s when
	// nothing matched, and the pass about 0.3 s.
	scan bool
}

// stageInviteStatusSQL is effectiveStatus in SQL, applied to the stored
// status and expiry of the latest response in the current stage. It is NULL
// when that stage has no response. Its one argument is the time of the read,
// as formatTime writes it.
const stageInviteStatusSQL = `(CASE WHEN a.stage_invite_status <> 'Completed' AND a.stage_invite_expires_at <= ?
	THEN 'Expired' ELSE a.stage_invite_status END)`

// newApplicantFilter returns the filters of q. Name and email match
// substrings with instr on SQLite and strpos on PostgreSQL, because LIKE
// would treat % and _ in them as wildcards and, on SQLite, folds only ASCII
// letters.
func newApplicantFilter(q hiretrack.ApplicantQuery, now time.Time, dialect Dialect) applicantFilter {
	conditions := []string{"a.track_id = ?"}
	args := []any{q.TrackID}
	add := func(condition string, values ...any) {
		conditions = append(conditions, condition)
		args = append(args, values...)
	}

	position := "instr"
	if dialect == Postgres {
		position = "strpos"
	}
	if q.Name != "" {
		add(position+"(a.name_key, ?) > 0", strings.ToLower(q.Name))
	}
	if q.Email != "" {
		add(position+"(a.email_key, ?) > 0", strings.ToLower(q.Email))
	}
	if q.StageID != "" {
		add("a.stage_id = ?", q.StageID)
	}
	if q.Status != "" {
		add("a.status = ?", q.Status)
	}
	if q.InviteStatus != "" {
		add(stageInviteStatusSQL+" = ?", formatTime(now), q.InviteStatus)
	}
	if !q.UpdatedSince.IsZero() {
		add("a.updated_at >= ?", formatTime(ceilMicrosecond(q.UpdatedSince)))
	}
	scan := q.Name != "" || q.Email != "" || q.StageID != "" || q.Status != "" || q.InviteStatus != ""
	return applicantFilter{where: strings.Join(conditions, " AND "), args: args, dialect: dialect, scan: scan}
}

// ceilMicrosecond rounds t up to a whole microsecond. Stored times are whole
// microseconds, so stored >= rounded has the same result as stored >= t.
func ceilMicrosecond(t time.Time) time.Time {
	rounded := t.Truncate(time.Microsecond)
	if rounded.Before(t) {
		rounded = rounded.Add(time.Microsecond)
	}
	return rounded
}

// applicantOrder is the order of the list: a NOT NULL column of
// applications, then the application id, both ascending or both descending.
type applicantOrder struct {
	sort   string // the sort parameter, such as "-score", which cursors record
	key    hiretrack.ApplicantSortKey
	column string
	desc   bool
}

func newApplicantOrder(key hiretrack.ApplicantSortKey, desc bool) applicantOrder {
	o := applicantOrder{sort: string(key), key: key, desc: desc}
	if desc {
		o.sort = "-" + o.sort
	}
	switch key {
	case hiretrack.SortLastUpdatedAt:
		o.column = "updated_at"
	case hiretrack.SortName:
		o.column = "name_key"
	case hiretrack.SortScore:
		o.column = "score_high"
		if desc {
			o.column = "score_low"
		}
	default:
		o.key, o.column = hiretrack.SortDateAdded, "created_at"
	}
	return o
}

// by returns the ORDER BY terms for the sort key and id columns given.
func (o applicantOrder) by(key, id string) string {
	if o.desc {
		return key + " DESC, " + id + " DESC"
	}
	return key + ", " + id
}

// pageIDs returns a query for the ids and sort keys of up to limit
// applicants, from the start of the order or from after the cursor.
//
// The rows after a cursor (k, id) are those with column = k and a greater
// id, then those with a greater column (smaller ones for descending). The
// two parts are separate range scans of the index, joined with UNION ALL,
// because SQLite seeks only on the first column of a row-value comparison
// and would step through every row that ties on k. PostgreSQL has no index
// hints, so INDEXED BY is SQLite's alone and its planner chooses there.
func (o applicantOrder) pageIDs(filter applicantFilter, after *applicantCursor, limit int, offset int64) (string, []any) {
	from := `applications a`
	if filter.scan && filter.dialect == SQLite {
		from += ` INDEXED BY applications_track`
	}
	selectFrom := `SELECT a.id, a.` + o.column + ` AS sort_key FROM ` + from + ` WHERE ` + filter.where
	if after == nil {
		query := selectFrom + ` ORDER BY ` + o.by("a."+o.column, "a.id") + ` LIMIT ? OFFSET ?`
		return query, append(append([]any{}, filter.args...), limit, offset)
	}

	beyond, idOrder := ">", "a.id"
	if o.desc {
		beyond, idOrder = "<", "a.id DESC"
	}
	ties := selectFrom + ` AND a.` + o.column + ` = ? AND a.id ` + beyond + ` ? ORDER BY ` + idOrder + ` LIMIT ?`
	rest := selectFrom + ` AND a.` + o.column + ` ` + beyond + ` ? ORDER BY ` + o.by("a."+o.column, "a.id") + ` LIMIT ?`
	query := `SELECT id, sort_key FROM (` + ties + `) AS ties UNION ALL SELECT id, sort_key FROM (` + rest + `) AS rest`

	args := append([]any{}, filter.args...)
	args = append(args, after.key, after.id, limit)
	args = append(args, filter.args...)
	args = append(args, after.key, limit)
	return query, args
}

// readApplicantRows reads up to q.PerPage+1 applicants, one more than a page
// so the caller can tell whether a next page exists, and their sort keys.
// The page's ids are chosen first, so the joins and the track invitation
// lookup run only for those rows. On SQLite, CROSS JOIN keeps the planner
// from reordering the page after applications; PostgreSQL has no such
// form and plans the inner join on the page's few rows itself.
func readApplicantRows(ctx context.Context, tx *dialectTx, track hiretrack.Track, filter applicantFilter, order applicantOrder,
	after *applicantCursor, q hiretrack.ApplicantQuery, now time.Time) ([]hiretrack.ApplicantRow, []any, error) {
	limit := q.PerPage + 1
	pageQuery, args := order.pageIDs(filter, after, limit, (q.Page-1)*int64(q.PerPage))
	join := "CROSS JOIN"
	if tx.dialect == Postgres {
		join = "JOIN"
	}
	query := `
		SELECT a.id, a.candidate_id, c.name, c.email, a.status, a.stage_id, a.created_at, a.updated_at, a.score,
			a.stage_invite_status, a.stage_invite_expires_at, inv.invite_status, inv.expires_at, page.sort_key
		FROM (` + pageQuery + `) AS page
		` + join + ` applications a ON a.id = page.id
		JOIN candidates c ON c.id = a.candidate_id
		LEFT JOIN responses inv ON inv.id = (
			SELECT r.id FROM responses r WHERE r.application_id = a.id AND r.stage_id = ?
			ORDER BY r.invite_status = 'Completed' DESC, r.id DESC LIMIT 1)
		ORDER BY ` + order.by("page.sort_key", "page.id") + ` LIMIT ?`
	args = append(args, track.Stages[0].ID, limit)

	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list applicants of track %d: %w", track.ID, err)
	}
	defer rows.Close()

	list := []hiretrack.ApplicantRow{}
	var keys []any
	for rows.Next() {
		row, key, err := scanApplicantRow(rows, track, now)
		if err != nil {
			return nil, nil, fmt.Errorf("list applicants of track %d: %w", track.ID, err)
		}
		list = append(list, row)
		keys = append(keys, key)
	}
	return list, keys, rows.Err()
}

// scanApplicantRow reads one row of readApplicantRows. Its statuses follow
// the rules of summarize, which builds the applicant detail. stage_status is
// the status of the latest response in the current stage, or the
// application status when that stage has none. The track invitation is a
// completed first-stage response when there is one, else the latest one.
func scanApplicantRow(rows *sql.Rows, track hiretrack.Track, now time.Time) (hiretrack.ApplicantRow, any, error) {
	var row hiretrack.ApplicantRow
	a := &row.Applicant
	var stageID string
	var stageStatus, invitationStatus sql.NullString
	var stageExpiresAt, invitationExpiresAt nullTime
	var key any
	err := rows.Scan(&a.ApplicationID, &a.CandidateID, &a.Name, &a.Email, &a.Status, &stageID,
		textTime{&a.DateAdded}, textTime{&a.LastUpdatedAt}, &a.Score,
		&stageStatus, &stageExpiresAt, &invitationStatus, &invitationExpiresAt, &key)
	if err != nil {
		return row, nil, err
	}
	if text, ok := key.([]byte); ok {
		key = string(text)
	}

	a.StageStatus = string(a.Status)
	if stageStatus.Valid && stageExpiresAt.t != nil {
		a.StageStatus = string(effectiveStatus(hiretrack.InviteStatus(stageStatus.String), *stageExpiresAt.t, now))
	}
	if invitationStatus.Valid && invitationExpiresAt.t != nil {
		a.TrackInvitationStatus = effectiveStatus(hiretrack.InviteStatus(invitationStatus.String), *invitationExpiresAt.t, now)
	}
	current, _ := stageByID(track, stageID)
	row.CurrentStage = current.Ref()
	return row, key, nil
}

// maxCursorLen bounds the cursors that are decoded at all. encodeCursor
// writes up to about 1,700 characters, for a name of 200 characters that
// JSON escapes to 6 bytes each.
const maxCursorLen = 4096

// applicantCursor is the position after one row of the list.
type applicantCursor struct {
	key any // a string, or a float64 for the score columns
	id  int64
}

// cursorJSON is a cursor as clients carry it, base64url encoded. Key is the
// row's sort key: a stored time, a lower-cased name, or a score, where null
// stands for a missing score.
type cursorJSON struct {
	Sort string          `json:"sort"`
	Key  json.RawMessage `json:"key"`
	ID   int64           `json:"id"`
}

// encodeCursor returns the cursor after the row with sort key key and id.
func (o applicantOrder) encodeCursor(key any, id int64) string {
	if f, ok := key.(float64); ok && math.IsInf(f, 0) {
		key = nil
	}
	encodedKey, err := json.Marshal(key)
	if err != nil {
		// Keys are strings and finite floats, which always encode.
		panic(fmt.Sprintf("encode cursor key %v: %v", key, err))
	}
	data, err := json.Marshal(cursorJSON{Sort: o.sort, Key: encodedKey, ID: id})
	if err != nil {
		panic(fmt.Sprintf("encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeCursor reads a cursor of encodeCursor and checks that it was made
// for this order.
func (o applicantOrder) decodeCursor(text string) (*applicantCursor, error) {
	var c cursorJSON
	invalid := hiretrack.FieldErrorf(hiretrack.KindInvalid, "after", "invalid_cursor",
		"after is not a cursor of this list; follow the next link of a page, or start again without after")
	if len(text) > maxCursorLen {
		return nil, invalid
	}
	data, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || json.Unmarshal(data, &c) != nil || c.ID < 1 || c.Key == nil {
		return nil, invalid
	}
	if c.Sort != o.sort {
		return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, "after", "invalid_cursor",
			"after was made for sort %q but the request's sort is %q; send the next link unchanged, or start again without after",
			c.Sort, o.sort)
	}

	key, ok := o.parseCursorKey(c.Key)
	if !ok {
		return nil, invalid
	}
	return &applicantCursor{key: key, id: c.ID}, nil
}

// parseCursorKey converts a cursor's key to the type of the sort column.
func (o applicantOrder) parseCursorKey(raw json.RawMessage) (any, bool) {
	if o.key == hiretrack.SortScore {
		var score *float64
		if json.Unmarshal(raw, &score) != nil {
			return nil, false
		}
		switch {
		case score != nil:
			return *score, true
		case o.desc:
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}

	var text string
	if json.Unmarshal(raw, &text) != nil {
		return nil, false
	}
	if o.key == hiretrack.SortDateAdded || o.key == hiretrack.SortLastUpdatedAt {
		if _, err := parseTime(text); err != nil {
			return nil, false
		}
	}
	return text, true
}

// refreshApplicantSummary rewrites the columns of an application that the
// applicant list filters and sorts on. They are the lower-cased name and
// email of its candidate, the score of its latest scored response, and the
// stored status and expiry of the latest response in its current stage.
// Every transaction that creates an application, changes its stage, or
// inserts or updates one of its responses must call it after those writes.
// Otherwise the list filters and sorts on stale values and disagrees with the
// applicant detail.
func refreshApplicantSummary(ctx context.Context, tx *dialectTx, applicationID int64) error {
	var name, emailKey string
	err := tx.QueryRowContext(ctx, `
		SELECT c.name, c.email_key FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = ?`,
		applicationID).Scan(&name, &emailKey)
	if err != nil {
		return fmt.Errorf("refresh list columns of application %d: %w", applicationID, err)
	}

	_, err = tx.ExecContext(ctx, `
		UPDATE applications SET name_key = ?, email_key = ?,
			score = (SELECT r.score FROM responses r
				WHERE r.application_id = applications.id AND r.score IS NOT NULL ORDER BY r.id DESC LIMIT 1),
			stage_invite_status = (SELECT r.invite_status FROM responses r
				WHERE r.application_id = applications.id AND r.stage_id = applications.stage_id ORDER BY r.id DESC LIMIT 1),
			stage_invite_expires_at = (SELECT r.expires_at FROM responses r
				WHERE r.application_id = applications.id AND r.stage_id = applications.stage_id ORDER BY r.id DESC LIMIT 1)
		WHERE id = ?`, strings.ToLower(name), emailKey, applicationID)
	if err != nil {
		return fmt.Errorf("refresh list columns of application %d: %w", applicationID, err)
	}
	return nil
}
