package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sohoa/storage/catalog"
)

// FixitySource tells what the fixity checks of the stored objects found
// (storage/catalog/sqlite implements it; `sohoa verify` and the continuous
// pass of `sohoa serve` write it).
type FixitySource interface {
	FixitySummary(ctx context.Context, problems int) (catalog.FixitySummary, error)
}

// fixityProblemsShown bounds the problems listed on the page and in
// /api/fixity.
const fixityProblemsShown = 50

// addFixity serves the fixity results, when there is a source: a section
// of the page, /api/fixity, and the sohoa_fixity_* metrics.
func (d *Dashboard) addFixity(src FixitySource, reg *prometheus.Registry) {
	if src == nil {
		return
	}
	d.fixity = src
	reg.MustRegister(fixityCollector{d})
	d.mux.HandleFunc("GET /api/fixity", d.serveFixity)
}

// serveFixity answers /api/fixity with the summary of the last checks.
func (d *Dashboard) serveFixity(w http.ResponseWriter, r *http.Request) {
	s, err := d.fixity.FixitySummary(r.Context(), fixityProblemsShown)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	if s.Problems == nil {
		s.Problems = []catalog.FixityCheck{}
	}
	d.writeJSON(w, r, s)
}

// FixityView is the page's fixity section.
type FixityView struct {
	OK, Altered, Missing, Orphaned, Unverified int
	// LastCheck, OldestCheck and LastFullPass are formatted times, ""
	// for none.
	LastCheck, OldestCheck, LastFullPass string
	Problems                             []FixityProblem
}

// Bad reports whether anything is missing or altered.
func (v *FixityView) Bad() bool { return v.Altered > 0 || v.Missing > 0 }

// FixityProblem is one row of the section's table.
type FixityProblem struct {
	Result, Kind, Key, Records, Detail, At string
}

// fixityView reads the section; nil when there is no source or it fails
// (logged: the rest of the page is still worth showing).
func (d *Dashboard) fixityView(ctx context.Context) *FixityView {
	if d.fixity == nil {
		return nil
	}
	s, err := d.fixity.FixitySummary(ctx, fixityProblemsShown)
	if err != nil {
		d.log.Error("serve page: fixity", "err", err)
		return nil
	}
	v := &FixityView{
		OK: s.Objects[catalog.FixityOK], Altered: s.Objects[catalog.FixityAltered], Missing: s.Objects[catalog.FixityMissing],
		Orphaned: s.Objects[catalog.FixityOrphaned], Unverified: s.Objects[""],
		LastCheck: pageTime(s.LastCheck), OldestCheck: pageTime(s.OldestCheck), LastFullPass: pageTime(s.LastFullPass),
	}
	for _, p := range s.Problems {
		var ids []string
		for _, id := range p.Records {
			ids = append(ids, "#"+strconv.FormatInt(id, 10))
		}
		v.Problems = append(v.Problems, FixityProblem{
			Result: fixityLabels[p.Result], Kind: fixityKinds[p.Kind], Key: p.Key,
			Records: strings.Join(ids, ", "), Detail: p.Detail, At: pageTime(p.At),
		})
	}
	return v
}

func pageTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

var fixityLabels = map[catalog.FixityResult]string{
	catalog.FixityAltered:  "bị thay đổi / altered",
	catalog.FixityMissing:  "mất / missing",
	catalog.FixityOrphaned: "thừa / orphaned",
}

var fixityKinds = map[string]string{
	catalog.ObjectOriginal: "bản gốc / original",
	catalog.ObjectArchive:  "bản PDF lưu trữ / archival PDF",
}

var (
	descFixityObjects = prometheus.NewDesc("sohoa_fixity_objects",
		"Stored objects by the result of their last fixity check (unverified: never checked; orphaned: no record points at it).",
		[]string{"result"}, nil)
	descFixityLastCheck = prometheus.NewDesc("sohoa_fixity_last_check_timestamp_seconds",
		"When the most recent fixity check ended; 0 before the first.", nil, nil)
	descFixityOldest = prometheus.NewDesc("sohoa_fixity_oldest_check_timestamp_seconds",
		"Every stored object has been checked since this time; 0 while some object was never checked.", nil, nil)
	descFixityPass = prometheus.NewDesc("sohoa_fixity_last_pass_timestamp_seconds",
		"When the last pass over the whole store (sohoa verify --all, or the continuous pass listing it) finished; 0 before the first.", nil, nil)
)

// fixityCollector reads the fixity summary at scrape time.
type fixityCollector struct{ d *Dashboard }

func (c fixityCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFixityObjects, descFixityLastCheck, descFixityOldest, descFixityPass} {
		ch <- d
	}
}

func (c fixityCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.d.fixity.FixitySummary(ctx, 0)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descFixityObjects, err)
		return
	}
	for _, r := range []catalog.FixityResult{catalog.FixityOK, catalog.FixityAltered, catalog.FixityMissing, catalog.FixityOrphaned, ""} {
		label := string(r)
		if r == "" {
			label = "unverified"
		}
		ch <- prometheus.MustNewConstMetric(descFixityObjects, prometheus.GaugeValue, float64(s.Objects[r]), label)
	}
	ch <- prometheus.MustNewConstMetric(descFixityLastCheck, prometheus.GaugeValue, unixSeconds(s.LastCheck))
	ch <- prometheus.MustNewConstMetric(descFixityOldest, prometheus.GaugeValue, unixSeconds(s.OldestCheck))
	ch <- prometheus.MustNewConstMetric(descFixityPass, prometheus.GaugeValue, unixSeconds(s.LastFullPass))
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
