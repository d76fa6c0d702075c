// Command benchreport turns the output of `go test -bench` into
// BENCHMARKS.md: the machine and the date, each target the project holds
// itself to with the figure measured and whether it is met, and every
// metric of every benchmark. `make bench` runs it; nothing in it is typed by
// hand.
//
//	go test -run '^$' -bench . -benchtime 1x ./... | tee out/bench.txt
//	go run ./cmd/sohoa/internal/benchreport -in out/bench.txt -out BENCHMARKS.md
//
// -in takes several files separated by commas: a benchmark measured again
// in a later file replaces its earlier result (to re-measure one part on a
// quiet machine without running everything again), and the report names
// the files it was written from.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	in := flag.String("in", "", "output of go test -bench, or several files separated by commas, later ones replacing earlier results (default: standard input)")
	out := flag.String("out", "BENCHMARKS.md", "report to write")
	note := flag.String("note", "", "with several -in files: where and at which commit each run was made, appended to the report")
	flag.Parse()
	if err := run(*in, *out, *note); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(in, out, note string) error {
	var (
		res     parsed
		sources []string
	)
	if in == "" {
		p, err := parse(os.Stdin)
		if err != nil {
			return err
		}
		res = p
	}
	for _, name := range strings.Split(in, ",") {
		if name == "" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		p, err := parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		res = res.merge(p)
		sources = append(sources, name)
	}
	if len(res.results) == 0 {
		return errors.New("no benchmark results in the input: did go test -bench run?")
	}
	tmp := out + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	write(f, res, machine(res.cpu), time.Now())
	if len(sources) > 1 {
		fmt.Fprintf(f, "\nWritten from %s (a benchmark in a later file replaces its earlier result).", strings.Join(sources, ", "))
		if note != "" {
			fmt.Fprintf(f, " %s", note)
		}
		fmt.Fprintln(f)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// merge returns p with q's results added, each of q's replacing p's result
// of the same package and name; a benchmark q measured again is no longer
// reported failed.
func (p parsed) merge(q parsed) parsed {
	out := parsed{cpu: p.cpu}
	if q.cpu != "" {
		out.cpu = q.cpu
	}
	again := map[string]bool{}
	for _, r := range q.results {
		again[r.pkg+" "+r.name] = true
	}
	for _, r := range p.results {
		if !again[r.pkg+" "+r.name] {
			out.results = append(out.results, r)
		}
	}
	out.results = append(out.results, q.results...)
	for _, f := range p.failed {
		redone := false
		for k := range again {
			name := k[strings.Index(k, " ")+1:]
			if strings.Contains(f, name) {
				redone = true
			}
		}
		if !redone {
			out.failed = append(out.failed, f)
		}
	}
	out.failed = append(out.failed, q.failed...)
	return out
}

// result is one benchmark's line: its package, name without the GOMAXPROCS
// suffix, and each metric by unit.
type result struct {
	pkg, name string
	metrics   map[string]float64
	units     []string // in the order printed
}

type parsed struct {
	cpu     string
	results []result
	failed  []string // FAIL lines: a benchmark that did not finish
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) (parsed, error) {
	var p parsed
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "cpu: "):
			p.cpu = strings.TrimPrefix(line, "cpu: ")
		case strings.HasPrefix(line, "--- FAIL: "), strings.HasPrefix(line, "FAIL\t"):
			p.failed = append(p.failed, strings.TrimSpace(line))
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			// name, iterations, then value-unit pairs.
			if len(f) < 4 || len(f)%2 != 0 {
				continue
			}
			if _, err := strconv.Atoi(f[1]); err != nil {
				continue
			}
			res := result{pkg: pkg, name: procSuffix.ReplaceAllString(f[0], ""), metrics: map[string]float64{}}
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					continue
				}
				res.metrics[f[i+1]] = v
				res.units = append(res.units, f[i+1])
			}
			p.results = append(p.results, res)
		}
	}
	return p, sc.Err()
}

func (p parsed) find(pkg, name string) (result, bool) {
	for _, r := range p.results {
		if r.name == name && (pkg == "" || r.pkg == pkg) {
			return r, true
		}
	}
	return result{}, false
}

// target is a figure the project holds itself to.
type target struct {
	what string
	// value computes the figure from the results; ok false when the
	// benchmark did not run.
	value func(p parsed) (float64, bool)
	unit  string
	// met says whether v meets the target; goal describes it.
	met  func(v float64) bool
	goal string
}

func metric(pkg, name, unit string) func(p parsed) (float64, bool) {
	return func(p parsed) (float64, bool) {
		r, ok := p.find(pkg, name)
		if !ok {
			return 0, false
		}
		v, ok := r.metrics[unit]
		return v, ok
	}
}

// searchP95 is the worst p95 over the search benchmark's queries.
func searchP95(p parsed) (float64, bool) {
	worst, found := 0.0, false
	for _, r := range p.results {
		if !strings.HasPrefix(r.name, "BenchmarkSearchMillion") {
			continue
		}
		if v, ok := r.metrics["p95-ms"]; ok {
			worst, found = max(worst, v), true
		}
	}
	return worst, found
}

const cmdPkg = "sohoa/cmd/sohoa"

