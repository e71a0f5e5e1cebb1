package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/hiretrack/hiretrack/client"
)

// maxRateLimitRetries bounds how often one row is sent again after a 429.
const maxRateLimitRetries = 5

// inviteRow is one data row of the candidates CSV.
type inviteRow struct {
	line        int
	name, email string
	err         error // the row is malformed; it is not sent
}

// inviteOutcome is the result of one row.
type inviteOutcome struct {
	row    inviteRow
	inv    client.Invitation
	reason string // the cause of a failed row, "" when the row succeeded
}

// inviteCommand runs "hiretrack invite": one invite per CSV row, in file
// order, then a summary of created, existing and failed rows.
func inviteCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("invite", stderr)
	trackID := fs.Int64("track", 0, "id of the track to invite to (required)")
	csvPath := fs.String("csv", "", "CSV file of candidates with a header row naming the columns name and email (required)")
	sendLink := fs.Bool("sendlink", false, "email each candidate the link, instead of only printing it")
	c, err := parseClient(ctx, fs, args, getenv)
	if err != nil {
		return err
	}
	if *trackID <= 0 || *csvPath == "" {
		return errors.New("--track and --csv are required: the id of the track and the CSV file of candidates")
	}

	rows, err := readInviteRows(*csvPath)
	if err != nil {
		return err
	}
	format := client.GetLink
	if *sendLink {
		format = client.SendLink
	}

	markDuplicates(rows)
	bar := newProgressBar(stderr, len(rows))
	outcomes := make([]inviteOutcome, 0, len(rows))
	for _, row := range rows {
		outcomes = append(outcomes, inviteOne(ctx, c, *trackID, format, row))
		_ = bar.Add(1) // the bar only draws; an error drawing it must not stop the invites
	}
	_ = bar.Finish()

	return printInviteSummary(stdout, *csvPath, outcomes)
}

// readInviteRows reads the CSV. A row that does not parse or lacks a
// column becomes a failed row with its line number. Only a file that
// cannot be read or has no usable header is an error.
func readInviteRows(path string) ([]inviteRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read candidates: %w", err)
	}
	defer f.Close()

	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read the header row of %s: %w", path, err)
	}
	nameCol, emailCol := columnOf(header, "name"), columnOf(header, "email")
	if nameCol < 0 || emailCol < 0 {
		return nil, fmt.Errorf("the header row of %s must name the columns name and email, got %q", path, strings.Join(header, ","))
	}

	var rows []inviteRow
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		rows = append(rows, parseInviteRow(r, record, err, nameCol, emailCol))
	}
}

func parseInviteRow(r *csv.Reader, record []string, err error, nameCol, emailCol int) inviteRow {
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		return inviteRow{line: parseErr.StartLine, err: fmt.Errorf("malformed CSV: %w", parseErr.Err)}
	}
	line, _ := r.FieldPos(0)
	if err != nil {
		return inviteRow{line: line, err: err}
	}
	if need := max(nameCol, emailCol) + 1; len(record) < need {
		return inviteRow{line: line, err: fmt.Errorf("the row has %d fields; name and email need %d", len(record), need)}
	}
	return inviteRow{line: line, name: strings.TrimSpace(record[nameCol]), email: strings.TrimSpace(record[emailCol])}
}

// markDuplicates fails each row whose address, ignoring case, an earlier
// row has. Sending it would reissue the invite link of the earlier row and
// so break the link printed for it.
func markDuplicates(rows []inviteRow) {
	first := map[string]int{}
	for i, row := range rows {
		if row.err != nil {
			continue
		}
		key := strings.ToLower(row.email)
		if line, ok := first[key]; ok {
			rows[i].err = fmt.Errorf("duplicate: %s is also on line %d; the row was not sent, so that the link of line %d stays valid", row.email, line, line)
			continue
		}
		first[key] = row.line
	}
}

func columnOf(header []string, name string) int {
	return slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), name) })
}

// inviteOne sends the invite of one row. After a 429 it waits and sends
// the row again, which is safe because a rate-limited request changes
// nothing.
func inviteOne(ctx context.Context, c *client.Client, trackID int64, format string, row inviteRow) inviteOutcome {
	if row.err != nil {
		return inviteOutcome{row: row, reason: row.err.Error()}
	}
	in := client.InviteInput{TrackID: trackID, CandidateName: row.name, CandidateEmail: row.email, InviteFormat: format}
	for attempt := 0; ; attempt++ {
		inv, err := c.Invite(ctx, in)
		var apiErr *client.Error
		if errors.As(err, &apiErr) && apiErr.Status == 429 && attempt < maxRateLimitRetries {
			if sleep(ctx, max(apiErr.RetryAfter, time.Second)) == nil {
				continue
			}
		}
		if err != nil {
			return inviteOutcome{row: row, reason: reasonOf(err)}
		}
		return inviteOutcome{row: row, inv: inv}
	}
}

// reasonOf is the text of a failed row: the API's code, field and message,
// which already names the value at fault.
func reasonOf(err error) string {
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	if apiErr.Field != "" {
		return fmt.Sprintf("%s (%s): %s", apiErr.Code, apiErr.Field, apiErr.Message)
	}
	return fmt.Sprintf("%s: %s", apiErr.Code, apiErr.Message)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newProgressBar draws a bar on stderr when it is a terminal, and nothing
// otherwise, so that logs and test output stay clean.
func newProgressBar(stderr io.Writer, total int) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return progressbar.DefaultSilent(int64(total))
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("inviting"),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// printInviteSummary writes one line per row and the counts. It returns an
// error when a row failed, so that scripts see a non-zero exit code.
func printInviteSummary(w io.Writer, path string, outcomes []inviteOutcome) error {
	var created, existing, failed int
	for _, o := range outcomes {
		switch {
		case o.reason != "":
			failed++
			fmt.Fprintf(w, "line %d: failed: %s\n", o.row.line, o.reason)
		case o.inv.Created:
			created++
			fmt.Fprintf(w, "line %d: created application %d for %s: %s\n", o.row.line, o.inv.ApplicationID, o.inv.Email, o.inv.InviteLink)
		default:
			existing++
			fmt.Fprintf(w, "line %d: existing application %d for %s: %s\n", o.row.line, o.inv.ApplicationID, o.inv.Email, o.inv.InviteLink)
		}
	}
	fmt.Fprintf(w, "%s: %d rows, %d created, %d existing, %d failed\n", path, len(outcomes), created, existing, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d rows failed; the lines above give the reasons", failed, len(outcomes))
	}
	return nil
}
