package api

import (
	"context"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// newPartner completes the partner API's options with what the web
// already has (its store, the catalog, the series query
// and the incident JSON), so both APIs count and render the same way.
func (s *Server) newPartner(o Options) (*partner.API, error) {
	if o.Partner == nil {
		return nil, nil
	}
	po := *o.Partner
	po.Log, po.Incidents, po.Catalog = o.Log, o.Store, o.Catalog
	if po.Now == nil {
		po.Now = o.Now
	}
	if po.PublicURL == "" {
		po.PublicURL = o.PublicURL
	}
	po.Series = func(ctx context.Context, service string, from, to time.Time, step time.Duration) ([]partner.Bucket, error) {
		pts, err := s.store.Series(ctx, service, from, to, step)
		if err != nil {
			return nil, err
		}
		out := make([]partner.Bucket, len(pts))
		for i, p := range pts {
			out[i] = partner.Bucket{T: p.T, Reports: p.Reports, Reporters: p.Reporters, Expected: toPointJSON(p).Expected}
		}
		return out, nil
	}
	po.Symptoms = func(ctx context.Context, service string, from, to time.Time) ([]partner.SymptomCount, error) {
		bs, err := s.store.Breakdown(ctx, service, BySymptom, from, to)
		if err != nil {
			return nil, err
		}
		out := make([]partner.SymptomCount, len(bs))
		for i, b := range bs {
			out[i] = partner.SymptomCount{Symptom: b.Key, Reports: b.Reports, Reporters: b.Reporters}
		}
		return out, nil
	}
	po.IncidentJSON = func(in lapor.Incident) any { return toIncidentJSON(in) }
	return partner.New(po)
}
