package httpapi

import "testing"

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		json    string
		wantKey string // "" for none
		wantTop bool
	}{
		{`{}`, "", false},
		{`[]`, "", false},
		{`"a"`, "", false},
		{`null`, "", false},
		{`{"a":1,"b":2}`, "", false},
		{`{"a":{"a":1}}`, "", false},
		{`[{"a":1},{"a":2}]`, "", false},
		{`{"a":1,"b":{"c":[1,2,{"d":null,"e":[]}]},"e":true}`, "", false},
		{`{"a":[],"b":{},"c":""}`, "", false},
		{`{"a":1,"a":2}`, "a", true},
		{`{"a":1,"A":2}`, "A", true},
		{`{"K":1,"K":2}`, "K", true}, // KELVIN SIGN folds to K
		{`{"a":{"x":1},"a":2}`, "a", true},
		{`{"k":[1,{"k":2}],"k":3}`, "k", true},
		{`{"a":[{"b":1,"b":2}]}`, "b", false},
		{`[{"a":1,"a":2}]`, "a", false},
		{`{"a":{"b":{"c":1,"d":{},"c":2}}}`, "c", false},
		{`{"x":{"y":1},"z":{"y":1}}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			key, top, found := DuplicateKey([]byte(tt.json))
			if found != (tt.wantKey != "") || key != tt.wantKey || top != tt.wantTop {
				t.Fatalf("DuplicateKey = %q, top %v, found %v; want %q, top %v", key, top, found, tt.wantKey, tt.wantTop)
			}
		})
	}
}
