package ingest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/httpapi"
)

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// parse runs a body through the decoder and validation as the handler does.
func parse(body []byte, cat *catalog.Catalog) (Request, *problem) {
	r := http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(body)), MaxBody)
	req, p := decodeRequest(r)
	if p == nil {
		p = validate(req, cat)
	}
	return req, p
}

func TestDecodeAndValidate(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name      string
		body      string
		wantCode  string // "" for accepted
		wantField string
		want      Request
	}{
		{"minimal", `{"service":"whatsapp","symptom":"login"}`, "", "",
			Request{Service: "whatsapp", Symptom: "login"}},
		{"all fields", `{"service":"gojek","symptom":"payments","comment":"  gopay error  ","platform":"android"}`, "", "",
			Request{Service: "gojek", Symptom: "payments", Comment: "gopay error", Platform: "android"}},
		{"null comment", `{"service":"bca","symptom":"atm","comment":null}`, "", "",
			Request{Service: "bca", Symptom: "atm"}},
		{"trailing whitespace", "{\"service\":\"bca\",\"symptom\":\"atm\"}\n\t ", "", "",
			Request{Service: "bca", Symptom: "atm"}},
		{"280-rune comment", `{"service":"bca","symptom":"atm","comment":"` + strings.Repeat("é", 280) + `"}`, "", "",
			Request{Service: "bca", Symptom: "atm", Comment: strings.Repeat("é", 280)}},
		{"escaped lone surrogate is replaced, not refused", `{"service":"bca","symptom":"atm","comment":"a\ud800b"}`, "", "",
			Request{Service: "bca", Symptom: "atm", Comment: "a\uFFFDb"}},
		{"newline and tab in a comment", `{"service":"bca","symptom":"atm","comment":"ATM mati\n\tdi Sudirman"}`, "", "",
			Request{Service: "bca", Symptom: "atm", Comment: "ATM mati\n\tdi Sudirman"}},
		{"emoji with a zero-width joiner", `{"service":"bca","symptom":"atm","comment":"\ud83d\udc68\u200d\ud83d\udcbb"}`, "", "",
			Request{Service: "bca", Symptom: "atm", Comment: "👨\u200d💻"}},
		{"upper-case key, once", `{"SERVICE":"bca","symptom":"atm"}`, "", "",
			Request{Service: "bca", Symptom: "atm"}},

		{"empty body", ``, "malformed_json", "", Request{}},
		{"truncated", `{"service":"bca"`, "malformed_json", "", Request{}},
		{"not JSON", `service=bca`, "malformed_json", "", Request{}},
		{"array", `[]`, "malformed_json", "", Request{}},
		{"string", `"bca"`, "malformed_json", "", Request{}},
		{"service not a string", `{"service":1,"symptom":"atm"}`, "malformed_json", "service", Request{}},
		{"symptom not a string", `{"service":"bca","symptom":["atm"]}`, "malformed_json", "symptom", Request{}},
		{"platform not a string", `{"service":"bca","symptom":"atm","platform":true}`, "malformed_json", "platform", Request{}},
		{"comment not a string", `{"service":"bca","symptom":"atm","comment":{"a":1}}`, "malformed_json", "comment", Request{}},
		{"unknown field", `{"service":"bca","symptom":"atm","extra":1}`, "unknown_field", "extra", Request{}},
		{"trailing garbage", `{"service":"bca","symptom":"atm"}x`, "malformed_json", "", Request{}},
		{"second object", `{"service":"bca","symptom":"atm"}{}`, "malformed_json", "", Request{}},
		{"missing service", `{"symptom":"atm"}`, "missing_field", "service", Request{}},
		{"empty service", `{"service":"","symptom":"atm"}`, "missing_field", "service", Request{}},
		{"null service", `{"service":null,"symptom":"atm"}`, "missing_field", "service", Request{}},
		{"missing symptom", `{"service":"bca"}`, "missing_field", "symptom", Request{}},
		{"null body", `null`, "missing_field", "service", Request{}},
		{"unknown service", `{"service":"nope","symptom":"atm"}`, "unknown_service", "service", Request{}},
		{"symptom of another service", `{"service":"bca","symptom":"calls"}`, "unknown_symptom", "symptom", Request{}},
		{"unknown platform", `{"service":"bca","symptom":"atm","platform":"windows"}`, "invalid_platform", "platform", Request{}},
		{"281-rune comment", `{"service":"bca","symptom":"atm","comment":"` + strings.Repeat("x", 281) + `"}`, "invalid_comment", "comment", Request{}},
		{"comment not UTF-8", "{\"service\":\"bca\",\"symptom\":\"atm\",\"comment\":\"bad \xff\xfe\"}", "invalid_comment", "comment", Request{}},
		{"NUL in a comment", `{"service":"bca","symptom":"atm","comment":"a\u0000b"}`, "invalid_comment", "comment", Request{}},
		{"escape sequence in a comment", `{"service":"bca","symptom":"atm","comment":"\u001b[31mred"}`, "invalid_comment", "comment", Request{}},
		{"carriage return in a comment", `{"service":"bca","symptom":"atm","comment":"a\r\nb"}`, "invalid_comment", "comment", Request{}},
		{"control character trimming would hide", `{"service":"bca","symptom":"atm","comment":"gagal\u000b"}`, "invalid_comment", "comment", Request{}},
		{"DEL in a comment", "{\"service\":\"bca\",\"symptom\":\"atm\",\"comment\":\"a\x7fb\"}", "invalid_comment", "comment", Request{}},
		{"C1 control (NEL) in a comment", `{"service":"bca","symptom":"atm","comment":"a\u0085b"}`, "invalid_comment", "comment", Request{}},
		{"C1 control (CSI) in a comment", `{"service":"bca","symptom":"atm","comment":"\u009b31m"}`, "invalid_comment", "comment", Request{}},
		{"raw control byte is not JSON", "{\"service\":\"bca\",\"symptom\":\"atm\",\"comment\":\"a\x01b\"}", "malformed_json", "", Request{}},
		{"NUL in a platform", `{"service":"bca","symptom":"atm","platform":"web\u0000"}`, "invalid_platform", "platform", Request{}},
		{"NUL in a service", `{"service":"bca\u0000","symptom":"atm"}`, "unknown_service", "service", Request{}},
		{"NUL in a symptom", `{"service":"bca","symptom":"atm\u0000"}`, "unknown_symptom", "symptom", Request{}},

		{"duplicate key", `{"service":"bca","service":"gojek","symptom":"atm"}`, "malformed_json", "service", Request{}},
		{"duplicate key, same value", `{"service":"bca","symptom":"atm","symptom":"atm"}`, "malformed_json", "symptom", Request{}},
		{"duplicate key in another case", `{"service":"bca","symptom":"atm","SERVICE":"gojek"}`, "malformed_json", "SERVICE", Request{}},
		{"duplicate key by Unicode folding", `{"service":"bca","symptom":"atm","ſervice":"gojek"}`, "malformed_json", "ſervice", Request{}},
		{"duplicate key, escaped", `{"service":"bca","symptom":"atm","\u0073ervice":"gojek"}`, "malformed_json", "service", Request{}},
		{"duplicate null comment", `{"service":"bca","symptom":"atm","comment":null,"comment":"x"}`, "malformed_json", "comment", Request{}},
		{"duplicate key in a nested object", `{"service":"bca","symptom":"atm","comment":{"a":1,"a":2}}`, "malformed_json", "", Request{}},
		{"too large", `{"service":"bca","symptom":"atm","comment":"` + strings.Repeat("x", MaxBody) + `"}`, "body_too_large", "", Request{}},
		{"too large after the object", `{"service":"bca","symptom":"atm"}` + strings.Repeat(" ", MaxBody), "body_too_large", "", Request{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := parse([]byte(tt.body), cat)
			if tt.wantCode == "" {
				if p != nil {
					t.Fatalf("refused: %v", p)
				}
				if got != tt.want {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if p == nil {
				t.Fatalf("accepted %+v, want %s", got, tt.wantCode)
			}
			if p.code != tt.wantCode || p.field != tt.wantField {
				t.Fatalf("got %s (field %q), want %s (field %q): %s", p.code, p.field, tt.wantCode, tt.wantField, p.message)
			}
		})
	}
}

func TestCheckContentType(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON; charset=UTF-8", true},
		{"", false},
		{"text/plain", false},
		{"application/x-www-form-urlencoded", false},
		{"application/json; charset=latin1", false},
		{"application/json;;", false},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			if p := checkContentType(tt.ct); (p == nil) != tt.ok {
				t.Fatalf("checkContentType(%q) = %v, want ok=%v", tt.ct, p, tt.ok)
			}
		})
	}
}

