package fixity

import (
	"context"
	"io"
	"time"
)

// pacedReader reads no faster than rate bytes a second on average since
// its first read, waiting between reads; ctx ends a wait.
type pacedReader struct {
	ctx   context.Context
	r     io.Reader
	rate  int64
	chunk int
	start time.Time
	n     int64
}

// newPacedReader paces r at rate bytes a second; rate 0 returns r as is.
func newPacedReader(ctx context.Context, r io.Reader, rate int64) io.Reader {
	if rate <= 0 {
		return r
	}
	// Reads of a tenth of a second's worth keep the pace smooth; at least
	// 4 KiB so a low rate does not mean a system call per byte.
	chunk := int(max(4<<10, min(rate/10, 1<<20)))
	return &pacedReader{ctx: ctx, r: r, rate: rate, chunk: chunk}
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	if len(b) > p.chunk {
		b = b[:p.chunk]
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	due := p.start.Add(time.Duration(float64(p.n) / float64(p.rate) * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.ctx.Done():
			return n, p.ctx.Err()
		}
	}
	return n, err
}
