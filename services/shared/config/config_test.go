package config_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/config"
)

func TestLoader(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr bool
		check   func(t *testing.T, s settings)
	}{
		{"defaults", nil, nil, false, func(t *testing.T, s settings) {
			if s.addr != ":8080" || s.n != 3 || s.d != time.Second || len(s.list) != 0 {
				t.Fatalf("got %+v", s)
			}
		}},
		{"env", map[string]string{"LAPOR_HTTP_ADDR": ":9", "LAPOR_BATCH_SIZE": "7", "LAPOR_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}, nil, false, func(t *testing.T, s settings) {
			if s.addr != ":9" || s.n != 7 || len(s.list) != 2 || s.list[1] != "::1" {
				t.Fatalf("got %+v", s)
			}
		}},
		{"flag beats env", map[string]string{"LAPOR_BATCH_SIZE": "7"}, []string{"-batch-size", "9"}, false, func(t *testing.T, s settings) {
			if s.n != 9 {
				t.Fatalf("got %d", s.n)
			}
		}},
		{"bad env int", map[string]string{"LAPOR_BATCH_SIZE": "seven"}, nil, true, nil},
		{"bad env duration", map[string]string{"LAPOR_FLUSH": "soon"}, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := config.New("x", func(k string) string { return tt.env[k] }, io.Discard)
			var s settings
			l.String(&s.addr, "http-addr", ":8080", "")
			l.Int(&s.n, "batch-size", 3, "")
			l.Duration(&s.d, "flush", time.Second, "")
			l.List(&s.list, "trusted-proxies", "", "")
			err := l.Parse(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

type settings struct {
	addr string
	n    int
	d    time.Duration
	list []string
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr bool
	}{
		{"none", []string{"-n", "2"}, "", false},
		{"before the flags", []string{"migrate", "-n", "2"}, "migrate", false},
		{"after the flags", []string{"-n", "2", "migrate"}, "migrate", false},
		{"unknown word", []string{"serve"}, "", true},
		{"two words", []string{"migrate", "migrate"}, "", true},
		{"stray word after a command", []string{"migrate", "now"}, "", true},
		{"help", []string{"-h"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := config.New("x", func(string) string { return "" }, io.Discard)
			var n int
			l.Int(&n, "n", 0, "")
			got, err := l.ParseCommand(tt.args, "migrate")
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseCommand(%q) = %q, %v; want %q, error %v", tt.args, got, err, tt.want, tt.wantErr)
			}
			if !tt.wantErr && n != 2 {
				t.Fatalf("flag n = %d, want 2", n)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"from env", map[string]string{"LAPOR_API_SECRET": "env-secret-value"}, nil, "env-secret-value"},
		{"flag beats env", map[string]string{"LAPOR_API_SECRET": "env-secret-value"}, []string{"-api-secret", "flag-secret-value"}, "flag-secret-value"},
		{"unset", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var help strings.Builder
			l := config.New("x", func(k string) string { return tt.env[k] }, &help)
			var got string
			l.Secret(&got, "api-secret", "a secret")
			if err := l.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("secret = %q, want %q", got, tt.want)
			}
			l.FlagSet().PrintDefaults()
			if strings.Contains(help.String(), "secret-value") || !strings.Contains(help.String(), "api-secret") {
				t.Errorf("help shows the value or not the flag:\n%s", help.String())
			}
		})
	}
}