// FuzzDecode checks that no body makes the decoder panic, that every
// refusal is a 4xx with a code, and that whatever passes is a report the
// stream may carry.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"service":"whatsapp","symptom":"login"}`,
		`{"service":"gojek","symptom":"payments","comment":"gopay","platform":"ios"}`,
		`{"service":"bca","symptom":"atm","comment":"` + strings.Repeat("é", 281) + `"}`,
		"{\"service\":\"bca\",\"symptom\":\"atm\",\"comment\":\"\xff\"}",
		`{"service":"bca","symptom":"atm","comment":"\ud800"}`,
		`{"service":"bca","symptom":"atm"} {}`,
		`{"service":1}`,
		`{"service":"bca","symptom":"atm","service":"bca"}`,
		`{"service":"bca","symptom":"atm","comment":"a\u0000\n\u0085"}`,
		`{"service":"bca","symptom":"atm","comment":[{"a":1},{"a":{"a":2,"A":3}}]}`,
		`{"x":1}`,
		`[`,
		`null`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	cat := testCatalog(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, p := parse(body, cat)
		if p != nil {
			if p.status < 400 || p.status > 499 || p.code == "" || p.message == "" {
				t.Fatalf("bad problem %+v", p)
			}
			return
		}
		svc, ok := cat.Get(req.Service)
		if !ok || !svc.HasIndicator(req.Symptom) {
			t.Fatalf("accepted unknown service/symptom %q/%q", req.Service, req.Symptom)
		}
		if !utf8.ValidString(req.Comment) || utf8.RuneCountInString(req.Comment) > 280 || hasControl(req.Comment) {
			t.Fatalf("accepted bad comment %q", req.Comment)
		}
		if key, _, dup := httpapi.DuplicateKey(body); dup {
			t.Fatalf("accepted a body with key %q twice", key)
		}
		if len(body) > MaxBody {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
	})
}
