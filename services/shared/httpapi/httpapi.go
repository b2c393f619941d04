// Package httpapi holds what every Lapor HTTP service shares: the one error
// response shape, health endpoints, the gin engine set-up and a server that
// shuts down cleanly when its context ends.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// ErrorDetail says what is wrong with a request.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// Abort answers with the error shape and stops the handler chain.
func Abort(c *gin.Context, status int, code, message, field string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Field: field}})
}

// AbortRetry is Abort with a Retry-After header, for 429 and 503.
func AbortRetry(c *gin.Context, status int, retryAfter time.Duration, code, message string) {
	secs := int(retryAfter.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	Abort(c, status, code, message, "")
}

// Limit reads the limit query parameter: def when absent, else a whole
// number from 1 to max. Anything else answers 400 with field "limit" and
// returns false.
func Limit(c *gin.Context, def, max int) (int, bool) {
	v := c.Query("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		Abort(c, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("limit must be a whole number from 1 to %d", max), "limit")
		return 0, false
	}
	return n, true
}

// Unavailable answers 503 "unavailable" with Retry-After when a
// dependency failed rather than the request, and logs what was being
// done; only at debug level when the client had already gone, as the
// failure is then its leaving, not the dependency.
func Unavailable(c *gin.Context, log *slog.Logger, retryAfter time.Duration, what string, err error) {
	if c.Request.Context().Err() != nil {
		log.Debug(what, "path", c.FullPath(), "err", err)
	} else {
		log.Error(what, "path", c.FullPath(), "err", err)
	}
	AbortRetry(c, http.StatusServiceUnavailable, retryAfter, "unavailable", "service temporarily unavailable; retry later")
}

// NewEngine returns a gin engine in release mode that trusts client-address
// headers only from the given proxies (none when the list is empty). A path
// no route has is answered 404 not_found, and a known path with another
// method 405 method_not_allowed, both in the error shape; a router may
// replace the 404 with its own NoRoute (the web's pages do).
func NewEngine(log *slog.Logger, trustedProxies []string) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(trustedProxies); err != nil {
		return nil, fmt.Errorf("set trusted proxies: %w", err)
	}
	// gin would answer /healthz/ or /HEALTHZ with a 301 and an HTML body:
	// an API client gets nothing from a redirect but a second request, and
	// a redirected POST loses its body in many clients. The path is wrong,
	// so it is a 404 like any other.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.Use(recoverJSON(log))
	r.NoRoute(NotFound)
	r.NoMethod(func(c *gin.Context) {
		Abort(c, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this endpoint", "")
	})
	return r, nil
}

// NotFound answers 404 not_found in the error shape: what NewEngine's
// engine answers for a path no route has.
func NotFound(c *gin.Context) {
	Abort(c, http.StatusNotFound, "not_found", "no such endpoint", "")
}

func recoverJSON(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("handler panic", "path", c.FullPath(), "panic", fmt.Sprint(v))
				Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
			}
		}()
		c.Next()
	}
}

// Health registers /healthz (the process is alive: its main loop goes
// round, as live reports; nil when answering HTTP is the main loop) and
// /readyz (its dependencies answer, as ready reports). A liveness check
// (Kubernetes restarts the process) reads /healthz; a dependency that is
// down makes a service unready, never dead. Why a check fails goes to the
// log, not the answer: it can name internal addresses.
func Health(r gin.IRoutes, log *slog.Logger, ready func(context.Context) error, live func() error) {
	r.GET("/healthz", func(c *gin.Context) {
		if live != nil {
			if err := live(); err != nil {
				log.Error("not alive", "err", err)
				Abort(c, http.StatusServiceUnavailable, "stalled", "the service's main loop has stopped going round", "")
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			log.Warn("not ready", "err", err)
			Abort(c, http.StatusServiceUnavailable, "not_ready", "a dependency does not answer", "")
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
}

// Serve runs an HTTP server on ln until ctx ends, then drains in-flight
// requests for up to grace.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	log.Info("http server stopped")
	return nil
}

// HealthOnly is the whole router of a service whose only endpoints are
// /healthz and /readyz (the worker, the detector).
func HealthOnly(log *slog.Logger, ready func(context.Context) error, live func() error) (http.Handler, error) {
	r, err := NewEngine(log, nil)
	if err != nil {
		return nil, err
	}
	Health(r, log, ready, live)
	return r, nil
}

// Heartbeat is when a service's main loop last went round, for /healthz:
// a loop that is stuck (a deadlock, a call that never returns) makes the
// process dead, to be restarted, where a dependency that is down only
// makes it unready. The zero Heartbeat has never beaten; NewHeartbeat
// starts it now.
type Heartbeat struct{ ns atomic.Int64 }

// NewHeartbeat returns a heartbeat that beat just now.
func NewHeartbeat() *Heartbeat {
	h := &Heartbeat{}
	h.Beat()
	return h
}

// Beat records that the loop went round.
func (h *Heartbeat) Beat() { h.ns.Store(time.Now().UnixNano()) }

// Check fails when the last beat is more than limit ago.
func (h *Heartbeat) Check(limit time.Duration) error {
	if age := time.Since(time.Unix(0, h.ns.Load())); age > limit {
		return fmt.Errorf("main loop last went round %s ago (limit %s)", age.Round(time.Second), limit)
	}
	return nil
}

// ServeAlongside runs an HTTP server on ln next to a service's main loop.
// Whichever stops first stops the other, and both have finished before it
// returns, so a loop's final flush is never cut short.
func ServeAlongside(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, loop func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	httpDone := make(chan error, 1)
	go func() {
		err := Serve(ctx, ln, h, log, 5*time.Second)
		cancel()
		httpDone <- err
	}()
	lerr := loop(ctx)
	cancel()
	return errors.Join(lerr, <-httpDone)
}
