// Package digitnet is the handwritten-digit classifier of
// pipeline/handwriting: a small convolutional network with a hand-written
// forward and backward pass, the MNIST-style normalisation every digit goes
// through before it, and the weight file format. It is shared by the
// package that reads digits and by the program that trains the weights, so
// that both see digits normalised the same way.
package digitnet

import (
	"math"
	"math/rand/v2"
)

// Side is the side of the square input image, as in MNIST.
const Side = 28

// Classes is the number of outputs: the digits 0 to 9, then Fragment and
// Pair.
const Classes = 12

// The outputs beyond the digits. They let the reader tell a glyph cut in
// the wrong place (half a 0 looks like a 1) and two digits written
// touching (36 looks like an 8) from one whole digit.
const (
	// Fragment is part of a digit cut off from the rest.
	Fragment = 10
	// Pair is two digits written touching each other.
	Pair = 11
)

// The layers, in order. Convolutions are "valid" (no padding); each is
// followed by a ReLU and a 2×2 max pool.
const (
	c1Out, c1K = 16, 5 // 28×28×1 → 24×24×16 → 12×12×16
	c2Out, c2K = 32, 3 // 12×12×16 → 10×10×32 → 5×5×32
	h1         = 128   // 800 → 128, ReLU
	c1Side     = Side - c1K + 1
	p1Side     = c1Side / 2
	c2Side     = p1Side - c2K + 1
	p2Side     = c2Side / 2
	flat       = p2Side * p2Side * c2Out
)

// Net holds the weights. The zero value is not usable: make one with New or
// Decode.
type Net struct {
	// Params is every weight and bias in one slice, in the order of the
	// views below, so that training can treat it as one vector.
	Params []float32

	w1, b1 []float32 // [c1Out][c1K*c1K]
	w2, b2 []float32 // [c2Out][c1Out*c2K*c2K]
	w3, b3 []float32 // [h1][flat]
	w4, b4 []float32 // [Classes][h1]
}

// paramCount is the length of Net.Params.
const paramCount = c1Out*c1K*c1K + c1Out + c2Out*c1Out*c2K*c2K + c2Out + h1*flat + h1 + Classes*h1 + Classes

// New makes a network with He-initialised weights drawn from rng.
func New(rng *rand.Rand) *Net {
	n := view(make([]float32, paramCount))
	he := func(w []float32, fanIn int) {
		sd := math.Sqrt(2 / float64(fanIn))
		for i := range w {
			w[i] = float32(rng.NormFloat64() * sd)
		}
	}
	he(n.w1, c1K*c1K)
	he(n.w2, c1Out*c2K*c2K)
	he(n.w3, flat)
	he(n.w4, h1)
	return n
}

// view slices params into the layer views.
func view(p []float32) *Net {
	n := &Net{Params: p}
	take := func(k int) []float32 {
		s := p[:k:k]
		p = p[k:]
		return s
	}
	n.w1, n.b1 = take(c1Out*c1K*c1K), take(c1Out)
	n.w2, n.b2 = take(c2Out*c1Out*c2K*c2K), take(c2Out)
	n.w3, n.b3 = take(h1*flat), take(h1)
	n.w4, n.b4 = take(Classes*h1), take(Classes)
	return n
}

// activations are the intermediate values of one forward pass, kept for
// the backward pass.
type activations struct {
	in     []float32 // Side*Side
	a1     []float32 // c1Out*c1Side*c1Side, after ReLU
	p1     []float32 // c1Out*p1Side*p1Side
	p1Arg  []int32   // index into a1 of each pooled maximum
	a2     []float32 // c2Out*c2Side*c2Side, after ReLU
	p2     []float32 // flat
	p2Arg  []int32
	a3     []float32 // h1, after ReLU
	logits []float32 // Classes
	prob   []float32 // Classes
}

func newActivations() *activations {
	return &activations{
		a1:     make([]float32, c1Out*c1Side*c1Side),
		p1:     make([]float32, c1Out*p1Side*p1Side),
		p1Arg:  make([]int32, c1Out*p1Side*p1Side),
		a2:     make([]float32, c2Out*c2Side*c2Side),
		p2:     make([]float32, flat),
		p2Arg:  make([]int32, flat),
		a3:     make([]float32, h1),
		logits: make([]float32, Classes),
		prob:   make([]float32, Classes),
	}
}

