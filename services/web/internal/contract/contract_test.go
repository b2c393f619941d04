package contract

import "testing"

func TestDocumentLoads(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
}
