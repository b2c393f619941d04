package read

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// minGzip is the smallest body worth compressing: below it, gzip's own
// header and trailer eat most of what it saves.
const minGzip = 512

// ErrEncode wraps the error of an answer that cannot be written as JSON
// (a NaN, say): the server's fault, not the store's.
var ErrEncode = errors.New("encode answer")

// gzipWriters are reused: a gzip.Writer allocates most of a megabyte,
// which uncached answers (a new range each request) would otherwise
// allocate per request.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression) // a valid level never fails
	return zw
}}

// Body is an answer encoded once, to be written as it is by every request
// that asks for it: its JSON (exactly json.Marshal's bytes, as gin's
// c.JSON writes them), an ETag naming those bytes, and its gzip, made on
// first demand.
type Body struct {
	JSON []byte
	// ETag is a weak validator (W/"…", a hash of JSON): weak, because the
	// JSON and its gzip are the same answer under two encodings.
	ETag string

	gzOnce sync.Once
	gz     []byte
}

// Encode returns v's JSON as a Body.
func Encode(v any) (*Body, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncode, err)
	}
	sum := sha256.Sum256(b)
	return &Body{JSON: b, ETag: `W/"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// Gzip returns the JSON gzip-compressed, made the first time it is asked
// for; nil when the body is too small to be worth it.
func (b *Body) Gzip() []byte {
	b.gzOnce.Do(func() {
		if len(b.JSON) < minGzip {
			return
		}
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		// Writes to a bytes.Buffer do not fail.
		zw.Write(b.JSON)
		zw.Close()
		gzipWriters.Put(zw)
		if buf.Len() < len(b.JSON) {
			b.gz = buf.Bytes()
		}
	})
	return b.gz
}
