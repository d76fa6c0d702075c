package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sohoa/fixtures"
	"sohoa/pipeline/classify"
)

// Training seeds of the built-in classifier. Evaluation sets are made with
// other seeds (make eval draws a fresh one), so accuracy is measured on
// documents the model never saw.
const (
	trainSeed = 7_000_001
	trainDocs = 2000
)

// loadClassifier returns the classifier in the data folder (trained on
// confirmed records, once clerks have corrected some), or the built-in one
// trained on generated documents.
func loadClassifier(dataDir string) (*classify.Model, error) {
	path := filepath.Join(dataDir, "classifier.json")
	if b, err := os.ReadFile(path); err == nil {
		m, err := classify.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("load classifier %s: %w (delete it to use the built-in one)", path, err)
		}
		return m, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = dataDir
	}
	return builtinClassifier(filepath.Join(cache, "sohoa")), nil
}

// builtinClassifier trains the built-in model, or loads the copy a
// previous run of this same executable saved in cacheDir (the user's
// cache folder, shared by every data folder): training takes
// seconds, which a clerk would otherwise wait at every start. The cache is
// keyed by the executable's sha256, so a new build never reads a model an
// older generator or classifier made.
func builtinClassifier(cacheDir string) *classify.Model {
	key := executableSum()
	path := filepath.Join(cacheDir, "classifier-"+key+".json")
	if key != "" {
		if b, err := os.ReadFile(path); err == nil {
			if m, err := classify.Unmarshal(b); err == nil {
				return m
			}
		}
	}
	m := trainBuiltin()
	if key != "" {
		if b, err := m.MarshalJSON(); err == nil && os.MkdirAll(cacheDir, 0o755) == nil {
			// Written whole then renamed: a reader never sees half a model.
			tmp := path + ".tmp"
			if os.WriteFile(tmp, b, 0o644) == nil {
				_ = os.Rename(tmp, path)
			}
		}
	}
	return m
}

func executableSum() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func trainBuiltin() *classify.Model {
	docs := fixtures.TrainingSet(trainSeed, trainDocs)
	ex := make([]classify.Example, len(docs))
	for i, d := range docs {
		ex[i] = classify.Example{Text: d.Text(), DocType: d.DocType, Field: d.Field}
	}
	return classify.Train(ex)
}

// tempDir is where originals are unpacked while being processed: inside
// the data folder, so it is on the same disk and survives nothing.
func tempDir(dataDir string) string { return filepath.Join(dataDir, "tmp") }
