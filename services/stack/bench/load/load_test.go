package load_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/stack/bench/load"
	"github.com/lapor/lapor/services/stack/bench/reference"
)

// TestRun drives the reference's report handler: every request answered,
// by status, with latencies; a malformed body is counted as its 400.
func TestRun(t *testing.T) {
	srv := httptest.NewServer(reference.Handler(nil))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	req := func(i int64, buf []byte) []byte {
		body := `{"service":"whatsapp","symptom":"login","platform":"web"}`
		if i%10 == 9 {
			body = `{"service":`
		}
		buf = append(buf, "POST "+reference.ReportPath+" HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nContent-Length: "...)
		buf = append(buf, []byte(strconv.Itoa(len(body))+"\r\n\r\n"+body)...)
		return buf
	}
	res, err := load.Run(context.Background(), load.Config{Addr: addr, Conns: 4, Duration: 300 * time.Millisecond, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failures != 0 || res.Statuses[http.StatusAccepted] == 0 || res.Statuses[http.StatusBadRequest] == 0 {
		t.Fatalf("answers %s", res.StatusLine())
	}
	if got := res.Statuses[http.StatusAccepted] + res.Statuses[http.StatusBadRequest]; got != res.Requests {
		t.Errorf("statuses add up to %d, want %d", got, res.Requests)
	}
	if p50, p99 := res.Quantile(0.5), res.Quantile(0.99); p50 <= 0 || p99 < p50 {
		t.Errorf("p50 %s, p99 %s", p50, p99)
	}

	// Paced: about rate × duration requests.
	res, err = load.Run(context.Background(), load.Config{Addr: addr, Conns: 4, Duration: 500 * time.Millisecond, Rate: 200, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 50 || res.Requests > 110 {
		t.Errorf("paced at 200/s for 0.5 s: %d requests", res.Requests)
	}
}
