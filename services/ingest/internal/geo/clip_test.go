package geo

import "testing"

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"Jakarta", 10, "Jakarta"},
		{"Jakarta", 4, "Jaka"},
		{"Zürich", 2, "Z"}, // "ü" is two bytes; never cut one in half
		{"Zürich", 3, "Zü"},
		{"東京", 4, "東"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
