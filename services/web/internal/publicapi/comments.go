package publicapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

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

// It answers a service's latest visible comments, newest
// first. One read of read.MaxComments per service is cached and cut to each
// request's limit, so odd limits cannot each cost a query.
// HandleComments answers GET /api/v1/services/{slug}/comments.
func (a *API) HandleComments(c *gin.Context) {
	svc, found := a.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	limit, valid := httpapi.Limit(c, DefaultComments, read.MaxComments)
	if !valid {
		return
	}
	b, err := a.comments.Body(c.Request.Context(), svc.Slug, strconv.Itoa(limit), func(ctx context.Context) (commentsJSON, error) {
		return a.loadComments(ctx, svc.Slug)
	}, func(all commentsJSON) (any, error) {
		if len(all.Comments) > limit {
			all.Comments = all.Comments[:limit]
		}
		return all, nil
	})
	a.answer(c, "read comments", b, err)
}

func (a *API) loadComments(ctx context.Context, slug string) (commentsJSON, error) {
	since := a.now().UTC().Add(-read.CommentWindow).Truncate(time.Second)
	list, err := a.read.Comments(ctx, read.CommentFilter{Service: slug, Since: since, Limit: read.MaxComments})
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
