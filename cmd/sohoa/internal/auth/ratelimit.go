package auth

import (
	"sync"
	"time"
)

// limiter is a token bucket per key (an address, a user name): each key
// may try burst times at once, then once per every.
type limiter struct {
	burst float64
	every time.Duration
	mu    sync.Mutex
	keys  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// limiterKeys bounds the memory a flood of addresses can take: past it,
// buckets that are full again are forgotten.
const limiterKeys = 10000

func newLimiter(burst int, every time.Duration) *limiter {
	return &limiter{burst: float64(burst), every: every, keys: map[string]*bucket{}}
}

// allow takes a token of key at now, and reports whether there was one.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= limiterKeys {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	b.refill(now, l)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) refill(now time.Time, l *limiter) {
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
		b.at = now
	}
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.keys {
		if b.refill(now, l); b.tokens >= l.burst {
			delete(l.keys, k)
		}
	}
}
