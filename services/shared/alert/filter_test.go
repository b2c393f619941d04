package alert

import "testing"

func TestFilterMatch(t *testing.T) {
	ev := Event{Service: "gojek", Level: "detected", Countries: []string{"ID", "SG"}}
	tests := []struct {
		name string
		f    Filter
		want bool
	}{
		{"empty lets all through", Filter{}, true},
		{"service listed", Filter{Services: []string{"grab", "gojek"}}, true},
		{"service not listed", Filter{Services: []string{"grab"}}, false},
		{"level listed", Filter{Levels: []string{"detected"}}, true},
		{"level not listed", Filter{Levels: []string{"possible"}}, false},
		{"any leading country, any case", Filter{Countries: []string{"sg"}}, true},
		{"country not among the leading", Filter{Countries: []string{"US"}}, false},
		{"all must hold", Filter{Services: []string{"gojek"}, Levels: []string{"possible"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(ev); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	if (Filter{Countries: []string{"ID"}}).Match(Event{Service: "x"}) {
		t.Error("an event without countries passed a country filter")
	}
}
