package rolehop

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

func TestDoRetriesByTheRulesOfEachClass(t *testing.T) {
	own := errors.New("the caller's own error")
	e := func(c stsexchange.Class) error { return &stsexchange.Error{Class: c} }
	yes := func(next) (bool, error) { return true, nil }
	cases := []struct {
		name         string
		fails        []error // what the attempts return, then success
		prepare      func(next) (bool, error)
		max          int
		wantAttempts int
		wantNexts    []next
		wantErr      error // nil: success; a *CallError: the last STS error; else an errors.Is target
	}{
		{"transient and throttled failures until success", []error{e(stsexchange.Transient), e(stsexchange.Throttled)}, yes, 5, 3, nil, nil},
		{"transient failures past the last attempt", []error{e(stsexchange.Transient), e(stsexchange.Transient), e(stsexchange.Transient)}, yes, 2, 2, nil, &CallError{}},
		{"a fatal failure at once", []error{e(stsexchange.Fatal)}, yes, 5, 1, nil, &CallError{}},
		{"an expired token: one fresh token", []error{e(stsexchange.RefreshToken)}, yes, 5, 2, []next{freshToken}, nil},
		{"an expired token twice: no second fresh token", []error{e(stsexchange.RefreshToken), e(stsexchange.RefreshToken)}, yes, 5, 2, []next{freshToken}, &CallError{}},
		{"an invalid token twice: one fresh token, then stop", []error{e(stsexchange.RetryOnce), e(stsexchange.RetryOnce)}, yes, 5, 2, []next{freshToken}, &CallError{}},
		{"an invalid then an expired token: one fresh token for each", []error{e(stsexchange.RetryOnce), e(stsexchange.RefreshToken)}, yes, 5, 3, []next{freshToken, freshToken}, nil},
		{"too many tags: fewer tags, once", []error{e(stsexchange.DropTags), e(stsexchange.DropTags)}, yes, 5, 2, []next{fewerTags}, &CallError{}},
		{"a fresh token that cannot be had ends it with the STS error", []error{e(stsexchange.RefreshToken)}, func(next) (bool, error) { return false, nil }, 5, 1, []next{freshToken}, &CallError{}},
		{"prepare's own error ends it", []error{e(stsexchange.RefreshToken)}, func(next) (bool, error) { return false, own }, 5, 1, []next{freshToken}, own},
		{"no fresh token on the last attempt", []error{e(stsexchange.RefreshToken)}, yes, 1, 1, nil, &CallError{}},
		{"a call's own error at once", []error{own}, yes, 5, 1, nil, own},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var slept []time.Duration
			var retried []int
			var nexts []next
			calls := 0
			o := Options{
				Backoff: retry.Backoff{Base: time.Second, Cap: time.Second, Rand: func() float64 { return 0.5 }},
				Sleep:   func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
				OnRetry: func(_ *stsexchange.Error, attempt int) { retried = append(retried, attempt) },
			}
			o.ThrottleBackoff = o.Backoff
			res, err := o.do(context.Background(), c.max, func() (*stsexchange.Result, error) {
				calls++
				if calls <= len(c.fails) {
					return nil, c.fails[calls-1]
				}
				return &stsexchange.Result{}, nil
			}, func(n next) (bool, error) {
				nexts = append(nexts, n)
				return c.prepare(n)
			})
			if calls != c.wantAttempts {
				t.Errorf("%d attempts made, want %d", calls, c.wantAttempts)
			}
			if len(nexts) != len(c.wantNexts) || len(nexts) > 0 && nexts[0] != c.wantNexts[0] {
				t.Errorf("prepared %v, want %v", nexts, c.wantNexts)
			}
			if len(retried) != calls-1 {
				t.Errorf("%d retries told, for %d attempts", len(retried), calls)
			}
			var ce *CallError
			switch {
			case c.wantErr == nil:
				if err != nil || res == nil {
					t.Errorf("got %v, %v; want success", res, err)
				}
			case errors.As(c.wantErr, &ce):
				if !errors.As(err, &ce) || ce.Attempts != calls || ce.Err != c.fails[calls-1] {
					t.Errorf("error %v, want the last attempt's STS error with %d attempts", err, calls)
				}
			case !errors.Is(err, c.wantErr):
				t.Errorf("error %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestDoWaitsByTheClassesBackoff(t *testing.T) {
	cases := []struct {
		class stsexchange.Class
		want  time.Duration // with Rand 0.5: Backoff 2 s, ThrottleBackoff 6 s
	}{
		{stsexchange.Transient, time.Second},
		{stsexchange.Throttled, 3 * time.Second},
		{stsexchange.RefreshToken, time.Second},
		{stsexchange.RetryOnce, time.Second},
		{stsexchange.DropTags, 0},
	}
	half := func() float64 { return 0.5 }
	for _, c := range cases {
		t.Run(c.class.String(), func(t *testing.T) {
			var slept []time.Duration
			o := Options{
				Backoff:         retry.Backoff{Base: 2 * time.Second, Cap: 2 * time.Second, Rand: half},
				ThrottleBackoff: retry.Backoff{Base: 6 * time.Second, Cap: 6 * time.Second, Rand: half},
				Sleep:           func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
			}
			calls := 0
			_, err := o.do(context.Background(), 2, func() (*stsexchange.Result, error) {
				if calls++; calls == 1 {
					return nil, &stsexchange.Error{Class: c.class}
				}
				return &stsexchange.Result{}, nil
			}, func(next) (bool, error) { return true, nil })
			if err != nil {
				t.Fatal(err)
			}
			var want []time.Duration
			if c.want > 0 {
				want = []time.Duration{c.want}
			}
			if len(slept) != len(want) || len(want) > 0 && slept[0] != want[0] {
				t.Errorf("waited %v, want %v", slept, want)
			}
		})
	}
}

func TestEveryClassHasARule(t *testing.T) {
	for c := stsexchange.Fatal; c <= stsexchange.DropTags; c++ {
		if _, ok := rules[c]; !ok {
			t.Errorf("class %s has no rule", c)
		}
	}
}
