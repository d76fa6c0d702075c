package digitnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// magic starts a weight file; the digit after it is the format version,
// bumped whenever the layer shapes change.
const magic = "SOHOA-DIGITNET-3"

// Encode writes the weights as the magic, the parameter count (uint32) and
// the parameters (float32), all little-endian.
func (n *Net) Encode() []byte {
	out := make([]byte, 0, len(magic)+4+4*len(n.Params))
	out = append(out, magic...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(n.Params)))
	for _, v := range n.Params {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// Decode reads weights written by Encode.
func Decode(b []byte) (*Net, error) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return nil, errors.New("decode digit weights: not a digitnet weight file of this version")
	}
	b = b[len(magic):]
	count := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if count != paramCount || len(b) != 4*count {
		return nil, fmt.Errorf("decode digit weights: %d parameters in %d bytes, want %d", count, len(b), paramCount)
	}
	p := make([]float32, count)
	for i := range p {
		p[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return view(p), nil
}
