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
