// Package contract checks HTTP responses against api/openapi.yaml in
// tests: an undocumented path or status, a missing header, or a body that
// breaks its schema fails the test.
package contract

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lapor/lapor/api"
)

var (
	once   sync.Once
	router routers.Router
	errLd  error
)

// load parses the embedded document once.
func load() (routers.Router, error) {
	once.Do(func() {
		// Pages, feeds, images and streams are checked for status and
		// headers; their bodies are plain strings to the contract.
		for _, ct := range []string{"text/html", "image/png", "text/event-stream", "application/atom+xml", "application/rss+xml", "application/yaml"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI)
		if err != nil {
			errLd = fmt.Errorf("load api/openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			errLd = fmt.Errorf("validate api/openapi.yaml: %w", err)
			return
		}
		// Match paths whatever host the test server has.
		doc.Servers = nil
		router, errLd = gorillamux.NewRouter(doc)
	})
	return router, errLd
}

// Check fails t when the response (status, header, body) to req does not
// match the contract. A gzip-encoded body is checked as what it decodes
// to. A 304 (Not Modified) must answer a conditional GET, carry its
// validator and no body, and be one the document lists for the path.
func Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if status == http.StatusNotModified {
		if req.Method != http.MethodGet || req.Header.Get("If-None-Match") == "" || header.Get("ETag") == "" || len(body) != 0 {
			t.Errorf("%s %s: 304 to a request without If-None-Match, or without ETag, or with a body (%d bytes)", req.Method, req.URL, len(body))
			return
		}
	}
	if header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			t.Errorf("%s %s: gzip body does not decode: %v", req.Method, req.URL, err)
			return
		}
	}
	r, err := load()
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := r.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in api/openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	// kin-openapi never validates a 304, so its being listed is checked here.
	if status == http.StatusNotModified && route.Operation.Responses.Value("304") == nil {
		t.Errorf("%s %s: 304, which api/openapi.yaml does not list for this path", req.Method, req.URL)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: response %d breaks api/openapi.yaml: %v\nbody: %.2000s", req.Method, req.URL, status, err, body)
	}
}

// Transport is an http.RoundTripper that checks every response against the
// contract before handing it on; event streams are checked for status and
// headers only, since their bodies do not end.
type Transport struct {
	T    testing.TB
	Base http.RoundTripper // http.DefaultTransport when nil
}

// RoundTrip implements http.RoundTripper.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == "text/event-stream" {
		Check(tr.T, req, resp.StatusCode, resp.Header, nil)
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	Check(tr.T, req, resp.StatusCode, resp.Header, body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
