// Package reference is what each benchmark of Lapor is measured against in
// the same run: a bare gin handler that decodes a report's JSON and answers
// 202, the ceiling for the ingest on this machine, and gin serving fixed
// bytes, the ceiling for the read API. It runs in a child process of its
// own (see Serve), as the services do, so that it competes for the CPU on
// the same terms.
package reference

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

// Static is one answer the reference serves as it is: the bytes the web
// gave for Path, with the headers that say what they are.
type Static struct {
	Path            string `json:"path"`
	ContentType     string `json:"content_type"`
	ContentEncoding string `json:"content_encoding,omitempty"`
	Body            []byte `json:"body"`
}

// ReportPath is where the ceiling takes reports, as the ingest does.
const ReportPath = "/api/v1/reports"

// report is the report's JSON body, the fields the ingest reads.
type report struct {
	Service  string          `json:"service"`
	Symptom  string          `json:"symptom"`
	Comment  json.RawMessage `json:"comment"`
	Platform string          `json:"platform"`
}

// Handler is the reference server: POST ReportPath decodes the report
// and answers 202 with an id, as the ingest's answer has; each static
// path answers its bytes.
func Handler(static []Static) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST(ReportPath, func(c *gin.Context) {
		var rep report
		if err := c.ShouldBindJSON(&rep); err != nil || rep.Service == "" || rep.Symptom == "" {
			c.JSON(http.StatusBadRequest, gin.H{"error": "malformed report"})
			return
		}
		var id [16]byte
		for i := range id {
			id[i] = byte(rand.Uint32())
		}
		c.JSON(http.StatusAccepted, gin.H{"id": hex.EncodeToString(id[:]), "counted": true})
	})
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	for _, s := range static {
		r.GET(s.Path, func(c *gin.Context) {
			if s.ContentEncoding != "" {
				c.Header("Content-Encoding", s.ContentEncoding)
			}
			c.Data(http.StatusOK, s.ContentType, s.Body)
		})
	}
	return r
}

// WriteManifest saves the static answers for a child's Serve.
func WriteManifest(path string, static []Static) error {
	b, err := json.Marshal(static)
	if err != nil {
		return fmt.Errorf("encode static answers: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write static answers: %w", err)
	}
	return nil
}

// Serve runs the reference on addr until ctx ends, with the static
// answers saved at manifest (none when empty).
func Serve(ctx context.Context, addr, manifest string) error {
	var static []Static
	if manifest != "" {
		b, err := os.ReadFile(manifest)
		if err != nil {
			return fmt.Errorf("read static answers: %w", err)
		}
		if err := json.Unmarshal(b, &static); err != nil {
			return fmt.Errorf("decode static answers %s: %w", manifest, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: Handler(static), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
