package read

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
)

// Limits of comment reads.
const (
	// MaxComments is the most comments one read lists.
	MaxComments = 100
	// CommentWindow is how far back the comments of a service are read:
	// reports are ordered by service and time, not by whether they carry
	// a comment, so the read is bounded by time, and a week-old comment
	// says little about a service now.
	CommentWindow = 7 * 24 * time.Hour
)

// Comment is the comment one report carried, with what may be shown
// beside it (clickhouse.Comment).
type Comment = clickhouse.Comment

// CommentFilter selects a service's comments (clickhouse.CommentFilter).
type CommentFilter = clickhouse.CommentFilter

// ErrNotReportID is returned for an id that cannot be a report's: ingest
// makes every report id a UUIDv7.
var ErrNotReportID = errors.New("not a report id (a UUIDv7 such as 0192f1a2-7b3c-7d4e-8f90-123456789abc)")

// reportIDWindow is how far a report's time may lie from the time in its
// id: ingest takes both from one clock a moment apart, so this is slack.
const reportIDWindow = time.Hour

// CommentByID finds the comment of the report with this id; found is false
// when no such report carries a comment. The time in the UUIDv7 bounds the
// read to a few partitions, since reports are not ordered by id.
func (s *Store) CommentByID(ctx context.Context, id string) (c Comment, found bool, err error) {
	at, ok := uuidV7Time(id)
	if !ok {
		return Comment{}, false, ErrNotReportID
	}
	return s.PageStorage.CommentBetween(ctx, id, at.Add(-reportIDWindow), at.Add(reportIDWindow))
}

// uuidV7Time returns the time a canonical UUIDv7 was made at (its first 48
// bits are unix milliseconds); ok is false for anything else.
func uuidV7Time(id string) (time.Time, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' || id[14] != '7' {
		return time.Time{}, false
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(raw) != 16 || raw[8]&0xc0 != 0x80 { // RFC 9562 variant
		return time.Time{}, false
	}
	var ms int64
	for _, b := range raw[:6] {
		ms = ms<<8 | int64(b)
	}
	return time.UnixMilli(ms).UTC(), true
}