// Predict returns the probability of each digit for one normalised image
// of Side×Side values in 0..1, ink high.
func (n *Net) Predict(img []float32) [Classes]float32 {
	a := newActivations()
	n.forward(img, a)
	var out [Classes]float32
	copy(out[:], a.prob)
	return out
}

func (n *Net) forward(img []float32, a *activations) {
	a.in = img
	// conv1 + ReLU
	for o := range c1Out {
		w := n.w1[o*c1K*c1K : (o+1)*c1K*c1K]
		out := a.a1[o*c1Side*c1Side : (o+1)*c1Side*c1Side]
		for y := range c1Side {
			for x := range c1Side {
				s := n.b1[o]
				for ky := range c1K {
					row := img[(y+ky)*Side+x : (y+ky)*Side+x+c1K]
					wr := w[ky*c1K : ky*c1K+c1K]
					for kx, v := range row {
						s += v * wr[kx]
					}
				}
				out[y*c1Side+x] = max(s, 0)
			}
		}
	}
	maxPool(a.a1, c1Out, c1Side, a.p1, a.p1Arg)
	// conv2 + ReLU
	const k2 = c2K * c2K
	for o := range c2Out {
		out := a.a2[o*c2Side*c2Side : (o+1)*c2Side*c2Side]
		for i := range out {
			out[i] = n.b2[o]
		}
		for c := range c1Out {
			w := n.w2[(o*c1Out+c)*k2 : (o*c1Out+c+1)*k2]
			in := a.p1[c*p1Side*p1Side : (c+1)*p1Side*p1Side]
			for y := range c2Side {
				for x := range c2Side {
					s := float32(0)
					for ky := range c2K {
						row := in[(y+ky)*p1Side+x : (y+ky)*p1Side+x+c2K]
						wr := w[ky*c2K : ky*c2K+c2K]
						for kx, v := range row {
							s += v * wr[kx]
						}
					}
					out[y*c2Side+x] += s
				}
			}
		}
		for i, v := range out {
			out[i] = max(v, 0)
		}
	}
	maxPool(a.a2, c2Out, c2Side, a.p2, a.p2Arg)
	// dense + ReLU
	for j := range h1 {
		w := n.w3[j*flat : (j+1)*flat]
		s := n.b3[j]
		for i, v := range a.p2 {
			s += v * w[i]
		}
		a.a3[j] = max(s, 0)
	}
	// output + softmax
	top := float32(math.Inf(-1))
	for k := range Classes {
		w := n.w4[k*h1 : (k+1)*h1]
		s := n.b4[k]
		for i, v := range a.a3 {
			s += v * w[i]
		}
		a.logits[k] = s
		top = max(top, s)
	}
	var sum float32
	for k, v := range a.logits {
		e := float32(math.Exp(float64(v - top)))
		a.prob[k] = e
		sum += e
	}
	for k := range a.prob {
		a.prob[k] /= sum
	}
}

// maxPool pools each channel of in (side×side) 2×2 into out, recording the
// index of each maximum in arg.
func maxPool(in []float32, channels, side int, out []float32, arg []int32) {
	half := side / 2
	for c := range channels {
		base := c * side * side
		for y := range half {
			for x := range half {
				bi := base + 2*y*side + 2*x
				best, bv := bi, in[bi]
				for _, d := range [3]int{1, side, side + 1} {
					if in[bi+d] > bv {
						best, bv = bi+d, in[bi+d]
					}
				}
				o := c*half*half + y*half + x
				out[o] = bv
				arg[o] = int32(best)
			}
		}
	}
}

// Trainer accumulates gradients of the cross-entropy loss for one worker.
type Trainer struct {
	net  *Net
	act  *activations
	Grad []float32 // same layout as Net.Params
	g    *Net      // views into Grad

	d3  []float32
	dp2 []float32
	da2 []float32
	dp1 []float32
	da1 []float32
}

