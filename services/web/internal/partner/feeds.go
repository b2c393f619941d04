package partner

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// feedSize is how many incidents a feed carries, newest first.
const feedSize = 50

// HandleFeed answers GET /v1/feeds/incidents.atom|.rss and, with a slug,
// /v1/services/{slug}/feeds/incidents.atom|.rss: public feeds of incidents
// for newsrooms.
func (a *API) HandleFeed(c *gin.Context) {
	slug := c.Param("slug")
	var f clickhouse.IncidentFilter
	title := "Lapor: outages"
	if slug != "" {
		svc, ok := a.o.Catalog.Get(slug)
		if !ok {
			httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
			return
		}
		f.Service = slug
		title = "Lapor: outages of " + svc.Name
	}
	format := strings.TrimPrefix(c.Param("file"), "incidents.")
	if format != "atom" && format != "rss" {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "feeds are incidents.atom and incidents.rss", "")
		return
	}
	f.Limit = feedSize
	list, err := a.o.Store.Incidents(c.Request.Context(), f)
	if err != nil {
		a.storeError(c, "read incidents for feed", err)
		return
	}
	base := a.baseURL()
	self := base + c.Request.URL.EscapedPath()
	page := base + "/incidents"
	if slug != "" {
		page = base + "/services/" + slug
	}
	var body any
	ctype := "application/atom+xml; charset=utf-8"
	if format == "atom" {
		// An Atom id must be an absolute IRI, and stay the same whatever
		// host the feed was fetched through.
		id := self
		if base == "" {
			id = "urn:lapor:feed:" + strings.TrimPrefix(c.Request.URL.EscapedPath(), "/")
		}
		body = a.atom(list, title, id, self, page, base)
	} else {
		ctype = "application/rss+xml; charset=utf-8"
		body = a.rss(list, title, self, page, base)
	}
	out, err := xml.MarshalIndent(body, "", "  ")
	if err != nil {
		a.o.Log.Error("encode feed", "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.Data(http.StatusOK, ctype, append([]byte(xml.Header), out...))
}

// baseURL is the configured public URL, or "" without one: links are then
// relative (root-relative paths), which readers resolve against the feed's
// own URL. They are never built from the request's Host: the client
// chooses it, and a feed is cached (Cache-Control: public) and served to
// everyone.
func (a *API) baseURL() string {
	return strings.TrimRight(a.o.PublicURL, "/")
}

// entryTitle says what happened, as the pages say it.
func (a *API) entryTitle(in lapor.Incident) string {
	name := in.Service
	if svc, ok := a.o.Catalog.Get(in.Service); ok {
		name = svc.Name
	}
	t := "Possible problems at " + name
	if in.Level == lapor.LevelDetected {
		t = "Problems detected at " + name
	}
	if !in.Open() {
		t += " (resolved)"
	}
	return t
}

func entrySummary(in lapor.Incident) string {
	s := fmt.Sprintf("Since %s: up to %d reports a minute (usually %.0f).", in.StartedAt.UTC().Format("2006-01-02 15:04 MST"), in.Peak, in.Baseline)
	if len(in.TopSymptoms) > 0 {
		s += " Most reported: " + strings.Join(in.Symptoms(), ", ") + "."
	}
	if len(in.TopCountries) > 0 {
		s += " Mostly from: " + strings.Join(in.TopCountries, ", ") + "."
	}
	if !in.Open() {
		s += fmt.Sprintf(" Resolved %s%s.", in.EndedAt.UTC().Format("2006-01-02 15:04 MST"), endPhrase(in.EndReason))
	}
	return s
}

// endPhrase says why an incident ended, after its end time.
func endPhrase(reason lapor.EndReason) string {
	switch reason {
	case lapor.EndNormal:
		return ": reports are back to normal"
	case lapor.EndFaded:
		return ": reports fell to a fifth of the peak's excess"
	case lapor.EndNewNormal:
		return ": reports stayed high for many hours without fading and are now taken as the usual level, so the problem may not be over"
	default:
		return ""
	}
}

func incidentURN(in lapor.Incident) string { return "urn:lapor:incident:" + in.ID }

// atomFeed is an Atom 1.0 feed (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title     string   `xml:"title"`
	ID        string   `xml:"id"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Summary   string   `xml:"summary"`
}

func (a *API) atom(list []lapor.Incident, title, id, self, page, base string) atomFeed {
	f := atomFeed{
		Title:  title,
		ID:     id,
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: page}},
		Author: atomAuthor{Name: "Lapor"},
	}
	// An empty feed is as new as now; otherwise as its newest change.
	updated := a.o.Now().UTC()
	if len(list) > 0 {
		updated = time.Time{}
	}
	for _, in := range list {
		if in.UpdatedAt.After(updated) {
			updated = in.UpdatedAt
		}
		f.Entries = append(f.Entries, atomEntry{
			Title:     a.entryTitle(in),
			ID:        incidentURN(in),
			Updated:   in.UpdatedAt.UTC().Format(time.RFC3339),
			Published: in.StartedAt.UTC().Format(time.RFC3339),
			Link:      atomLink{Rel: "alternate", Type: "text/html", Href: base + "/incidents/" + url.PathEscape(in.ID)},
			Summary:   entrySummary(in),
		})
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	return f
}

// rssFeed is an RSS 2.0 feed.
type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

func (a *API) rss(list []lapor.Incident, title, self, page, base string) rssFeed {
	ch := rssChannel{
		Title:         title,
		Link:          page,
		Description:   "Outages detected from people's reports on Lapor.",
		LastBuildDate: a.o.Now().UTC().Format(time.RFC1123Z),
		Self:          atomLink{Rel: "self", Type: "application/rss+xml", Href: self},
	}
	for _, in := range list {
		ch.Items = append(ch.Items, rssItem{
			Title:       a.entryTitle(in),
			Link:        base + "/incidents/" + url.PathEscape(in.ID),
			GUID:        rssGUID{IsPermaLink: "false", Value: incidentURN(in)},
			PubDate:     in.StartedAt.UTC().Format(time.RFC1123Z),
			Description: entrySummary(in),
		})
	}
	return rssFeed{Version: "2.0", AtomNS: "http://www.w3.org/2005/Atom", Channel: ch}
}
