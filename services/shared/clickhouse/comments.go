package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// Comment is the comment one report carried, with what may be shown
// beside it. It never holds the reporter's key or anything else that
// could tell who wrote it: ID is the report's own random id.
type Comment struct {
	ID      string // the report's id (a UUIDv7)
	Service string
	Time    time.Time
	Symptom string
	Country string
	Text    string
	// Hidden is true when an operator has hidden the comment.
	Hidden bool
}

// CommentFilter selects a service's comments.
type CommentFilter struct {
	Service string
	Since   time.Time
	Limit   int
	// WithHidden includes the comments an operator hid (marked Hidden),
	// for the operator's own listing; pages never ask for them.
	WithHidden bool
}

// hiddenComments is the set of report ids of a service whose comments are
// hidden now; FINAL folds each id's rows to its latest state.
const hiddenComments = "(SELECT report_id FROM comment_hidden FINAL WHERE service = ? AND hidden = 1)"

// Comments returns a service's non-empty comments since f.Since, newest
// first. A retried batch may have stored a report twice until ClickHouse
// merges it away, so rows are grouped by id.
func (s *PageStore) Comments(ctx context.Context, f CommentFilter) ([]Comment, error) {
	if f.Limit < 1 {
		return nil, fmt.Errorf("list comments of %s: limit %d must be at least 1", f.Service, f.Limit)
	}
	q := `SELECT id, max(ts) AS t, any(symptom), any(country), any(comment), id IN ` + hiddenComments + ` AS h
FROM reports
WHERE service = ? AND ts >= toDateTime(?) AND comment != ''
GROUP BY id`
	if !f.WithHidden {
		q += "\nHAVING h = 0"
	}
	// f.Limit is an int, never user text.
	q += fmt.Sprintf("\nORDER BY t DESC, id DESC LIMIT %d", f.Limit)
	rows, err := s.conn.Query(ctx, q, f.Service, f.Service, f.Since.Unix())
	if err != nil {
		return nil, fmt.Errorf("query comments of %s: %w", f.Service, err)
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		c := Comment{Service: f.Service}
		var hidden uint8
		if err := rows.Scan(&c.ID, &c.Time, &c.Symptom, &c.Country, &c.Text, &hidden); err != nil {
			return nil, fmt.Errorf("scan comments of %s: %w", f.Service, err)
		}
		c.Time, c.Hidden = c.Time.UTC(), hidden == 1
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read comments of %s: %w", f.Service, err)
	}
	return out, nil
}

// CommentBetween finds the comment of the report with this id made in
// [from, to] (seconds); found is false when no such report carries a
// comment. Reports are not ordered by id, so the caller bounds the read
// by time (the api package takes the bounds from the id's UUIDv7 time).
func (s *PageStore) CommentBetween(ctx context.Context, id string, from, to time.Time) (c Comment, found bool, err error) {
	q := `SELECT id, any(service), max(ts), any(symptom), any(country), any(comment)
FROM reports
WHERE ts >= toDateTime(?) AND ts <= toDateTime(?) AND id = ? AND comment != ''
GROUP BY id`
	rows, err := s.conn.Query(ctx, q, from.Unix(), to.Unix(), id)
	if err != nil {
		return Comment{}, false, fmt.Errorf("query comment %s: %w", id, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&c.ID, &c.Service, &c.Time, &c.Symptom, &c.Country, &c.Text); err != nil {
			return Comment{}, false, fmt.Errorf("scan comment %s: %w", id, err)
		}
		c.Time, found = c.Time.UTC(), true
	}
	if err := rows.Err(); err != nil {
		return Comment{}, false, fmt.Errorf("read comment %s: %w", id, err)
	}
	if !found {
		return Comment{}, false, nil
	}
	// Whether it is hidden now, for the operator's answer.
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+hiddenComments+" WHERE report_id = ?", c.Service, id).Scan(&n); err != nil {
		return Comment{}, false, fmt.Errorf("query whether comment %s is hidden: %w", id, err)
	}
	c.Hidden = n > 0
	return c, true, nil
}

// SetCommentHidden hides (or shows again) the comment c. Each call writes
// a row whose version is the time of the call, so the latest call wins.
func (s *PageStore) SetCommentHidden(ctx context.Context, c Comment, hidden bool, at time.Time) error {
	// An INSERT … VALUES with bound arguments hangs on ClickHouse 18.16;
	// a batch naming its columns works on every version.
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO comment_hidden (service, report_id, hidden, at, version)")
	if err != nil {
		return fmt.Errorf("hide comment %s: %w", c.ID, err)
	}
	var h uint8
	if hidden {
		h = 1
	}
	if err := batch.Append(c.Service, c.ID, h, at.UTC().Truncate(time.Second), uint64(at.UnixNano())); err != nil {
		batch.Abort()
		return fmt.Errorf("hide comment %s: %w", c.ID, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("hide comment %s: %w", c.ID, err)
	}
	return nil
}
