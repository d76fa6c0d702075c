package main

import (
	"fmt"
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
	trainDocs = 3000
)

// loadClassifier returns the classifier in the data folder (trained on
// confirmed records, once clerks have corrected some), or the built-in one
// trained on generated documents.
func loadClassifier(dataDir string) (*classify.Model, error) {
	path := filepath.Join(dataDir, "classifier.json")
	if b, err := os.ReadFile(path); err == nil {
		m := new(classify.Model)
		if err := m.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("load classifier %s: %w (delete it to use the built-in one)", path, err)
		}
		return m, nil
	}
	return builtinClassifier(), nil
}

func builtinClassifier() *classify.Model {
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
