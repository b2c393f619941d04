package detect

import (
	"context"
	"fmt"

	"github.com/lapor/lapor/services/shared/alert"
	"github.com/lapor/lapor/services/shared/incident"
)

// pendingEvent is an event with the exact payload every sink receives.
type pendingEvent struct {
	ev      alert.Event
	payload string
}

// outbox holds what a cycle decided but storage has not taken yet, in the
// order it must be written: events to Redis, then the same events to
// alert_events, and only then the incident states those events announce.
//
// The incident row is the detector's memory across restarts, so it is
// written last: if the process dies before it, the restarted detector
// reads the older state and decides the same change again, publishing the
// event again (a new event ID; the same incident, kind and level). An
// event can be repeated but never lost. Writing the incident first would
// make a crash between the two writes lose the event for good.
type outbox struct {
	publish []pendingEvent               // not yet in the Redis stream
	archive []pendingEvent               // in the stream, not yet in alert_events
	save    map[string]incident.Incident // newest state per incident, after its events
}

func (o *outbox) empty() bool {
	return len(o.publish) == 0 && len(o.archive) == 0 && len(o.save) == 0
}

func (o *outbox) add(events []pendingEvent, incs []incident.Incident) {
	o.publish = append(o.publish, events...)
	if o.save == nil {
		o.save = make(map[string]incident.Incident)
	}
	for _, in := range incs {
		o.save[in.ID] = in // versions rise, so the newest state replaces older ones
	}
}

// Flush writes whatever earlier cycles could not: alert events to the
// Redis stream and alert_events, then incident states. What fails stays
// queued, in order, for the next cycle.
func (d *Detector) Flush(ctx context.Context) error {
	o := &d.out
	for len(o.publish) > 0 {
		p := o.publish[0]
		if _, err := alert.NewLog(d.rdb).Append(ctx, p.payload); err != nil {
			return fmt.Errorf("publish %s event %s for %s: %w", p.ev.Kind, p.ev.ID, p.ev.Service, err)
		}
		o.archive = append(o.archive, p)
		o.publish = o.publish[1:]
	}
	if len(o.archive) > 0 {
		if err := d.archive(ctx, o.archive); err != nil {
			return err
		}
		o.archive = nil
	}
	if len(o.save) > 0 {
		incs := make([]incident.Incident, 0, len(o.save))
		for _, in := range o.save {
			incs = append(incs, in)
		}
		if err := incident.Save(ctx, d.conn, incs); err != nil {
			return err
		}
		clear(o.save)
	}
	return nil
}

// archive inserts events into alert_events. The table folds rows with the
// same id and time, so inserting a batch again after a failure is safe.
func (d *Detector) archive(ctx context.Context, evs []pendingEvent) error {
	batch, err := d.conn.PrepareBatch(ctx, "INSERT INTO alert_events (id, incident_id, service, kind, level, at, count, baseline, payload)")
	if err != nil {
		return fmt.Errorf("prepare alert event batch: %w", err)
	}
	for _, p := range evs {
		e := p.ev
		if err := batch.Append(e.ID, e.IncidentID, e.Service, e.Kind, e.Level, e.At.UTC(), e.Count, e.Baseline, p.payload); err != nil {
			batch.Abort()
			return fmt.Errorf("append alert event %s: %w", e.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert batch of %d alert events: %w", len(evs), err)
	}
	return nil
}
