package extract

import (
	"bufio"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// realDoc is one real scan: its pages as OCR read them and its labels.
type realDoc struct {
	file, prefix string
	pages        []ocr.Page
	labels       map[string]string
}

// loadTSV reads Tesseract TSV output into a page the way ocr/tesseract
// assembles one.
func loadTSV(t testing.TB, path string) ocr.Page {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var p ocr.Page
	var text strings.Builder
	line, prevBlock, prevPar, prevLine := -1, -1, -1, -1
	var confSum float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 12 {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			n[i], _ = strconv.Atoi(c[i])
		}
		if n[0] == 1 {
			p.Width, p.Height = n[8], n[9]
		}
		if n[0] != 5 {
			continue
		}
		w := vntext.NFC(strings.TrimSpace(c[11]))
		if w == "" {
			continue
		}
		block, par, ln := n[2], n[3], n[4]
		if block != prevBlock || par != prevPar || ln != prevLine {
			if line >= 0 {
				text.WriteByte('\n')
				if block != prevBlock {
					text.WriteByte('\n')
				}
			}
			line++
			prevBlock, prevPar, prevLine = block, par, ln
		} else {
			text.WriteByte(' ')
		}
		text.WriteString(w)
		conf, _ := strconv.ParseFloat(c[10], 64)
		conf /= 100
		if conf < 0 {
			conf = 0
		}
		confSum += conf
		box := image.Rect(n[6], n[7], n[6]+n[8], n[7]+n[9])
		p.Words = append(p.Words, ocr.Word{Text: w, Box: box, Confidence: conf, Line: line})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	p.Text = text.String()
	if len(p.Words) > 0 {
		p.Confidence = confSum / float64(len(p.Words))
	}
	return p
}

// loadReal reads the seven real documents from testdata/real.
func loadReal(t testing.TB) []realDoc {
	t.Helper()
	b, err := os.ReadFile("testdata/real/labels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(rows[0], "\t")
	var docs []realDoc
	for _, r := range rows[1:] {
		c := strings.Split(r, "\t")
		d := realDoc{file: c[0], labels: map[string]string{}}
		for i, h := range head {
			if i < len(c) {
				d.labels[h] = vntext.NFC(c[i])
			}
		}
		d.prefix, _, _ = strings.Cut(d.file, ".signed")
		files, _ := filepath.Glob("testdata/real/" + d.prefix + "-*.tsv")
		sort.Slice(files, func(i, j int) bool { return pageNo(files[i]) < pageNo(files[j]) })
		for _, f := range files {
			d.pages = append(d.pages, loadTSV(t, f))
		}
		if len(d.pages) == 0 {
			t.Fatalf("no OCR pages for %s", d.file)
		}
		docs = append(docs, d)
	}
	return docs
}

func pageNo(path string) int {
	s := strings.TrimSuffix(filepath.Base(path), ".tsv")
	n, _ := strconv.Atoi(s[strings.LastIndex(s, "-")+1:])
	return n
}
