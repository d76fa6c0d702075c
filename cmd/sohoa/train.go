package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline/classify"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// Settings of retraining, in the catalog's settings table.
const (
	// settingTrainEvery is after how many new confirmations `review
	// confirm` retrains the classifier; 0 turns that off.
	settingTrainEvery = "review.train_every"
	// settingTrained is how many confirmed records the last training used.
	settingTrained    = "review.trained_confirmations"
	defaultTrainEvery = 20
	// genHeldSeed draws the generated documents the retrained model is
	// also measured on, apart from the training seeds.
	genHeldSeed, genHeldDocs = 9_100_001, 300
	// classifierFile is the retrained classifier in the data folder;
	// loadClassifier prefers it to the built-in one.
	classifierFile = "classifier.json"
)

// accuracy is how many of a held-out set a model typed right.
type accuracy struct {
	Right int     `json:"right"`
	N     int     `json:"n"`
	Share float64 `json:"share"`
}

func newAccuracy(right, n int) accuracy {
	a := accuracy{Right: right, N: n}
	if n > 0 {
		a.Share = float64(right) / float64(n)
	}
	return a
}

// trainReport is what `sohoa train` did.
type trainReport struct {
	// Confirmed is how many confirmed records there are; HeldOut of them
	// (every fifth, in the order they were confirmed) were kept out of
	// training to measure Before and After on.
	Confirmed int `json:"confirmed"`
	HeldOut   int `json:"held_out"`
	Generated int `json:"generated"`
	Weight    int `json:"weight"`
	// Before is the classifier in use until now, After the one trained
	// without the held-out records; both on those records.
	Before accuracy `json:"before"`
	After  accuracy `json:"after"`
	// GeneratedBefore and GeneratedAfter are the same two models on
	// generated documents no model was trained on: corrections must not
	// make the common cases worse.
	GeneratedBefore accuracy `json:"generated_before"`
	GeneratedAfter  accuracy `json:"generated_after"`
	// Installed is set when the retrained classifier was written to Path
	// (trained on every confirmed record). A classifier that measured worse
	// than the one in use, on the held-out records or on the generated
	// documents (by more than 2 points), is not installed unless forced.
	Installed bool   `json:"installed"`
	Path      string `json:"path"`
}

// notWorse reports whether the retrained classifier measured at least as
// well as the one in use on the held-out confirmed records and within 2
// points on the generated documents: only then is it installed unasked.
func (r trainReport) notWorse() bool {
	return r.After.Right >= r.Before.Right && r.GeneratedAfter.Share >= r.GeneratedBefore.Share-0.02
}

func runTrain(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "train", "[--every N] [--json]", `
Huấn luyện lại bộ phân loại loại văn bản từ các hồ sơ đã xác nhận (văn bản
OCR và loại đã xác nhận) cùng bộ văn bản mẫu có sẵn, ghi vào
DỮ-LIỆU/classifier.json (các lần nhập sau dùng nó), và báo độ chính xác trên
một phần hồ sơ giữ lại (cứ 5 hồ sơ xác nhận thì giữ 1, không dùng để học)
trước và sau khi học. Bản mới kém hơn bản đang dùng thì không ghi (--force
để ghi). Tự chạy sau mỗi N lần xác nhận (mặc định 20);
--every N đổi N (0: tắt) rồi thôi.
Retrain the document-type classifier from confirmed records (their OCR text
and confirmed type) together with the built-in generated set, write
DATA/classifier.json (later runs of the pipeline use it), and report accuracy
before and after on held-out records (every fifth confirmed record is kept
out of training). A retrained classifier that measures worse than the one in
use is not written (--force writes it). Runs by itself after every N
confirmations (default 20); --every N changes N (0 turns it off) and does
nothing else.

Ví dụ / example:
  sohoa train
  sohoa train --every 50`)
	every := fs.Int("every", -1, "tự huấn luyện sau N lần xác nhận, 0: tắt / retrain after N confirmations, 0: never")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	force := fs.Bool("force", false, "ghi bộ phân loại mới cả khi nó kém hơn / install the retrained classifier even when it measures worse")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("train không nhận đối số %q (takes no arguments)", pos[0])
	}
	cfg, err := loadConfig(*data, false)
	if err != nil {
		return err
	}
	db, err := openCatalogIn(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if *every >= 0 {
		details, _ := json.Marshal(map[string]any{"name": settingTrainEvery, "value": *every})
		if err := db.SetSetting(ctx, settingTrainEvery, strconv.Itoa(*every), catalog.Event{
			Actor: actorName(*actor), Action: "setting", Details: string(details)}); err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, map[string]any{"train_every": *every})
		}
		if *every == 0 {
			fmt.Fprintln(e.stdout, "Tắt tự huấn luyện lại (automatic retraining off).")
		} else {
			fmt.Fprintf(e.stdout, "Tự huấn luyện lại sau mỗi %d lần xác nhận (retrain after every %d confirmations).\n", *every, *every)
		}
		return nil
	}
	rep, err := train(ctx, cfg.DataDir, db, actorName(*actor), *force)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	printTrainReport(e.stdout, rep)
	return nil
}

