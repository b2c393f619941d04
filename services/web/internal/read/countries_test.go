package read

import "testing"

func TestMean(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{1, 2, 6}, 3}, {[]float64{0, 0, 0, 1}, 0.25}} {
		if got := mean(tc.xs); got != tc.want {
			t.Errorf("mean(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}
