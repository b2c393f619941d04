// Package stream names the Redis streams and groups the services share, so
// that producer and consumer can never disagree about them.
package stream

const (
	// Reports is the stream ingest appends reports to.
	Reports = "lapor:reports"
	// ReportsGroup is the worker consumer group on Reports.
	ReportsGroup = "workers"
	// ReportField is the entry field holding the encoded report.
	ReportField = "r"
	// DeadLetter keeps entries the worker can never write, with the reason.
	DeadLetter = "lapor:reports:dead"
	// Alerts is the stream the detector publishes alert events to.
	Alerts = "lapor:alerts"
	// AlertField is the entry field holding the encoded alert event.
	AlertField = "e"
)
