package lapor_test

import (
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

func TestNetwork(t *testing.T) {
	tests := []struct {
		name    string
		network string
		ok      bool
	}{
		{"none, as before networks were kept", "", true},
		{"a key", strings.Repeat("a", 32), true},
		{"the longest key", strings.Repeat("a", lapor.MaxKeyBytes), true},
		{"too long", strings.Repeat("a", lapor.MaxKeyBytes+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lapor.Report{ID: "id", Service: "gojek", Symptom: "login", Time: time.Unix(1, 0).UTC(), Reporter: "k", Network: tt.network}
			if err := r.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			v, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := lapor.DecodeReport(v)
			if err != nil || got.Network != tt.network {
				t.Fatalf("decoded network %q (%v), want %q", got.Network, err, tt.network)
			}
			if tt.network == "" && strings.Contains(v, "network") {
				t.Fatalf("encoded %s: an empty network should be left out", v)
			}
		})
	}
}
