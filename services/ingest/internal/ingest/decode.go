package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// MaxBody is the largest report body accepted, in bytes. A report with a
// full comment fits in well under half of it.
const MaxBody = 4 << 10

// Platforms a report may name.
var Platforms = []string{"web", "android", "ios", "desktop", "other"}

// Request is a decoded report request.
type Request struct {
	Service  string
	Symptom  string
	Comment  string
	Platform string

	// commentNotUTF8 records that the comment's raw bytes were not UTF-8;
	// the JSON decoder would otherwise hide that by substituting U+FFFD.
	commentNotUTF8 bool
	// commentControl records that the comment, before trimming, held a
	// control character other than newline and tab.
	commentControl bool
}

// wireRequest is the JSON body. The comment stays raw so that its bytes can
// be checked before decoding.
type wireRequest struct {
	Service  string          `json:"service"`
	Symptom  string          `json:"symptom"`
	Comment  json.RawMessage `json:"comment"`
	Platform string          `json:"platform"`
}

// problem is a client error, answered with httpapi.Abort.
type problem struct {
	status  int
	code    string
	message string
	field   string
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.status, p.code, p.message) }

func malformed(msg, field string) *problem {
	return &problem{http.StatusBadRequest, "malformed_json", msg, field}
}

var tooLarge = &problem{http.StatusRequestEntityTooLarge, "body_too_large",
	"request body is larger than " + strconv.Itoa(MaxBody) + " bytes", ""}

// checkContentType accepts application/json, in UTF-8 if a charset is named.
func checkContentType(ct string) *problem {
	bad := &problem{http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json", ""}
	if ct == "" {
		return bad
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return bad
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return bad
	}
	return nil
}

// decodeRequest reads one JSON object from body, which the caller has
// wrapped in http.MaxBytesReader. It never panics, whatever body holds.
func decodeRequest(body io.Reader) (Request, *problem) {
	// The body is small (MaxBody) and read whole, so that it can be walked
	// twice: once to decode it, once to look for duplicate keys.
	data, err := io.ReadAll(body)
	if err != nil {
		return Request{}, decodeProblem(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireRequest
	if err := dec.Decode(&w); err != nil {
		return Request{}, decodeProblem(err)
	}
	// Anything but whitespace after the object is an error.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Request{}, malformed("unexpected data after the JSON object", "")
	}
	// encoding/json lets the last of two equal keys win; a body that says
	// two things at once is refused instead, so that no reader of it (a
	// proxy, a log, a later decoder) can take it to mean something else.
	if key, top, ok := httpapi.DuplicateKey(data); ok {
		field := ""
		if top {
			field = key
		}
		return Request{}, malformed("duplicate key "+strconv.Quote(key), field)
	}
	req := Request{Service: w.Service, Symptom: w.Symptom, Platform: w.Platform}
	if len(w.Comment) > 0 {
		if !utf8.Valid(w.Comment) {
			req.commentNotUTF8 = true
		} else {
			var s *string
			if err := json.Unmarshal(w.Comment, &s); err != nil {
				return Request{}, malformed("comment must be a string", "comment")
			}
			if s != nil {
				// Checked before trimming, so that the rule is simply "no
				// control characters anywhere".
				req.commentControl = hasControl(*s)
				req.Comment = strings.TrimSpace(*s)
			}
		}
	}
	return req, nil
}

// hasControl reports whether s holds a C0 or C1 control character (or
// DEL) other than newline and tab, the two a comment may reasonably hold.
func hasControl(s string) bool {
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return true
		}
	}
	return false
}

const unknownFieldPrefix = "json: unknown field "

func decodeProblem(err error) *problem {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge
	case errors.Is(err, io.EOF):
		return malformed("request body is empty", "")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("request body ends inside the JSON object", "")
	case errors.As(err, &se):
		return malformed(fmt.Sprintf("invalid JSON at byte %d", se.Offset), "")
	case errors.As(err, &ute):
		if ute.Field == "" {
			return malformed("request body must be a JSON object", "")
		}
		return malformed(fmt.Sprintf("%s must be a %s", ute.Field, expected(ute.Field)), ute.Field)
	case strings.HasPrefix(err.Error(), unknownFieldPrefix):
		// encoding/json has no typed error for unknown fields.
		name := strings.TrimPrefix(err.Error(), unknownFieldPrefix)
		if u, uerr := strconv.Unquote(name); uerr == nil {
			name = u
		}
		return &problem{http.StatusBadRequest, "unknown_field", "unknown field " + strconv.Quote(name), name}
	}
	return malformed("could not read request body", "")
}

// expected names the JSON type a known field takes.
func expected(field string) string {
	switch field {
	case "service", "symptom", "platform", "comment":
		return "string"
	}
	return "valid value"
}

// validate applies the catalog and the field rules, in the order a client
// would fix them: missing fields, then the service, then the rest.
func validate(req Request, cat *catalog.Catalog) *problem {
	switch {
	case req.Service == "":
		return &problem{http.StatusBadRequest, "missing_field", "service is required", "service"}
	case req.Symptom == "":
		return &problem{http.StatusBadRequest, "missing_field", "symptom is required", "symptom"}
	}
	svc, ok := cat.Get(req.Service)
	if !ok {
		return &problem{http.StatusNotFound, "unknown_service", "no such service in the catalog", "service"}
	}
	if !svc.HasIndicator(req.Symptom) {
		return &problem{http.StatusUnprocessableEntity, "unknown_symptom",
			"symptom must be one of: " + strings.Join(svc.Indicators, ", "), "symptom"}
	}
	if req.Platform != "" && !slices.Contains(Platforms, req.Platform) {
		return &problem{http.StatusUnprocessableEntity, "invalid_platform",
			"platform must be one of: " + strings.Join(Platforms, ", "), "platform"}
	}
	if req.commentNotUTF8 {
		return &problem{http.StatusUnprocessableEntity, "invalid_comment", "comment is not valid UTF-8", "comment"}
	}
	if req.commentControl {
		// Refused rather than stripped: the client learns its text was not
		// taken as sent, and nothing invisible reaches readers or logs.
		return &problem{http.StatusUnprocessableEntity, "invalid_comment",
			"comment holds control characters; only newline and tab are allowed", "comment"}
	}
	if n := utf8.RuneCountInString(req.Comment); n > lapor.MaxCommentRunes {
		return &problem{http.StatusUnprocessableEntity, "invalid_comment",
			fmt.Sprintf("comment has %d characters; at most %d are allowed", n, lapor.MaxCommentRunes), "comment"}
	}
	return nil
}
