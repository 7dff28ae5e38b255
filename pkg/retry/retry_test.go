package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelayGrowsAndIsCapped(t *testing.T) {
	max := Backoff{Base: 100 * time.Millisecond, Cap: time.Second, Rand: func() float64 { return 0.999999 }}
	cases := []struct {
		n    int
		want time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{70, time.Second}, // shifts past 63 bits must not wrap to a tiny delay
	}
	for _, c := range cases {
		got := max.Delay(c.n)
		if got > c.want || got < c.want*99/100 {
			t.Errorf("Delay(%d) = %v, want just under %v", c.n, got, c.want)
		}
	}
	zero := Backoff{Base: time.Second, Cap: time.Minute, Rand: func() float64 { return 0 }}
	if got := zero.Delay(3); got != 0 {
		t.Errorf("full jitter must be able to retry at once; Delay = %v", got)
	}
}

func TestDelayDefaultRandStaysInRange(t *testing.T) {
	b := Backoff{Base: 10 * time.Millisecond, Cap: 40 * time.Millisecond}
	for i := 0; i < 1000; i++ {
		if d := b.Delay(10); d < 0 || d >= 40*time.Millisecond {
			t.Fatalf("Delay = %v outside [0, 40ms)", d)
		}
	}
}

func TestSleepRefusesToOutliveDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, ErrDeadline) {
		t.Fatalf("Sleep past deadline = %v, want ErrDeadline", err)
	}
}

func TestSleepStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep after cancel = %v, want context.Canceled", err)
	}
}

func TestSleepWaits(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep = %v", err)
	}
}

func TestDelayCeilingNeverWraps(t *testing.T) {
	cases := []struct {
		name string
		b    Backoff
		n    int
		want time.Duration
	}{
		{"a base just over 2^61 does not wrap to nanoseconds", Backoff{Base: 1<<61 + 1, Cap: time.Hour}, 4, time.Hour},
		{"a base larger than the cap is capped at once", Backoff{Base: time.Minute, Cap: time.Second}, 1, time.Second},
		{"a base of zero waits up to the cap", Backoff{Base: 0, Cap: time.Second}, 3, time.Second},
		{"the 61st retry of a large base is capped", Backoff{Base: 200 * time.Millisecond, Cap: 5 * time.Second}, 61, 5 * time.Second},
		{"an uncapped shift is exact", Backoff{Base: 3, Cap: 1 << 40}, 10, 3 << 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.b.Rand = func() float64 { return 1 } // the ceiling itself
			if got := tc.b.Delay(tc.n); got != tc.want {
				t.Errorf("Delay(%d) ceiling = %v, want %v", tc.n, got, tc.want)
			}
		})
	}
}

func FuzzDelayStaysUnderCeiling(f *testing.F) {
	f.Add(int64(100*time.Millisecond), int64(time.Second), 5, 0.5)
	f.Add(int64(1<<61+1), int64(time.Hour), 4, 0.999)
	f.Add(int64(0), int64(0), 0, 0.0)
	f.Fuzz(func(t *testing.T, base, cap int64, n int, r float64) {
		if base < 0 || cap < 0 || r < 0 || r >= 1 || r != r {
			return
		}
		b := Backoff{Base: time.Duration(base), Cap: time.Duration(cap), Rand: func() float64 { return r }}
		d := b.Delay(n)
		if d < 0 || d > b.Cap {
			t.Fatalf("Delay(%d) = %v outside [0, Cap %v]", n, d, b.Cap)
		}
		if n < 1 {
			n = 1
		}
		// Base·2^(n-1) in floating point cannot wrap.
		if exp := float64(base) * float64(uint64(1)<<min(uint(n-1), 63)); base > 0 && float64(d) > exp {
			t.Fatalf("Delay(%d) = %v exceeds Base·2^(n-1) = %v", n, d, exp)
		}
	})
}
