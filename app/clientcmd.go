package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hiretrack/hiretrack/client"
)

// clientConfig is the server address and API key of the client commands.
type clientConfig struct {
	URL    string
	APIKey string
}

// bindClient registers the flags of the client commands, with defaults
// from HIRETRACK_URL and HIRETRACK_API_KEY.
func bindClient(fs *flag.FlagSet, cfg *clientConfig, getenv func(string) string) {
	fs.StringVar(&cfg.URL, "url", envOr(getenv, "url", "http://127.0.0.1:8080"), "base URL of the hiretrack server")
	fs.StringVar(&cfg.APIKey, "api-key", envOr(getenv, "api-key", ""), "API key to send (better given as HIRETRACK_API_KEY, which ps does not show)")
}

// transportKey is the context key of an http.RoundTripper that the client
// commands send through instead of the default one. Tests set it to check
// every exchange against the OpenAPI document.
type transportKey struct{}

// parseClient parses the flags of a client command, which were registered
// on fs beside the client flags, and returns the client.
func parseClient(ctx context.Context, fs *flag.FlagSet, args []string, getenv func(string) string) (*client.Client, error) {
	var cfg clientConfig
	bindClient(fs, &cfg, getenv)
	if _, err := parseSettings(fs, args, getenv, clientSection); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: %s takes flags only", fs.Arg(0), fs.Name())
	}
	if cfg.APIKey == "" {
		return nil, errors.New("no API key: set --api-key, HIRETRACK_API_KEY or api-key in the [client] table of the config file")
	}
	if rt, ok := ctx.Value(transportKey{}).(http.RoundTripper); ok {
		hc := &http.Client{Timeout: time.Minute, Transport: rt}
		return client.New(cfg.URL, cfg.APIKey, client.WithHTTPClient(hc)), nil
	}
	return client.New(cfg.URL, cfg.APIKey), nil
}

// tracksCommand runs "hiretrack tracks list".
func tracksCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "list" {
		return errUsage
	}
	fs := newFlagSet("tracks list", stderr)
	c, err := parseClient(ctx, fs, args[1:], getenv)
	if err != nil {
		return err
	}

	tracks, err := c.ListTracks(ctx)
	if err != nil {
		return err
	}
	if len(tracks) == 0 {
		fmt.Fprintln(stdout, "no tracks yet")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRACK\tTITLE\tSTAGES")
	for _, t := range tracks {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", t.ID, t.Title, stageList(t))
	}
	return tw.Flush()
}

// stageList names the regular stages of t in order, each with its id,
// which move and source_stage_id need.
func stageList(t client.Track) string {
	var names []string
	for _, s := range t.Stages {
		if !s.Type.Terminal() {
			names = append(names, fmt.Sprintf("%d. %s (%s, %s)", s.Position, s.Name, s.Type, s.ID))
		}
	}
	return strings.Join(names, "; ")
}

// advanceCommand runs "hiretrack advance".
func advanceCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("advance", stderr)
	trackID := fs.Int64("track", 0, "id of the track (required)")
	applicationID := fs.Int64("application", 0, "id of the application to advance (required)")
	sendLink := fs.Bool("sendlink", false, "also email the new stage's link to the candidate")
	sourceStage := fs.String("source-stage", "", "advance only if the application is in this stage id")
	c, err := parseClient(ctx, fs, args, getenv)
	if err != nil {
		return err
	}
	if *trackID <= 0 || *applicationID <= 0 {
		return errors.New("--track and --application are required: the ids of the track and of the application to advance")
	}

	format := client.GetLink
	if *sendLink {
		format = client.SendLink
	}
	a, err := c.Advance(ctx, client.AdvanceInput{
		TrackID: *trackID, ApplicationID: *applicationID, InviteFormat: format, SourceStageID: *sourceStage,
	})
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "application %d of %s <%s> advanced to %q (%s)\n", a.ApplicationID, a.Name, a.Email, a.StageMoved, a.StageID)
	fmt.Fprintf(stdout, "response:   %d\n", a.ResponseID)
	fmt.Fprintf(stdout, "link:       %s\n", a.InviteLink)
	fmt.Fprintf(stdout, "expires at: %s\n", a.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
	if a.Status == "email_queued" {
		fmt.Fprintln(stdout, "the link was queued for email to the candidate")
	}
	return nil
}
