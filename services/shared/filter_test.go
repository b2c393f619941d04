package lapor

import "testing"

func TestAlertFilterMatch(t *testing.T) {
	ev := AlertEvent{Service: "gojek", Level: "detected", Countries: []string{"ID", "SG"}}
	tests := []struct {
		name string
		f    AlertFilter
		want bool
	}{
		{"empty lets all through", AlertFilter{}, true},
		{"service listed", AlertFilter{Services: []string{"grab", "gojek"}}, true},
		{"service not listed", AlertFilter{Services: []string{"grab"}}, false},
		{"level listed", AlertFilter{Levels: []string{"detected"}}, true},
		{"level not listed", AlertFilter{Levels: []string{"possible"}}, false},
		{"any leading country, any case", AlertFilter{Countries: []string{"sg"}}, true},
		{"country not among the leading", AlertFilter{Countries: []string{"US"}}, false},
		{"all must hold", AlertFilter{Services: []string{"gojek"}, Levels: []string{"possible"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(ev); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	if (AlertFilter{Countries: []string{"ID"}}).Match(AlertEvent{Service: "x"}) {
		t.Error("an event without countries passed a country filter")
	}
}