// NewTrainer makes a gradient accumulator for net.
func NewTrainer(net *Net) *Trainer {
	g := view(make([]float32, paramCount))
	return &Trainer{
		net: net, act: newActivations(), Grad: g.Params, g: g,
		d3:  make([]float32, h1),
		dp2: make([]float32, flat),
		da2: make([]float32, c2Out*c2Side*c2Side),
		dp1: make([]float32, c1Out*p1Side*p1Side),
		da1: make([]float32, c1Out*c1Side*c1Side),
	}
}

// Reset zeroes the accumulated gradient.
func (t *Trainer) Reset() { clear(t.Grad) }

// Add runs one example forward and adds its loss gradient to Grad. It
// returns the loss and whether the prediction was right.
func (t *Trainer) Add(img []float32, label int) (float64, bool) {
	n, a, g := t.net, t.act, t.g
	n.forward(img, a)
	best := 0
	for k, p := range a.prob {
		if p > a.prob[best] {
			best = k
		}
	}
	loss := -math.Log(math.Max(float64(a.prob[label]), 1e-12))
	// output layer: dlogits = prob - onehot
	clear(t.d3)
	for k := range Classes {
		d := a.prob[k]
		if k == label {
			d--
		}
		g.b4[k] += d
		w := n.w4[k*h1 : (k+1)*h1]
		gw := g.w4[k*h1 : (k+1)*h1]
		for i, v := range a.a3 {
			gw[i] += d * v
			t.d3[i] += d * w[i]
		}
	}
	// dense layer
	clear(t.dp2)
	for j := range h1 {
		if a.a3[j] <= 0 {
			continue
		}
		d := t.d3[j]
		g.b3[j] += d
		w := n.w3[j*flat : (j+1)*flat]
		gw := g.w3[j*flat : (j+1)*flat]
		for i, v := range a.p2 {
			gw[i] += d * v
			t.dp2[i] += d * w[i]
		}
	}
	// unpool 2, ReLU 2
	clear(t.da2)
	for i, d := range t.dp2 {
		if a.a2[a.p2Arg[i]] > 0 {
			t.da2[a.p2Arg[i]] += d
		}
	}
	// conv2
	const k2 = c2K * c2K
	clear(t.dp1)
	for o := range c2Out {
		dout := t.da2[o*c2Side*c2Side : (o+1)*c2Side*c2Side]
		for y := range c2Side {
			for x := range c2Side {
				g.b2[o] += dout[y*c2Side+x]
			}
		}
		for c := range c1Out {
			w := n.w2[(o*c1Out+c)*k2 : (o*c1Out+c+1)*k2]
			gw := g.w2[(o*c1Out+c)*k2 : (o*c1Out+c+1)*k2]
			in := a.p1[c*p1Side*p1Side : (c+1)*p1Side*p1Side]
			din := t.dp1[c*p1Side*p1Side : (c+1)*p1Side*p1Side]
			for y := range c2Side {
				for x := range c2Side {
					d := dout[y*c2Side+x]
					if d == 0 {
						continue
					}
					for ky := range c2K {
						r := (y+ky)*p1Side + x
						for kx := range c2K {
							gw[ky*c2K+kx] += d * in[r+kx]
							din[r+kx] += d * w[ky*c2K+kx]
						}
					}
				}
			}
		}
	}
	// unpool 1, ReLU 1
	clear(t.da1)
	for i, d := range t.dp1 {
		if a.a1[a.p1Arg[i]] > 0 {
			t.da1[a.p1Arg[i]] += d
		}
	}
	// conv1 (no gradient to the input)
	for o := range c1Out {
		dout := t.da1[o*c1Side*c1Side : (o+1)*c1Side*c1Side]
		gw := g.w1[o*c1K*c1K : (o+1)*c1K*c1K]
		for y := range c1Side {
			for x := range c1Side {
				d := dout[y*c1Side+x]
				if d == 0 {
					continue
				}
				g.b1[o] += d
				for ky := range c1K {
					row := img[(y+ky)*Side+x : (y+ky)*Side+x+c1K]
					for kx, v := range row {
						gw[ky*c1K+kx] += d * v
					}
				}
			}
		}
	}
	return loss, best == label
}
