package main

import (
	"strings"
	"testing"
	"time"
)

const sample = `goos: linux
goarch: amd64
pkg: sohoa/cmd/sohoa
cpu: AMD EPYC
OCR throughput (jpeg, 12 pages, 2 workers): sohoa ingest 60.1 pages/min
BenchmarkOCRThroughput/jpeg-2         	       1	12000000000 ns/op	        61.0 sohoa-pages/min	        62.0 tesseract-pages/min	         0.9839 ratio
BenchmarkOCRThroughput/png-2          	       1	12000000000 ns/op	        50.0 sohoa-pages/min	        60.0 tesseract-pages/min	         0.8333 ratio
BenchmarkIngestMemory/pages=30-2      	       1	9 ns/op	       200.0 peak-RSS-MB	        40.0 sohoa-pages/min
BenchmarkIngestMemory/pages=300-2     	       1	9 ns/op	       260.0 peak-RSS-MB	        41.0 sohoa-pages/min
--- FAIL: BenchmarkOCRThroughput/pdf
pkg: sohoa/storage/catalog/sqlite
BenchmarkAddRecord-2   	   10000	    250000 ns/op
PASS
`

func TestReport(t *testing.T) {
	p, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.results) != 5 || p.cpu != "AMD EPYC" {
		t.Fatalf("parsed %d results, cpu %q", len(p.results), p.cpu)
	}
	var b strings.Builder
	write(&b, p, "2 cores", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	got := b.String()
	for _, want := range []string{
		"| OCR: sohoa ingest ÷ 2 parallel tesseract CLI, JPEG pages | 0.984 × | ≥ 0.95 | yes |",
		"| OCR: sohoa ingest ÷ 2 parallel tesseract CLI, PNG pages | 0.833 × | ≥ 0.95 | **no** |",
		"| OCR: sohoa ingest ÷ ocrmypdf --jobs 2, the same pages as one PDF | not run | > 1 (ahead) | — |",
		"| Peak memory, 300-page batch ÷ 30-page batch | 1.300 × | < 1.5 (the batch size barely matters) | yes |",
		"| Catalog insert rate (record + job + index, one transaction each) | 4000 records/s | — | — |",
		"- `--- FAIL: BenchmarkOCRThroughput/pdf`",
		"| storage/catalog/sqlite | AddRecord | 250000 ns/op |",
		"2026-12-02 10:00 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestMergeReplacesRemeasured(t *testing.T) {
	first, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	again, err := parse(strings.NewReader(`pkg: sohoa/cmd/sohoa
cpu: AMD EPYC
BenchmarkOCRThroughput/png-2   1   9 ns/op   0.9700 ratio
BenchmarkOCRThroughput/pdf-2   1   9 ns/op   3.0 ratio
`))
	if err != nil {
		t.Fatal(err)
	}
	m := first.merge(again)
	if v, _ := metric(cmdPkg, "BenchmarkOCRThroughput/png", "ratio")(m); v != 0.97 {
		t.Errorf("png ratio after merge = %v, want the later 0.97", v)
	}
	if v, _ := metric(cmdPkg, "BenchmarkOCRThroughput/jpeg", "ratio")(m); v != 0.9839 {
		t.Errorf("jpeg ratio after merge = %v, want the earlier 0.9839 kept", v)
	}
	if len(m.failed) != 0 {
		t.Errorf("the pdf benchmark measured again is still reported failed: %v", m.failed)
	}
	if len(m.results) != len(first.results)+1 {
		t.Errorf("%d results after merge, want %d", len(m.results), len(first.results)+1)
	}
}
