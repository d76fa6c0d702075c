package dashboard

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
)

// scrapeTimeout bounds the catalog reads of one scrape.
const scrapeTimeout = 20 * time.Second

var (
	descPages = prometheus.NewDesc("sohoa_pages_processed_total",
		"Pages of the records the pipeline finished (indexed), once per time finished.", nil, nil)
	descQueue = prometheus.NewDesc("sohoa_queue_depth",
		"Jobs queued or running.", nil, nil)
	descRecords = prometheus.NewDesc("sohoa_records",
		"Records by status.", []string{"status"}, nil)
	descFailures = prometheus.NewDesc("sohoa_records_needing_attention",
		"Records a person must look at: failed or needs_review.", []string{"status"}, nil)
	descPercent = prometheus.NewDesc("sohoa_progress_percent",
		"Percent of the valid results held at a level that are digitized, this year to date.", []string{"level", "year"}, nil)
	descTarget = prometheus.NewDesc("sohoa_progress_target_percent",
		"The level's target percent for the year.", []string{"level", "year"}, nil)
	descStoreUp = prometheus.NewDesc("sohoa_object_store_up",
		"1 when the object store answered a probe at scrape time, 0 when it did not.", nil, nil)
)

// collector reads the catalog at scrape time: the figures are the
// catalog's, not counters kept in this process, so they survive restarts
// and agree with `sohoa progress`.
type collector struct{ d *Dashboard }

func newCollector(d *Dashboard) prometheus.Collector { return collector{d} }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPages, descQueue, descRecords, descFailures, descPercent, descTarget, descStoreUp} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if n, err := c.d.src.PagesProcessed(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descPages, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descPages, prometheus.CounterValue, float64(n))
	}
	if n, err := c.d.src.Pending(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descQueue, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(n))
	}
	if counts, err := c.d.counts(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descRecords, err)
	} else {
		for _, s := range []catalog.Status{catalog.StatusQueued, catalog.StatusProcessing, catalog.StatusDigitized,
			catalog.StatusNeedsReview, catalog.StatusFailed, catalog.StatusDuplicate} {
			ch <- prometheus.MustNewConstMetric(descRecords, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
		for _, s := range []catalog.Status{catalog.StatusFailed, catalog.StatusNeedsReview} {
			ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
	}
	if c.d.objects != nil {
		up := 0.0
		if probeStore(ctx, c.d.objects).Reachable {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, up)
	}
	now := c.d.now().UTC()
	rep, err := c.d.build(ctx, now.Year(), progress.DefaultAsOf(now.Year(), now))
	switch {
	case errors.Is(err, progress.ErrNoUnits):
		return // nothing to measure until the units are imported
	case err != nil:
		ch <- prometheus.NewInvalidMetric(descPercent, err)
		return
	}
	year := strconv.Itoa(rep.Year)
	for _, s := range levelSummaries(rep.Rows) {
		ch <- prometheus.MustNewConstMetric(descPercent, prometheus.GaugeValue, s.Percent, string(s.Level), year)
		ch <- prometheus.MustNewConstMetric(descTarget, prometheus.GaugeValue, s.Target, string(s.Level), year)
	}
}
