package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/lapor/lapor/services/ingest/internal/clientaddr"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/redis"
)

// reportResponse answers a report: counted with its id, or not counted
// and why.
type reportResponse struct {
	ID      string `json:"id"`
	Counted bool   `json:"counted"`
	// Reason says why a report was not counted, so that a client can tell
	// "you already reported" from "your network already counts fully".
	Reason string `json:"reason,omitempty"`
	// RetryAt says, for a duplicate, from when this reporter counts again
	// for the service, so that a person with a new symptom is not left
	// guessing how long "already reported" lasts.
	RetryAt *time.Time `json:"retry_at,omitempty"`
	// Country is where the reporter's address was located (ISO 3166-1
	// alpha-2), told back to them so that a page can say how many others
	// reported from there ("Is it just me?"); empty when unknown. It is
	// the reporter's own location, so no one else learns anything.
	Country string `json:"country,omitempty"`
}

// retryAt is when a reporter refused as a duplicate at now counts again:
// when its dedupe key expires, rounded up to the second so that it is never
// early, or at the next UTC midnight if sooner, as reporter keys (and so
// dedupe keys) change then. Nil when the wait is unknown.
func retryAt(now time.Time, wait time.Duration) *time.Time {
	if wait <= 0 {
		return nil
	}
	at := now.Add(wait)
	if t := at.Truncate(time.Second); !t.Equal(at) {
		at = t.Add(time.Second)
	}
	y, m, d := now.UTC().Date()
	if midnight := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC); midnight.Before(at) {
		at = midnight
	}
	at = at.UTC()
	return &at
}

// Reasons a report is not counted.
const (
	// ReasonDuplicate: this host was already counted for the service in
	// the dedupe window.
	ReasonDuplicate = "duplicate"
	// ReasonNetworkCap: the host's network already counted NetCap
	// reporters for the service in this window.
	ReasonNetworkCap = "network_cap"
)

// handleReport answers a report. Every request is charged to its
// client's and network's rate limits, whatever it holds, and a request
// over a limit is answered 429 whatever it holds, as when the limits ran
// first; so the request is read and checked first, and then charged and,
// when valid and allowed, appended, in one batch with the concurrent
// requests (server.submit).
func (s *server) handleReport() gin.HandlerFunc {
	return func(c *gin.Context) {
		addr := clientaddr.From(c)
		req := redis.IngestRequest{Limit: s.limits.Check(addr)}
		r, p, err := s.readReport(c, addr)
		if err != nil {
			httpapi.Unavailable(c, s.log, retryUnavailable, "make report id", err)
			return
		}
		var invalid error
		if p == nil {
			req.Count = redis.ReportCount{Service: r.Service, Reporter: r.Reporter, Network: r.Network, At: r.Time}
			req.Value, invalid = encode(&r)
		}

		res, err := s.submit.Do(c.Request.Context(), req)
		switch {
		case err != nil:
			// The client has gone; the batch may still append the report.
			httpapi.Unavailable(c, s.log, retryUnavailable, "submit report", err)
			return
		case res.LimitErr != nil:
			s.limits.Unavailable(c, res.LimitErr)
			return
		case !s.limits.Allow(c, res.Limit):
			return
		case p != nil:
			abort(c, p)
			return
		case invalid != nil:
			// Validation should make this impossible; refuse rather than
			// put something the worker would reject into the stream.
			s.log.Error("built an invalid report", "service", r.Service, "err", invalid)
			httpapi.Abort(c, http.StatusUnprocessableEntity, "invalid_report", "the report could not be accepted", "")
			return
		}

		now := r.Time
		switch outcome := res.Append.Outcome; {
		case res.AppendErr != nil:
			httpapi.Unavailable(c, s.log.With("service_slug", r.Service), retryUnavailable, "append report", res.AppendErr)
		case outcome == redis.Duplicate:
			c.JSON(http.StatusOK, reportResponse{Counted: false, Reason: ReasonDuplicate, RetryAt: retryAt(now, res.Append.CountsAgainIn), Country: r.Country})
		case outcome == redis.Capped:
			// Answered like a repeat: the report is fine, it just adds
			// nothing its network has not already said.
			s.log.Debug("network cap reached", "service_slug", r.Service)
			c.JSON(http.StatusOK, reportResponse{Counted: false, Reason: ReasonNetworkCap, Country: r.Country})
		case outcome == redis.Full:
			s.log.Warn("report backlog full; refusing reports")
			httpapi.AbortRetry(c, http.StatusServiceUnavailable, retryOverloaded, "overloaded", "too many reports waiting to be processed; retry later")
		case outcome == redis.Appended:
			c.JSON(http.StatusAccepted, reportResponse{ID: r.ID, Counted: true, Country: r.Country})
		default:
			httpapi.Unavailable(c, s.log.With("service_slug", r.Service), retryUnavailable, "append report", fmt.Errorf("no append outcome (%v)", outcome))
		}
	}
}

// readReport reads, checks and completes the report in c's body: the
// report, or the problem with the request, or an error should no report
// id be made.
func (s *server) readReport(c *gin.Context, addr netip.Addr) (lapor.Report, *problem, error) {
	if p := checkContentType(c.GetHeader("Content-Type")); p != nil {
		return lapor.Report{}, p, nil
	}
	if c.Request.ContentLength > MaxBody {
		return lapor.Report{}, tooLarge, nil
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	req, p := decodeRequest(c.Request.Body)
	if p == nil {
		p = validate(req, s.cat)
	}
	if p != nil {
		return lapor.Report{}, p, nil
	}
	now := s.now().UTC()
	id, err := uuid.NewV7()
	if err != nil {
		return lapor.Report{}, nil, err
	}
	loc := s.geo.Locate(addr)
	return lapor.Report{
		ID:       id.String(),
		Service:  req.Service,
		Symptom:  req.Symptom,
		Time:     now,
		Country:  loc.Country,
		Region:   loc.Region,
		City:     loc.City,
		ASN:      loc.ASN,
		ISP:      loc.ISP,
		Platform: req.Platform,
		Reporter: s.keyer.Key(now, addr),
		// The key the network cap counts by: the detector checks that no
		// single network carries an incident with the same one.
		Network: s.keyer.Network(now, addr),
		Comment: req.Comment,
	}, nil, nil
}

func encode(r *lapor.Report) (string, error) {
	if err := r.Validate(); err != nil {
		return "", fmt.Errorf("validate report: %w", err)
	}
	return r.Encode()
}

func abort(c *gin.Context, p *problem) {
	httpapi.Abort(c, p.status, p.code, p.message, p.field)
}

func (s *server) ready(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		// The detail (addresses) stays in the log, not in a public answer.
		s.log.Warn("not ready", "err", fmt.Errorf("ping redis: %w", err))
		return errors.New("redis unreachable")
	}
	return nil
}

// logRequests logs each request at debug level. It never logs the client
// address or the query string.
func logRequests(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if !log.Enabled(c.Request.Context(), slog.LevelDebug) {
			return
		}
		path := c.FullPath()
		if path == "" {
			path = "(no route)"
		}
		log.Debug("request",
			"method", c.Request.Method,
			"path", path,
			"status", c.Writer.Status(),
			"latency", time.Since(start),
		)
	}
}
