// Package api carries Lapor's HTTP contract, api/openapi.yaml, so that the
// services can serve it and their tests can check responses against it.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document of Lapor's HTTP API.
//
//go:embed openapi.yaml
var OpenAPI []byte
