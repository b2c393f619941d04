package read

// Internals the external tests check directly.
var UUIDV7Time = uuidV7Time

// ReportIDWindow is how far a report's time may lie from its id's.
const ReportIDWindow = reportIDWindow
