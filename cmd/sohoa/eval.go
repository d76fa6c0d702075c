package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"sohoa/pipeline"
	"sohoa/pipeline/eval"
	"sohoa/storage/catalog"
)

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "eval", "--labels NHÃN.tsv [--json] THƯ-MỤC", `
Nhập mọi tệp của THƯ-MỤC vào một kho tạm, rồi so kết quả với bảng nhãn (TSV,
cột: file, doc_type, number, issued_on, issuer, subject, và tùy chọn text =
tệp văn bản đúng): độ chính xác phân loại, tỷ lệ khớp đúng từng trường, tỷ lệ
lỗi ký tự (CER). Kho dữ liệu thật không bị đụng tới.
Ingest every file of DIR into a throwaway catalog and score the results against
a labels TSV: type accuracy, exact-match rate per field, character error rate.
Your real data folder is not touched.`)
	labelsPath := fs.String("labels", "", "bảng nhãn TSV / labels TSV (required)")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	workers := fs.Int("workers", runtime.NumCPU(), "số luồng OCR / OCR workers")
	showWrong := fs.Int("show-wrong", 10, "in tối đa N trường sai / print up to N mismatches")
	keep := fs.String("keep", "", "giữ kho tạm ở THƯ-MỤC này để xem lại (sohoa show --data THƯ-MỤC) / keep the throwaway data folder here to inspect it")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *labelsPath == "" || len(pos) != 1 {
		return usagef("cần --labels TỆP và đúng một thư mục (give --labels FILE and one folder)")
	}
	dir := pos[0]
	labels, err := eval.ReadLabels(*labelsPath)
	if err != nil {
		return err
	}
	tmp := *keep
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "sohoa-eval-"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
	} else if ents, err := os.ReadDir(tmp); err == nil && len(ents) > 0 {
		return usagef("--keep %s: thư mục đã có dữ liệu; chọn thư mục trống (the folder is not empty: choose an empty one)", tmp)
	}
	st, err := e.open(ctx, config{DataDir: tmp})
	if err != nil {
		return err
	}
	defer st.Close()
	out := newOutput(e, false)
	out.quiet = true
	p, err := st.pipeline(*workers, "eval", out)
	if err != nil {
		return err
	}
	// Only the labelled files are ingested, so a folder that also holds
	// truth files or other sets is fine.
	paths := make([]string, len(labels))
	for i, l := range labels {
		paths[i] = filepath.Join(dir, l.File)
	}
	res, err := p.Ingest(ctx, pipeline.IngestRequest{Paths: paths, Clerk: "eval"}, nil)
	if err != nil {
		return err
	}
	if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
		return err
	}
	out.bar.finish()
	reads := map[string]eval.Read{}
	for _, r := range res.Records {
		cur, err := st.catalog.Record(ctx, r.ID)
		if err != nil {
			return err
		}
		text, err := recordText(ctx, st.catalog, r.ID)
		if err != nil {
			return err
		}
		if cur.Status == catalog.StatusDuplicate {
			first, err := st.catalog.Record(ctx, cur.DuplicateOf)
			if err == nil {
				cur = first
			}
		}
		reads[labelFor(labels, r.Source)] = eval.Read{
			Status: string(cur.Status), DocType: cur.DocType.Value, Number: cur.Number.Value, IssuedOn: cur.Issued.Value,
			Issuer: cur.Issuer.Value, Subject: cur.Subject.Value, Text: text,
		}
	}
	rep, err := eval.Score(labels, reads)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Chỉ số / metric\tđúng / correct\ttỷ lệ / rate\n")
	names := map[string]string{"doc_type": "loại văn bản / type accuracy", "number": "số ký hiệu / number", "issued_on": "ngày ban hành / issued_on",
		"issuer": "cơ quan ban hành / issuer", "subject": "trích yếu / subject"}
	for _, m := range rep.Metrics {
		fmt.Fprintf(w, "%s\t%d/%d\t%.1f%%\n", names[m.Name], m.Correct, m.Total, 100*m.Rate)
	}
	if rep.CERChars > 0 {
		fmt.Fprintf(w, "CER (lỗi ký tự / character error rate)\t%d ký tự\t%.2f%%\n", rep.CERChars, 100*rep.CER)
	}
	fmt.Fprintf(w, "cần kiểm tra / needs review\t%d/%d\t\n", rep.NeedReview, rep.Documents)
	fmt.Fprintf(w, "lỗi / failed\t%d/%d\t\n", rep.Failed, rep.Documents)
	w.Flush()
	if len(rep.Missing) > 0 {
		fmt.Fprintf(e.stdout, "Không có kết quả cho / no result for: %s\n", strings.Join(rep.Missing, ", "))
	}
	for i, m := range rep.Mismatches {
		if i == 0 {
			fmt.Fprintln(e.stdout, "\nSai / mismatches:")
		}
		if i >= *showWrong {
			fmt.Fprintf(e.stdout, "  … %d more (--show-wrong N)\n", len(rep.Mismatches)-i)
			break
		}
		fmt.Fprintf(e.stdout, "  %s %s: want %q, got %q\n", m.File, m.Field, m.Want, m.Got)
	}
	return nil
}

// labelFor maps a record's source name back to the label's file column.
func labelFor(labels []eval.Label, source string) string {
	for _, l := range labels {
		if filepath.Base(l.File) == source || l.File == source {
			return l.File
		}
	}
	return source
}
