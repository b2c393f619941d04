package publicapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

// ok answers 200 with v's JSON, encoded for this request alone (answers
// that are not cached), written as cached answers are.
func (a *API) ok(c *gin.Context, v any) {
	b, err := read.Encode(v)
	a.answer(c, "answer", b, err)
}

// answer writes a read's encoded answer (write), or its failure: 503 when
// the store failed (storeError), 500 when the answer could not be
// encoded.
func (a *API) answer(c *gin.Context, what string, b *read.Body, err error) {
	switch {
	case errors.Is(err, read.ErrEncode):
		a.log.Error(what, "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
	case err != nil:
		a.storeError(c, what, err)
	default:
		write(c, b)
	}
}

// write answers 200 with an encoded answer's bytes as they are, the one
// way every JSON answer of this API is written: gzip-compressed when the
// client takes it and it is worth it (Vary: Accept-Encoding), with its
// ETag, and 304 without a body when the client's If-None-Match already
// names it. The bytes are exactly what c.JSON would write.
func write(c *gin.Context, b *read.Body) {
	h := c.Writer.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", b.ETag)
	h.Add("Vary", "Accept-Encoding")
	if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatch(inm, b.ETag) {
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return
	}
	body := b.JSON
	if gz := b.Gzip(); gz != nil && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = gz
	}
	c.Data(http.StatusOK, jsonContentType, body)
}

// jsonContentType is what gin's c.JSON sends.
const jsonContentType = "application/json; charset=utf-8"

// acceptsGzip says whether an Accept-Encoding header takes gzip: named
// (or x-gzip) with a weight other than zero. A bare "*" is not taken as
// gzip; every browser names it.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, "gzip") && !strings.EqualFold(name, "x-gzip") {
			continue
		}
		return !zeroWeight(params)
	}
	return false
}

// zeroWeight says whether an encoding's parameters give it q=0.
func zeroWeight(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			v = strings.TrimRight(strings.TrimSpace(v), "0")
			return v == "0." || v == "0" || v == ""
		}
	}
	return false
}

// etagMatch says whether an If-None-Match header names etag, by the weak
// comparison that If-None-Match uses (RFC 9110, 13.1.2), or is "*".
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// asIs renders a cached answer as it is.
func asIs[T any](v T) (any, error) { return v, nil }
