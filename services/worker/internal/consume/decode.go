package consume

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	lapor "github.com/lapor/lapor/services/shared"
)

// decodeReport is lapor.DecodeReport, faster: decoding was about a third
// of the worker's CPU with encoding/json. It parses the shape ingest
// writes (one flat object of the report's own keys, strings without
// escapes, a plain integer asn) by hand, and hands anything else (escapes,
// nulls, unknown or differently cased keys, malformed input) to
// lapor.DecodeReport, so that every entry, old or odd, decodes exactly as
// it always did. FuzzDecodeReport holds the two to the same results.
func decodeReport(s string) (lapor.Report, error) {
	var r lapor.Report
	if !decodeFast(s, &r) {
		return lapor.DecodeReport(s)
	}
	if err := r.Validate(); err != nil {
		return lapor.Report{}, fmt.Errorf("invalid report %q: %w", r.ID, err)
	}
	return r, nil
}

// decodeFast parses s into r and reports whether it could; false means
// only that s is not of the simple shape, not that it is wrong.
func decodeFast(s string, r *lapor.Report) bool {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return skipSpace(s, i+1) == len(s)
	}
	for {
		key, j, ok := plainString(s, i)
		if !ok {
			return false
		}
		i = skipSpace(s, j)
		if i >= len(s) || s[i] != ':' {
			return false
		}
		i = skipSpace(s, i+1)
		if key == "asn" {
			n, j, ok := plainUint32(s, i)
			if !ok {
				return false
			}
			r.ASN, i = n, j
		} else {
			v, j, ok := plainString(s, i)
			if !ok {
				return false
			}
			switch key {
			case "id":
				r.ID = v
			case "service":
				r.Service = v
			case "symptom":
				r.Symptom = v
			case "ts":
				// The quotes included: the very parser encoding/json uses.
				if r.Time.UnmarshalJSON([]byte(s[i:j])) != nil {
					return false
				}
			case "country":
				r.Country = v
			case "region":
				r.Region = v
			case "city":
				r.City = v
			case "isp":
				r.ISP = v
			case "platform":
				r.Platform = v
			case "reporter":
				r.Reporter = v
			case "network":
				r.Network = v
			case "comment":
				r.Comment = v
			default:
				return false
			}
			i = j
		}
		i = skipSpace(s, i)
		if i >= len(s) {
			return false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return skipSpace(s, i+1) == len(s)
		default:
			return false
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// plainString reads the JSON string at s[i:] when it has no escapes and
// is valid UTF-8, returning its contents and the index after it. The
// contents share s's memory.
func plainString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	ascii := true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[i+1 : j]
			if !ascii && !utf8.ValidString(v) {
				return "", i, false // encoding/json would replace the bad bytes
			}
			return v, j + 1, true
		case c == '\\' || c < 0x20:
			return "", i, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", i, false
}

// plainUint32 reads a JSON integer without sign, fraction or exponent
// that fits a uint32.
func plainUint32(s string, i int) (uint32, int, bool) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i || (s[i] == '0' && j > i+1) {
		return 0, i, false
	}
	if j < len(s) && (s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
		return 0, i, false
	}
	n, err := strconv.ParseUint(s[i:j], 10, 32)
	if err != nil {
		return 0, i, false
	}
	return uint32(n), j, true
}
