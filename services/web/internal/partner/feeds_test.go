package partner_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/internal/server"
)

// feedLinks is every link a feed carries, Atom or RSS: each href
// attribute and the text of each link element, in any namespace, and the
// Atom feed's id.
type feedLinks struct {
	id    string
	links []string
}

func parseFeedLinks(body []byte) (feedLinks, error) {
	var l feedLinks
	d := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return l, nil
		}
		if err != nil {
			return l, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			for _, a := range tok.Attr {
				if a.Name.Local == "href" {
					l.links = append(l.links, a.Value)
				}
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			text := strings.TrimSpace(string(tok))
			switch {
			case text == "":
			case path[len(path)-1] == "link":
				l.links = append(l.links, text)
			case strings.Join(path, "/") == "feed/id":
				l.id = text
			}
		}
	}
}

var feedPaths = []string{
	"/v1/feeds/incidents.atom",
	"/v1/feeds/incidents.rss",
	"/v1/services/gojek/feeds/incidents.atom",
	"/v1/services/gojek/feeds/incidents.rss",
}

// getFeed fetches a feed as if sent to host, and returns its links.
func (f *fixture) getFeed(t *testing.T, path, host string) (string, feedLinks) {
	t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("X-Forwarded-Host", host)
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	l, err := parseFeedLinks(body)
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, body)
	}
	// Feed, page and self, and one per entry.
	if len(l.links) < 3 {
		t.Fatalf("feed has %d links, want more:\n%s", len(l.links), body)
	}
	return string(body), l
}

// Feeds are cached publicly: without a public URL no link in them may come
// from the request's Host, which the client chooses.
func TestFeedsNeverReflectHost(t *testing.T) {
	f := newFixture(t)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, testIncidents()); err != nil {
		t.Fatal(err)
	}
	for _, path := range feedPaths {
		t.Run(path, func(t *testing.T) {
			body, l := f.getFeed(t, path, "evil.example")
			if strings.Contains(body, "evil.example") {
				t.Fatalf("the request's host is in the feed:\n%s", body)
			}
			for _, link := range l.links {
				if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") {
					t.Errorf("link %q is not relative to the site", link)
				}
			}
			if strings.HasSuffix(path, ".atom") && l.id != "urn:lapor:feed:"+strings.TrimPrefix(path, "/") {
				t.Errorf("Atom id %q, want a URN naming the feed", l.id)
			}
		})
	}
}

func TestFeedsLinkUnderThePublicURL(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.PublicURL = "https://lapor.example/" })
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, testIncidents()); err != nil {
		t.Fatal(err)
	}
	for _, path := range feedPaths {
		t.Run(path, func(t *testing.T) {
			body, l := f.getFeed(t, path, "evil.example")
			if strings.Contains(body, "evil.example") {
				t.Fatalf("the request's host is in the feed:\n%s", body)
			}
			for _, link := range l.links {
				if !strings.HasPrefix(link, "https://lapor.example/") {
					t.Errorf("link %q is not under the public URL", link)
				}
			}
			if strings.HasSuffix(path, ".atom") && l.id != "https://lapor.example"+path {
				t.Errorf("Atom id %q, want the feed's URL", l.id)
			}
		})
	}
}