// errNothingConfirmed means there is no confirmed record to learn from.
var errNothingConfirmed = errors.New("không có hồ sơ nào đã xác nhận (no confirmed records): xác nhận trước / confirm some first with sohoa review confirm ID")

// train retrains the classifier from the confirmed records of db and the
// built-in generated set, writes it into dataDir, and records how many
// confirmations it used.
func train(ctx context.Context, dataDir string, db *sqlite.DB, actor string, force bool) (trainReport, error) {
	confs, err := db.Confirmations(ctx)
	if err != nil {
		return trainReport{}, err
	}
	var fit, all []classify.Example
	var held []classify.Labelled
	for i, c := range confs {
		r, err := db.Record(ctx, c.RecordID)
		if err != nil {
			return trainReport{}, err
		}
		pgs, err := db.Pages(ctx, c.RecordID)
		if err != nil {
			return trainReport{}, err
		}
		l := classify.Labelled{DocType: r.DocType.Value}
		for _, p := range pgs {
			l.Pages = append(l.Pages, p.Page)
		}
		if strings.TrimSpace(l.Text()) == "" || r.DocType.Value == "" {
			continue // nothing to learn from
		}
		ex := classify.Example{Text: l.Text(), DocType: r.DocType.Value, Field: r.Field.Value}
		all = append(all, ex)
		if i%5 == 4 {
			held = append(held, l)
		} else {
			fit = append(fit, ex)
		}
	}
	if len(all) == 0 {
		return trainReport{}, errNothingConfirmed
	}
	before, err := loadClassifier(dataDir)
	if err != nil {
		return trainReport{}, err
	}
	docs := fixtures.TrainingSet(trainSeed, trainDocs)
	gen := make([]classify.Example, len(docs))
	for i, d := range docs {
		gen[i] = classify.Example{Text: d.Text(), DocType: d.DocType, Field: d.Field}
	}
	genHeld := generatedLabelled(genHeldSeed, genHeldDocs)

	rep := trainReport{Confirmed: len(all), HeldOut: len(held), Generated: len(gen), Weight: classify.ConfirmedWeight}
	after := classify.Retrain(gen, fit, classify.ConfirmedWeight)
	rep.Before = newAccuracy(classify.Accuracy(before, held))
	rep.After = newAccuracy(classify.Accuracy(after, held))
	rep.GeneratedBefore = newAccuracy(classify.Accuracy(before, genHeld))
	rep.GeneratedAfter = newAccuracy(classify.Accuracy(after, genHeld))
	rep.Path = filepath.Join(dataDir, classifierFile)
	if rep.notWorse() || force {
		final := after
		if len(held) > 0 {
			// The held-out records measured the method; the classifier
			// kept learns from every confirmed record.
			final = classify.Retrain(gen, all, classify.ConfirmedWeight)
		}
		if err := writeClassifier(rep.Path, final); err != nil {
			return trainReport{}, err
		}
		rep.Installed = true
	}
	// The count is recorded either way: a classifier that measured worse
	// is not retried at every confirmation, only after the next N.
	details, _ := json.Marshal(rep)
	if err := db.SetSetting(ctx, settingTrained, strconv.Itoa(len(confs)), catalog.Event{
		Actor: actor, Action: "train", Details: string(details)}); err != nil {
		return trainReport{}, err
	}
	return rep, nil
}

