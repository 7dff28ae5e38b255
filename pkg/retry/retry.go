// Package retry computes backoff delays and waits them out within a deadline.
//
// It decides nothing about which errors are worth retrying; the callers'
// error classifications do that. It only answers "how long to wait" with
// full-jitter exponential backoff, which spreads a matrix of jobs that were
// throttled together over time instead of letting them retry in lockstep.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Backoff is a full-jitter exponential backoff: the delay before retry n
// (n ≥ 1) is uniform in [0, min(Cap, Base·2^(n-1))).
type Backoff struct {
	Base time.Duration
	Cap  time.Duration
	// Rand returns a float in [0, 1). Nil means math/rand/v2.
	Rand func() float64
}

// Delay is the wait before retry n, counting from 1.
func (b Backoff) Delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	ceiling := b.Cap
	// Compare before shifting: Base<<(n-1) can overflow, and a wrapped
	// product may be small and positive.
	if n < 62 && b.Base > 0 && b.Base <= ceiling>>(n-1) {
		ceiling = b.Base << (n - 1)
	}
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return time.Duration(r() * float64(ceiling))
}

// ErrDeadline means the wait would pass the context's deadline, so retrying
// is pointless: the caller should fail with its last error instead.
var ErrDeadline = errors.New("the retry would pass the step's deadline")

// Sleeper waits; tests pass one that records instead of sleeping.
type Sleeper func(ctx context.Context, d time.Duration) error

// Sleep waits d or until ctx ends. It refuses at once, with ErrDeadline, to
// start a wait that would end after ctx's deadline.
func Sleep(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return ErrDeadline
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
