package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/web/internal/read"
)

// commentsUsage is printed for a missing or unknown comments action.
const commentsUsage = `usage:
  web comments list -service SLUG [-limit 50]
  web comments hide REPORT-ID
  web comments unhide REPORT-ID`

// defaultCommentsList is how many comments "comments list" shows.
const defaultCommentsList = 50

// runComments is the admin command for readers' comments: args are what
// follows "comments". A comment is named by its report's id, the id the
// public comments API shows, so an operator hides what readers see. Pages
// cache their comments for a few seconds, so a hidden one leaves them
// within that time.
func runComments(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(commentsUsage)
	}
	action, args := args[0], args[1:]
	var common config.Common
	var service string
	var limit int
	l := config.New("web comments "+action, getenv, stderr)
	l.BindCommon(&common)
	switch action {
	case "list":
		l.String(&service, "service", "", "the service's slug")
		l.Int(&limit, "limit", defaultCommentsList, fmt.Sprintf("newest comments to show, hidden ones included (1 to %d)", read.MaxComments))
	case "hide", "unhide":
	default:
		return fmt.Errorf("unknown comments action %q\n%s", action, commentsUsage)
	}
	err := l.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rest := l.FlagSet().Args()
	if (action != "list") != (len(rest) == 1) {
		return fmt.Errorf("unexpected arguments %q\n%s", rest, commentsUsage)
	}
	if action == "list" {
		if limit < 1 || limit > read.MaxComments {
			return fmt.Errorf("-limit %d: must be from 1 to %d", limit, read.MaxComments)
		}
		cat, err := catalog.Load()
		if err != nil {
			return fmt.Errorf("load catalog: %w", err)
		}
		if _, ok := cat.Get(service); !ok {
			return fmt.Errorf("-service %q: no such service in the catalog\n%s", service, commentsUsage)
		}
	}
	conn, err := clickhouse.Open(ctx, common)
	if err != nil {
		return err
	}
	defer conn.Close()
	store := read.NewStore(clickhouse.NewPageStore(conn))

	if action == "list" {
		since := time.Now().Add(-read.CommentWindow)
		list, err := store.Comments(ctx, read.CommentFilter{Service: service, Since: since, Limit: limit, WithHidden: true})
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTIME\tSYMPTOM\tCOUNTRY\tHIDDEN\tTEXT")
		for _, c := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Time.UTC().Format(time.RFC3339), c.Symptom, dash(c.Country), yesNo(c.Hidden), quoted(c.Text))
		}
		return w.Flush()
	}

	id := rest[0]
	c, found, err := store.CommentByID(ctx, id)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no report %s with a comment", id)
	}
	hide := action == "hide"
	if err := store.SetCommentHidden(ctx, c, hide, time.Now()); err != nil {
		return err
	}
	verb := "hid"
	if !hide {
		verb = "showed again"
	}
	fmt.Fprintf(stdout, "%s the comment of report %s (%s, %s): %s\n", verb, c.ID, c.Service, c.Time.UTC().Format(time.RFC3339), quoted(c.Text))
	return nil
}

// quoted writes a comment on one line, with any newline, tab or stray
// control character escaped, so that text cannot forge table rows or
// drive the operator's terminal.
func quoted(s string) string { return strconv.Quote(s) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