// generatedLabelled is n generated documents as a perfect OCR reads them.
func generatedLabelled(seed int64, n int) []classify.Labelled {
	var out []classify.Labelled
	for _, d := range fixtures.TrainingSet(seed, n) {
		l := classify.Labelled{DocType: d.DocType}
		for _, p := range strings.Split(d.Text(), "\f") {
			l.Pages = append(l.Pages, ocr.Page{Text: p, Confidence: 1})
		}
		out = append(out, l)
	}
	return out
}

// writeClassifier writes m to path whole or not at all: a pipeline
// starting meanwhile reads the old classifier or the new one, never half.
func writeClassifier(path string, m *classify.Model) error {
	b, err := m.MarshalJSON()
	if err != nil {
		return fmt.Errorf("save classifier: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".classifier-*.tmp")
	if err != nil {
		return fmt.Errorf("save classifier %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("save classifier %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// trainIfDue retrains when the confirmations since the last training
// reach the review.train_every setting; it returns nil when not due.
func trainIfDue(ctx context.Context, e *env, cfg config, db *sqlite.DB) (*trainReport, error) {
	every := defaultTrainEvery
	if v, err := db.Setting(ctx, settingTrainEvery); err == nil {
		if every, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("setting %s is %q, not a number: set it with sohoa train --every N", settingTrainEvery, v)
		}
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	if every <= 0 {
		return nil, nil
	}
	last := 0
	if v, err := db.Setting(ctx, settingTrained); err == nil {
		last, _ = strconv.Atoi(v)
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	confs, err := db.Confirmations(ctx)
	if err != nil {
		return nil, err
	}
	if len(confs)-last < every {
		return nil, nil
	}
	rep, err := train(ctx, cfg.DataDir, db, "sohoa", false)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

func printTrainReport(w io.Writer, r trainReport) {
	if r.Installed {
		fmt.Fprintf(w, "Đã huấn luyện lại bộ phân loại / classifier retrained: %s\n", r.Path)
	} else {
		fmt.Fprintln(w, "Giữ bộ phân loại đang dùng: bản học lại đo được kém hơn (kept the classifier in use: the retrained one measured worse; sohoa train --force installs it anyway)")
	}
	fmt.Fprintf(w, "  học từ / learnt from: %d hồ sơ đã xác nhận (confirmed records, each counted %d×) + %d văn bản mẫu (generated)\n",
		r.Confirmed, r.Weight, r.Generated)
	if r.HeldOut == 0 {
		fmt.Fprintln(w, "  độ chính xác trên hồ sơ giữ lại / held-out accuracy: chưa đo được, cần ít nhất 5 hồ sơ xác nhận (needs 5 confirmed records)")
	} else {
		fmt.Fprintf(w, "  độ chính xác trên %d hồ sơ xác nhận giữ lại / accuracy on %d held-out confirmed records:\n", r.HeldOut, r.HeldOut)
		fmt.Fprintf(w, "    trước / before  %3d/%-3d  %5.1f%%\n", r.Before.Right, r.Before.N, 100*r.Before.Share)
		fmt.Fprintf(w, "    sau / after     %3d/%-3d  %5.1f%%\n", r.After.Right, r.After.N, 100*r.After.Share)
	}
	fmt.Fprintf(w, "  trên %d văn bản mẫu chưa học / on %d unseen generated documents: trước/before %.1f%%, sau/after %.1f%%\n",
		r.GeneratedBefore.N, r.GeneratedBefore.N, 100*r.GeneratedBefore.Share, 100*r.GeneratedAfter.Share)
}
