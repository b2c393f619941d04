package publicapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/web/internal/read"
)

// An encoded answer is exactly the bytes gin's c.JSON wrote for it before.
func TestWriteIsWhatCJSONWrote(t *testing.T) {
	since := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, v := range []any{
		gin.H{"services": []serviceJSON{{Status: ServiceOK, Since: &since, Elevated: &elevatedJSON{Minutes: 5, Expected: 1.5}}}},
		seriesJSON{Service: "a<b>&c", Points: []pointJSON{{T: since, Expected: read.Known(0.1 + 0.2)}}},
		commentsJSON{Comments: []commentJSON{{Text: "\u2028 <script> \"quoted\" é"}}},
	} {
		gin.SetMode(gin.ReleaseMode)
		old := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(old)
		c.JSON(http.StatusOK, v)
		b, err := read.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		now := httptest.NewRecorder()
		c, _ = gin.CreateTestContext(now)
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		write(c, b)
		if !bytes.Equal(now.Body.Bytes(), old.Body.Bytes()) || now.Header().Get("Content-Type") != old.Header().Get("Content-Type") {
			t.Errorf("wrote %s (%s)\nc.JSON %s (%s)", now.Body, now.Header().Get("Content-Type"), old.Body, old.Header().Get("Content-Type"))
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"x-gzip", true},
		{"identity", false},
		{"*", false},
		{"deflate, gzipx", false},
	} {
		if got := acceptsGzip(tt.header); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestETagMatch(t *testing.T) {
	const etag = `W/"abc"`
	for _, tt := range []struct {
		header string
		want   bool
	}{
		{`W/"abc"`, true},
		{`"abc"`, true}, // weak comparison
		{`"x", W/"abc"`, true},
		{`*`, true},
		{`"abd"`, false},
		{`abc`, false},
	} {
		if got := etagMatch(tt.header, etag); got != tt.want {
			t.Errorf("etagMatch(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
