package handwriting

import (
	_ "embed"
	"sync"

	"sohoa/pipeline/handwriting/internal/digitnet"
)

// digitWeights are the classifier's weights, trained on MNIST by
// internal/train (see internal/train/README.md and NOTICE).
//
//go:embed digits.weights
var digitWeights []byte

// model is the embedded classifier, decoded on first use. A corrupt
// embedded file is a build defect, not a runtime condition: it panics.
var model = sync.OnceValue(func() *digitnet.Net {
	n, err := digitnet.Decode(digitWeights)
	if err != nil {
		panic("handwriting: " + err.Error())
	}
	return n
})
