package rolehop

import (
	"context"
	"errors"

	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

// next is what a provider does after a failed STS call.
type next int

const (
	// stop: another attempt cannot help; the error goes to the caller.
	stop next = iota
	// sameRequest: the same call again.
	sameRequest
	// freshToken: a new GitHub OIDC token, then the call again. A token
	// read from a file cannot be renewed, so for it this is stop.
	freshToken
	// fewerTags: the call again without the session tags that are only
	// metadata (sessiontags.Set.WithoutDroppable); stop when there are
	// none to drop.
	fewerTags
)

// wait is which of the caller's backoffs comes before the next attempt.
type wait int

const (
	waitBackoff wait = iota
	waitThrottled
	waitNone
)

// rule is one row of rules.
type rule struct {
	next next
	// once allows at most one such retry per Retrieve.
	once bool
	wait wait
}

// rules is what the step and the helper both do after a failed STS call,
// by the error's class (stsexchange's one table maps AWS error codes to
// classes). Every retry also counts against the hop's MaxAttempts and
// ends with the caller's deadline.
//
// AWS documents both ExpiredTokenException and InvalidIdentityToken with
// "get a new identity token from the identity provider and then retry
// the request", so both get one fresh token. For an expired one, a second
// would fail the same way: if STS finds a fresh token expired too, the
// runner's clock is wrong, which the code's hint says, and more tokens
// would only spend the deadline. For an invalid one, one retry covers
// GitHub's signing keys being mid-rotation and an IAM provider just
// created; a token AWS keeps refusing is a configuration to fix.
var rules = map[stsexchange.Class]rule{
	stsexchange.Fatal:        {next: stop},
	stsexchange.Transient:    {next: sameRequest, wait: waitBackoff},
	stsexchange.Throttled:    {next: sameRequest, wait: waitThrottled},
	stsexchange.RefreshToken: {next: freshToken, once: true, wait: waitBackoff},
	stsexchange.RetryOnce:    {next: freshToken, once: true, wait: waitBackoff},
	// A smaller request, not a busy server: no reason to wait.
	stsexchange.DropTags: {next: fewerTags, once: true, wait: waitNone},
}

// CallError is a failed STS call: the last attempt's error, and how many
// attempts were made.
type CallError struct {
	Err      *stsexchange.Error
	Attempts int
}

func (e *CallError) Error() string { return e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

// do makes one STS call until it succeeds or rules say another attempt
// cannot help. prepare does what a rule's next step needs (a fresh token,
// fewer tags) and says whether the call can be made again; an error of its
// own ends the retries with it, as does an error of call's that is not
// STS's. A failed STS call ends as a *CallError.
func (o *Options) do(ctx context.Context, maxAttempts int, call func() (*stsexchange.Result, error), prepare func(next) (bool, error)) (*stsexchange.Result, error) {
	used := map[stsexchange.Class]bool{}
	for attempt := 1; ; attempt++ {
		res, err := call()
		if err == nil {
			return res, nil
		}
		var serr *stsexchange.Error
		if !errors.As(err, &serr) {
			return nil, err
		}
		failed := &CallError{Err: serr, Attempts: attempt}
		r := rules[serr.Class]
		if r.next == stop || r.once && used[serr.Class] || attempt >= maxAttempts || ctx.Err() != nil {
			return nil, failed
		}
		used[serr.Class] = true
		if r.next != sameRequest {
			again, err := prepare(r.next)
			if err != nil {
				return nil, err
			}
			if !again {
				return nil, failed
			}
		}
		if o.OnRetry != nil {
			o.OnRetry(serr, attempt)
		}
		if d := o.backoff(r.wait).Delay(attempt); d > 0 {
			if err := o.Sleep(ctx, d); err != nil {
				return nil, failed
			}
		}
	}
}

func (o *Options) backoff(w wait) retry.Backoff {
	switch w {
	case waitThrottled:
		return o.ThrottleBackoff
	case waitNone:
		return retry.Backoff{}
	}
	return o.Backoff
}
