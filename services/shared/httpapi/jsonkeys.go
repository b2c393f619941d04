package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DuplicateKey returns the first key that occurs twice in one object of
// data, and whether that object is the top-level one. data must be valid
// JSON. Keys are compared as encoding/json matches them to fields, that is
// case-insensitively ("service" and "SERVICE" are the same key), after
// unescaping ("\u0073ervice" is "service").
func DuplicateKey(data []byte) (key string, top, found bool) {
	type frame struct {
		object    bool
		expectKey bool // the next token in this object is a key
		keys      map[string]bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false, false // io.EOF: the whole body was walked
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			f := &stack[n-1]
			if f.expectKey {
				k, _ := tok.(string)
				folded := foldKey(k)
				if f.keys[folded] {
					return k, n == 1, true
				}
				if f.keys == nil {
					f.keys = map[string]bool{}
				}
				f.keys[folded] = true
				f.expectKey = false
				continue
			}
			// This token is the value (or opens it); a key comes next.
			f.expectKey = true
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{object: d == '{', expectKey: d == '{'})
		}
	}
}

// foldKey folds a key as encoding/json does when it matches names to
// fields (its foldName: bytes.EqualFold equivalence).
func foldKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		// The smallest rune of the fold orbit stands for all of it.
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b.WriteRune(r)
	}
	return b.String()
}
