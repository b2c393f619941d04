package api

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// Limits of the comments endpoint.
const (
	DefaultComments = 20
	MaxComments     = 100
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

// plainText drops control characters other than newline and tab. Ingest
// refuses them already; this keeps any that reached storage another way
// (an older ingest, a hand-written row) off the pages.
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

type commentJSON struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Symptom string    `json:"symptom"`
	Country string    `json:"country"`
	Text    string    `json:"text"`
}

type commentsJSON struct {
	Service  string        `json:"service"`
	Since    time.Time     `json:"since"`
	Comments []commentJSON `json:"comments"`
}

// handleComments answers a service's latest visible comments, newest
// first. One read of MaxComments per service is cached and cut to each
// request's limit, so odd limits cannot each cost a query.
func (s *Server) handleComments(c *gin.Context) {
	svc, found := s.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	limit, valid := httpapi.Limit(c, DefaultComments, MaxComments)
	if !valid {
		return
	}
	all, err := s.comments.Get(c.Request.Context(), svc.Slug, func(ctx context.Context) (commentsJSON, error) {
		return s.loadComments(ctx, svc.Slug)
	})
	if err != nil {
		s.storeError(c, "read comments", err)
		return
	}
	out := all
	if len(out.Comments) > limit {
		out.Comments = out.Comments[:limit]
	}
	ok(c, out)
}

func (s *Server) loadComments(ctx context.Context, slug string) (commentsJSON, error) {
	since := s.now().UTC().Add(-CommentWindow).Truncate(time.Second)
	list, err := s.store.Comments(ctx, CommentFilter{Service: slug, Since: since, Limit: MaxComments})
	if err != nil {
		return commentsJSON{}, err
	}
	out := commentsJSON{Service: slug, Since: since, Comments: make([]commentJSON, 0, len(list))}
	for _, cm := range list {
		text := strings.TrimSpace(plainText(cm.Text))
		if text == "" {
			continue
		}
		out.Comments = append(out.Comments, commentJSON{ID: cm.ID, Time: cm.Time, Symptom: cm.Symptom, Country: cm.Country, Text: text})
	}
	return out, nil
}
