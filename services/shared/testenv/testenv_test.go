package testenv

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// fakeRedis answers each command with the next of answers, then closes.
func fakeRedis(t *testing.T, answers ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for _, a := range answers {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = bufio.NewReader(c).ReadString('\n')
			_, _ = c.Write([]byte(a))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestPingRedis(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		wantErr string
	}{
		{"ready", "+PONG\r\n", ""},
		{"loading", "-LOADING Redis is loading the dataset in memory\r\n", "LOADING"},
		{"closes without answering", "", "read PING's answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pingRedis(fakeRedis(t, tt.answer))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("pingRedis: %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("pingRedis: %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// A Redis that is still loading its data is waited for, not taken as up.
func TestWaitUntilRedisLoaded(t *testing.T) {
	addr := fakeRedis(t, "-LOADING Redis is loading the dataset in memory\r\n", "-LOADING Redis is loading the dataset in memory\r\n", "+PONG\r\n")
	p := &proc{done: make(chan struct{})}
	calls := 0
	err := waitUntil(p, 5*time.Second, "answer PING", func() error { calls++; return pingRedis(addr) })
	if err != nil {
		t.Fatalf("waitUntil: %v", err)
	}
	if calls != 3 {
		t.Errorf("PING sent %d times, want 3 (two LOADING, then PONG)", calls)
	}
}

// A server that has exited is not waited for until the bound.
func TestWaitUntilExited(t *testing.T) {
	cmd := exec.Command("false")
	_ = cmd.Run()
	p := &proc{cmd: cmd, done: make(chan struct{})}
	close(p.done)
	err := waitUntil(p, time.Hour, "answer PING", func() error { return net.ErrClosed })
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("waitUntil: %v, want an error saying the server exited", err)
	}
}
