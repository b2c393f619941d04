package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/lapor/lapor/services/shared/httpapi"
)

// routes is every HTTP endpoint the worker serves: only its health.
func routes(log *slog.Logger, ready func(context.Context) error, live func() error) (http.Handler, error) {
	return httpapi.HealthOnly(log, ready, live)
}
