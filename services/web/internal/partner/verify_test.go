package partner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/client"
)

// verifyLapor is the function the docs page shows (docsVerifyFunc),
// compiled here so that it is checked against the real signer.
// TestDocsVerifyGoIsTested keeps the two identical.

// verifyLapor reports whether a webhook delivery is genuine and fresh. Pass
// the raw body, as received, before any JSON decoding.
func verifyLapor(secret string, h http.Header, body []byte, now time.Time) bool {
	ts := h.Get("Lapor-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	// Refuse old (replayed) and far-future deliveries.
	if d := now.Sub(time.Unix(secs, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	// The signed string is the timestamp as sent, a dot, the raw body.
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	// Several comma-separated signatures may come while a secret rotates.
	for _, part := range strings.Split(h.Get("Lapor-Signature"), ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(v); err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestDocsVerifyGoIsTested(t *testing.T) {
	src, err := os.ReadFile("verify_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), docsVerifyFunc) {
		t.Error("the docs' Go snippet (docsVerifyFunc) differs from verifyLapor in verify_test.go; keep them identical")
	}
	if !strings.HasSuffix(docsVerifyGo, docsVerifyFunc) {
		t.Error("docsVerifyGo does not end with docsVerifyFunc")
	}
}

// signed is a delivery's headers as the webhook dispatcher sets them:
// Lapor-Timestamp and Lapor-Signature (client.Sign) from the same instant.
func signed(secret string, at time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(client.TimestampHeader, strconv.FormatInt(at.Unix(), 10))
	h.Set(client.SignatureHeader, client.Sign(secret, at, body))
	return h
}

func TestDocsVerifyGo(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"id":"ev_1","kind":"opened","service":"whatsapp","note":"caf\u00e9 ☕"}`)
	at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	good := signed(secret, at, body)
	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		want   bool
	}{
		{"genuine", secret, good, body, at, true},
		{"4 minutes late", secret, good, body, at.Add(4 * time.Minute), true},
		{"clock 4 minutes behind", secret, good, body, at.Add(-4 * time.Minute), true},
		{"6 minutes late", secret, good, body, at.Add(6 * time.Minute), false},
		{"6 minutes early", secret, good, body, at.Add(-6 * time.Minute), false},
		{"body changed", secret, good, []byte(strings.Replace(string(body), "opened", "closed", 1)), at, false},
		{"wrong secret", "whsec_other", good, body, at, false},
		{"rotation: old secret first", secret, header(good.Get(client.TimestampHeader), client.Sign("whsec_old", at, body)+", "+good.Get(client.SignatureHeader)), body, at, true},
		{"timestamp changed", secret, header(strconv.FormatInt(at.Unix()+1, 10), good.Get(client.SignatureHeader)), body, at, false},
		{"no v1= prefix", secret, header(good.Get(client.TimestampHeader), strings.TrimPrefix(good.Get(client.SignatureHeader), "v1=")), body, at, false},
		{"no timestamp", secret, header("", good.Get(client.SignatureHeader)), body, at, false},
		{"no signature", secret, header(good.Get(client.TimestampHeader), ""), body, at, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifyLapor(tc.secret, tc.header, tc.body, tc.now); got != tc.want {
				t.Errorf("verifyLapor = %v, want %v", got, tc.want)
			}
		})
	}
}

func header(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set(client.TimestampHeader, ts)
	}
	if sig != "" {
		h.Set(client.SignatureHeader, sig)
	}
	return h
}
