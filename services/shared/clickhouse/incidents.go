package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
)

const incidentColumns = "id, service, level, status, started_at, updated_at, ended_at, end_reason, peak, peak_at, baseline, last_count, top_symptoms, top_symptom_shares, top_countries, version, span"

// SaveIncidents writes the incidents' current states. Each write carries a version
// that rises with every change, so the newest state wins.
func SaveIncidents(ctx context.Context, conn driver.Conn, incs []lapor.Incident) error {
	if len(incs) == 0 {
		return nil
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO incidents ("+incidentColumns+")")
	if err != nil {
		return fmt.Errorf("prepare incident batch: %w", err)
	}
	for _, in := range incs {
		sym, shares := make([]string, len(in.TopSymptoms)), make([]float64, len(in.TopSymptoms))
		for i, s := range in.TopSymptoms {
			sym[i], shares[i] = s.Symptom, s.Share
		}
		ctry := in.TopCountries
		if ctry == nil {
			ctry = []string{}
		}
		if err := batch.Append(in.ID, in.Service, string(in.Level), string(in.Status), in.StartedAt.UTC(), in.UpdatedAt.UTC(), in.EndedAt.UTC(), string(in.EndReason),
			in.Peak, in.PeakAt.UTC(), in.Baseline, in.LastCount, sym, shares, ctry, in.Version, in.Span); err != nil {
			batch.Abort()
			return fmt.Errorf("append incident %s: %w", in.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert batch of %d incidents: %w", len(incs), err)
	}
	return nil
}

// IncidentFilter selects incidents to list.
type IncidentFilter struct {
	Service  string
	Services []string     // any of these services, when not empty
	Status   lapor.Status // "" for any
	Level    lapor.Level  // "" for any
	Limit    int
	ID       string
	// From and To, when set, keep the incidents that overlap [From, To):
	// started before To, and open or ended (or last changed) after From.
	From, To time.Time
}

// Incidents returns the newest state of the matching incidents, newest first.
func Incidents(ctx context.Context, conn driver.Conn, f IncidentFilter) ([]lapor.Incident, error) {
	var where []string
	var args []any
	if f.Service != "" {
		where = append(where, "service = ?")
		args = append(args, f.Service)
	}
	if len(f.Services) > 0 {
		where = append(where, "has(?, service)")
		args = append(args, f.Services)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.Level != "" {
		where = append(where, "level = ?")
		args = append(args, string(f.Level))
	}
	if f.ID != "" {
		where = append(where, "id = ?")
		args = append(args, f.ID)
	}
	if !f.To.IsZero() {
		where = append(where, "started_at < ?")
		args = append(args, f.To.UTC())
	}
	if !f.From.IsZero() {
		// updated_at too: an incident resolved without its end stored
		// has 1970 as ended_at, and its last change is its end.
		where = append(where, "(status = 'open' OR ended_at > ? OR updated_at > ?)")
		args = append(args, f.From.UTC(), f.From.UTC())
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q := "SELECT " + incidentColumns + " FROM incidents FINAL"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY started_at DESC, id LIMIT %d", limit)
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query incidents: %w", err)
	}
	defer rows.Close()
	var out []lapor.Incident
	for rows.Next() {
		var in lapor.Incident
		// The driver scans into plain strings only.
		var level, status, endReason string
		var sym []string
		var shares []float64
		if err := rows.Scan(&in.ID, &in.Service, &level, &status, &in.StartedAt, &in.UpdatedAt, &in.EndedAt, &endReason,
			&in.Peak, &in.PeakAt, &in.Baseline, &in.LastCount, &sym, &shares, &in.TopCountries, &in.Version, &in.Span); err != nil {
			return nil, fmt.Errorf("scan incident: %w", err)
		}
		in.Level, in.Status, in.EndReason = lapor.Level(level), lapor.Status(status), lapor.EndReason(endReason)
		in.StartedAt, in.UpdatedAt, in.PeakAt = in.StartedAt.UTC(), in.UpdatedAt.UTC(), in.PeakAt.UTC()
		// An open incident, or one resolved before its end was stored,
		// has 1970 as ended_at: the domain spells that as no end.
		if in.EndedAt.Unix() <= 0 {
			in.EndedAt = time.Time{}
		} else {
			in.EndedAt = in.EndedAt.UTC()
		}
		in.TopSymptoms = make([]lapor.SymptomShare, len(sym))
		for i, s := range sym {
			in.TopSymptoms[i].Symptom = s
			if i < len(shares) {
				in.TopSymptoms[i].Share = shares[i]
			}
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	return out, nil
}
