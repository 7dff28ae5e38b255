package stsexchange

import (
	"context"
	"errors"

	"github.com/org/oidc-aws-action/pkg/retry"
)

// Retrier makes one STS call again until it succeeds or another attempt
// cannot help: Transient and Throttled failures are retried after a
// backoff, up to MaxAttempts and within the context; other classes only
// when Again says so. The action's step and the credential helper retry
// by the same rules through it, each with its own waits.
type Retrier struct {
	MaxAttempts int
	// Backoff is the shape of the wait after e; a zero Backoff retries at
	// once.
	Backoff func(e *Error) retry.Backoff
	Sleep   retry.Sleeper
	// Again decides on a failure of another class, and may do what another
	// attempt needs (a fresh token, fewer tags) or end the retries with an
	// error of its own. Nil retries none.
	Again func(e *Error) (bool, error)
	// OnRetry, when set, is told of each failed attempt that will be
	// retried.
	OnRetry func(e *Error, attempt int)
}

// Do returns call's result, or the last error and how many attempts were
// made. An error that is not an *Error (call's or Again's own) ends the
// retries at once and is returned as it is.
func (r Retrier) Do(ctx context.Context, call func() (*Result, error)) (*Result, int, error) {
	for attempt := 1; ; attempt++ {
		res, err := call()
		if err == nil {
			return res, attempt, nil
		}
		var serr *Error
		if !errors.As(err, &serr) {
			return nil, attempt, err
		}
		retryable := serr.Class == Transient || serr.Class == Throttled
		if !retryable && r.Again != nil {
			if retryable, err = r.Again(serr); err != nil {
				return nil, attempt, err
			}
		}
		if !retryable || attempt >= r.MaxAttempts || ctx.Err() != nil {
			return nil, attempt, serr
		}
		if r.OnRetry != nil {
			r.OnRetry(serr, attempt)
		}
		if d := r.Backoff(serr).Delay(attempt); d > 0 {
			if err := r.Sleep(ctx, d); err != nil {
				return nil, attempt, serr
			}
		}
	}
}
