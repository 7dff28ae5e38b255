package stsexchange

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
)

func TestRetrierRetriesOnlyWhatAnotherAttemptCanHelp(t *testing.T) {
	own := errors.New("the caller's own error")
	cases := []struct {
		name         string
		fails        []error // what the attempts return, then success
		again        func(*Error) (bool, error)
		max          int
		wantAttempts int
		wantErr      error // nil: success; else errors.Is target, or an *Error for "the last STS error"
	}{
		{"transient failures until success", []error{&Error{Class: Transient}, &Error{Class: Throttled}}, nil, 5, 3, nil},
		{"transient failures past the last attempt", []error{&Error{Class: Transient}, &Error{Class: Transient}, &Error{Class: Transient}}, nil, 2, 2, &Error{}},
		{"a fatal failure at once", []error{&Error{Class: Fatal}}, nil, 5, 1, &Error{}},
		{"another class when again says so", []error{&Error{Class: RefreshToken}}, func(*Error) (bool, error) { return true, nil }, 5, 2, nil},
		{"another class, again's own error", []error{&Error{Class: RefreshToken}}, func(*Error) (bool, error) { return false, own }, 5, 1, own},
		{"a call's own error at once", []error{own}, nil, 5, 1, own},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var slept []time.Duration
			var retried []int
			calls := 0
			res, attempts, err := Retrier{
				MaxAttempts: c.max,
				Backoff: func(*Error) retry.Backoff {
					return retry.Backoff{Base: time.Second, Cap: time.Second, Rand: func() float64 { return 0.5 }}
				},
				Sleep:   func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
				Again:   c.again,
				OnRetry: func(_ *Error, attempt int) { retried = append(retried, attempt) },
			}.Do(context.Background(), func() (*Result, error) {
				calls++
				if calls <= len(c.fails) {
					return nil, c.fails[calls-1]
				}
				return &Result{}, nil
			})
			if attempts != c.wantAttempts || calls != c.wantAttempts {
				t.Errorf("%d attempts reported, %d made; want %d", attempts, calls, c.wantAttempts)
			}
			if len(retried) != attempts-1 || len(slept) != attempts-1 {
				t.Errorf("%d retries told, %d waits, for %d attempts", len(retried), len(slept), attempts)
			}
			var serr *Error
			switch {
			case c.wantErr == nil:
				if err != nil || res == nil {
					t.Errorf("got %v, %v; want success", res, err)
				}
			case errors.As(c.wantErr, &serr):
				if !errors.As(err, &serr) || err != c.fails[attempts-1] {
					t.Errorf("error %v, want the last attempt's STS error", err)
				}
			case !errors.Is(err, c.wantErr):
				t.Errorf("error %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestRetrierDoesNotWaitForAZeroBackoff(t *testing.T) {
	waited := false
	_, attempts, _ := Retrier{
		MaxAttempts: 2,
		Backoff:     func(*Error) retry.Backoff { return retry.Backoff{} },
		Sleep:       func(context.Context, time.Duration) error { waited = true; return nil },
	}.Do(context.Background(), func() (*Result, error) { return nil, &Error{Class: Transient} })
	if attempts != 2 || waited {
		t.Errorf("%d attempts, waited %v; want 2 and no wait", attempts, waited)
	}
}