var targets = []target{
	{"OCR: sohoa ingest ÷ 2 parallel tesseract CLI, JPEG pages", metric(cmdPkg, "BenchmarkOCRThroughput/jpeg", "ratio"), "×",
		func(v float64) bool { return v >= 0.95 }, "≥ 0.95"},
	{"OCR: sohoa ingest ÷ 2 parallel tesseract CLI, PNG pages", metric(cmdPkg, "BenchmarkOCRThroughput/png", "ratio"), "×",
		func(v float64) bool { return v >= 0.95 }, "≥ 0.95"},
	{"OCR: sohoa ingest ÷ ocrmypdf --jobs 2, the same pages as one PDF", metric(cmdPkg, "BenchmarkOCRThroughput/pdf", "ratio"), "×",
		func(v float64) bool { return v > 1 }, "> 1 (ahead)"},
	{"Peak memory (RSS) ingesting 300 pages", metric(cmdPkg, "BenchmarkIngestMemory/pages=300", "peak-RSS-MB"), "MB",
		func(v float64) bool { return v < 500 }, "< 500"},
	{"Peak memory, 300-page batch ÷ 30-page batch", func(p parsed) (float64, bool) {
		big, ok1 := metric(cmdPkg, "BenchmarkIngestMemory/pages=300", "peak-RSS-MB")(p)
		small, ok2 := metric(cmdPkg, "BenchmarkIngestMemory/pages=30", "peak-RSS-MB")(p)
		return big / small, ok1 && ok2 && small > 0
	}, "×", func(v float64) bool { return v < 1.5 }, "< 1.5 (the batch size barely matters)"},
	{"Catalog insert rate (record + job + index, one transaction each)", func(p parsed) (float64, bool) {
		ns, ok := metric("sohoa/storage/catalog/sqlite", "BenchmarkAddRecord", "ns/op")(p)
		return 1e9 / ns, ok && ns > 0
	}, "records/s", nil, ""},
	{"sohoa progress --level commune --json at 1,000,000 records", metric(cmdPkg, "BenchmarkProgressMillion/process", "ms/op"), "ms",
		func(v float64) bool { return v < 1000 }, "< 1000"},
	{"Dashboard overview at 1,000,000 records, first request", metric("sohoa/cmd/sohoa/internal/dashboard", "BenchmarkDashboardMillion/overview", "first-ms"), "ms",
		func(v float64) bool { return v < 300 }, "< 300"},
	{"Search at 1,000,000 records, worst p95 over the typical queries", searchP95, "ms",
		func(v float64) bool { return v < 50 }, "< 50"},
}

func machine(cpu string) string {
	cores := runtime.NumCPU()
	s := fmt.Sprintf("%d cores", cores)
	if cpu != "" {
		s += " (" + cpu + ")"
	}
	s += ", " + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tool := range [][]string{{"tesseract", "--version"}, {"ocrmypdf", "--version"}} {
		out, err := exec.Command(tool[0], tool[1:]...).CombinedOutput()
		if err != nil {
			continue
		}
		first := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		if !strings.HasPrefix(first, tool[0]) {
			first = tool[0] + " " + first
		}
		s += ", " + first
	}
	return s
}

func write(w io.Writer, p parsed, machine string, now time.Time) {
	fmt.Fprintf(w, "# Benchmarks\n\n")
	fmt.Fprintf(w, "Written on %s by `make bench` (cmd/sohoa/internal/benchreport, from the output of go test -bench). Machine: %s.\n\n", now.UTC().Format("2006-01-02 15:04 UTC"), machine)
	fmt.Fprintf(w, "Ratios are measured in the same run as their reference, so they hold across machines better than the absolute rates do. Do not edit this file: run `make bench` again.\n\n")
	fmt.Fprintf(w, "## Targets\n\n| What | Measured | Target | Met |\n|---|---|---|---|\n")
	for _, t := range targets {
		v, ok := t.value(p)
		switch {
		case !ok:
			fmt.Fprintf(w, "| %s | not run | %s | — |\n", t.what, orDash(t.goal))
		case t.met == nil:
			fmt.Fprintf(w, "| %s | %s %s | — | — |\n", t.what, num(v), t.unit)
		default:
			met := "yes"
			if !t.met(v) {
				met = "**no**"
			}
			fmt.Fprintf(w, "| %s | %s %s | %s | %s |\n", t.what, num(v), t.unit, t.goal, met)
		}
	}
	if len(p.failed) > 0 {
		fmt.Fprintf(w, "\nFailed:\n\n")
		for _, f := range p.failed {
			fmt.Fprintf(w, "- `%s`\n", f)
		}
	}
	fmt.Fprintf(w, "\n## Every result\n\n| Package | Benchmark | Metrics |\n|---|---|---|\n")
	rs := slices.Clone(p.results)
	slices.SortStableFunc(rs, func(a, b result) int { return strings.Compare(a.pkg, b.pkg) })
	for _, r := range rs {
		var ms []string
		for _, u := range r.units {
			ms = append(ms, num(r.metrics[u])+" "+u)
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", strings.TrimPrefix(r.pkg, "sohoa/"), strings.TrimPrefix(r.name, "Benchmark"), strings.Join(ms, ", "))
	}
}

// num prints v with three significant figures or as a whole number.
func num(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
