package server

// IsAPIPath is isAPIPath, for the external tests.
var IsAPIPath = isAPIPath
