package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/lapor/lapor/services/shared/httpapi"
)

// routes is every HTTP endpoint the worker serves: only health.
func routes(log *slog.Logger, ready func(context.Context) error) (http.Handler, error) {
	r, err := httpapi.NewEngine(log, nil)
	if err != nil {
		return nil, err
	}
	httpapi.Health(r, ready)
	return r, nil
}
