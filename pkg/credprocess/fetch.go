package credprocess

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/org/oidc-aws-action/pkg/idtoken"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

type helper struct {
	o     Options
	s     *settings
	cache *cache
}

// get answers from the cache when it can; otherwise it refreshes under the
// lock, looking at the cache once more first, since whoever held the lock
// may just have refreshed it.
func (h *helper) get(ctx context.Context) (stsexchange.Credentials, error) {
	return h.cached(ctx, h.s.key, func(ctx context.Context) (stsexchange.Credentials, error) {
		if h.s.chain == nil {
			return h.webIdentity(ctx)
		}
		// The first hop has its own entry: shared with the profile the chain
		// was built from, and still fresh when only the chained hop is not.
		src, err := h.cached(ctx, h.s.sourceKey, h.webIdentity)
		if err != nil {
			return src, err
		}
		return h.chain(ctx, src)
	})
}

// fallbackWait bounds, while the cached credentials still work, the wait
// for the lock and then the refresh: when STS or the runner is failing, the
// SDK goes on with those rather than wait the whole run out behind one
// failing refresh after another.
const fallbackWait = 10 * time.Second

// refreshPause is how long after a failed refresh the helpers answer with
// the still-usable credentials without trying again: one attempt per pause
// during an outage, not one per helper.
const refreshPause = 30 * time.Second

func (h *helper) cached(ctx context.Context, key string, fetch func(context.Context) (stsexchange.Credentials, error)) (stsexchange.Credentials, error) {
	now := h.o.now()
	first := h.cache.read(key)
	if first != nil && first.freshAt(now) {
		return first.credentials(), nil
	}
	if first != nil && !first.usableAt(now) {
		first = nil
	}
	lctx := ctx
	if first != nil {
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, h.o.fallbackWait)
		defer cancel()
	}
	unlock, err := h.cache.lock(lctx, key)
	if err != nil {
		if first != nil && first.usableAt(h.o.now()) {
			return first.credentials(), nil
		}
		return stsexchange.Credentials{}, err
	}
	defer unlock()
	now = h.o.now()
	stale := h.cache.read(key)
	if stale != nil && stale.freshAt(now) {
		return stale.credentials(), nil
	}
	if stale != nil && !stale.usableAt(now) {
		stale = nil
	}
	if stale != nil && now.Before(stale.RefreshFailed.Add(refreshPause)) && !now.Before(stale.RefreshFailed) {
		return stale.credentials(), nil
	}
	fctx := ctx
	if stale != nil {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, h.o.fallbackWait)
		defer cancel()
	}
	issued := h.o.now()
	c, err := fetch(fctx)
	if err != nil {
		if stale != nil && stale.usableAt(h.o.now()) {
			// The next holder of the lock answers with these at once.
			stale.RefreshFailed = h.o.now()
			_ = h.cache.write(key, stale) // only saves the next helpers a try
			return stale.credentials(), nil
		}
		return c, err
	}
	e := &entry{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration, Issued: issued}
	if !e.freshAt(h.o.now()) {
		return c, &fixedError{fmt.Sprintf("STS answered with credentials that expire at %s, too soon to use (this machine's clock says %s)", c.Expiration.UTC().Format(time.RFC3339), h.o.now().UTC().Format(time.RFC3339)),
			"check the clock, or the sts-endpoint"}
	}
	if err := h.cache.write(key, e); err != nil {
		return c, err
	}
	return c, nil
}

// stsBackoff is the wait between STS attempts after a transient failure.
// The helper has less time than the action (an SDK waits about a minute
// for it), so it starts and stays shorter.
var stsBackoff = retry.Backoff{Base: 500 * time.Millisecond, Cap: 5 * time.Second}

func (h *helper) client(in *inputs.Inputs) (*stsexchange.Client, error) {
	if h.o.BeforeNetwork != nil {
		h.o.BeforeNetwork()
	}
	return stsexchange.New(stsexchange.Options{
		Region:    in.Region,
		Endpoint:  in.STSEndpoint,
		Getenv:    h.o.Getenv,
		HTTPProxy: in.HTTPProxy,
		NoProxy:   in.NoProxy,
		Transport: h.o.Transport,
		Version:   h.o.Version,
	})
}

func (h *helper) webIdentity(ctx context.Context) (stsexchange.Credentials, error) {
	in := h.s.source
	sts, err := h.client(in)
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	tokens, err := idtoken.FromEnv(h.o.Getenv,
		idtoken.WithMaxAttempts(in.MaxAttempts),
		idtoken.WithSleeper(h.o.Sleep),
		idtoken.WithHTTPClient(&http.Client{Timeout: 10 * time.Second, Transport: h.o.Transport}),
		idtoken.WithUserAgent("oidc-aws-action/"+h.o.Version))
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	token, err := tokens.Fetch(ctx, in.Audience)
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	freshToken := false
	return h.retrySTS(ctx, in, in, func() (*stsexchange.Result, error) {
		return sts.AssumeRoleWithWebIdentity(ctx, stsexchange.WebIdentityInput{
			RoleARN: in.Role.ARN, SessionName: in.SessionName, Token: token, Duration: in.Duration,
			Policy: in.InlineSessionPolicy, PolicyARNs: in.ManagedSessionPolicies,
		})
	}, func(e *stsexchange.Error) (bool, error) {
		// An expired or not-yet-valid token is worth one fresh one; GitHub's
		// signing keys may be mid-rotation for RetryOnce.
		if (e.Class == stsexchange.RefreshToken || e.Class == stsexchange.RetryOnce) && !freshToken {
			freshToken = true
			if t, err := tokens.Fetch(ctx, in.Audience); err == nil {
				token = t
				return true, nil
			}
		}
		return false, nil
	})
}

func (h *helper) chain(ctx context.Context, source stsexchange.Credentials) (stsexchange.Credentials, error) {
	in := h.s.chain
	sts, err := h.client(&inputs.Inputs{Region: in.Region, STSEndpoint: in.STSEndpoint, HTTPProxy: h.s.source.HTTPProxy, NoProxy: h.s.source.NoProxy})
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	return h.retrySTS(ctx, h.s.source, in, func() (*stsexchange.Result, error) {
		return sts.AssumeRole(ctx, stsexchange.AssumeRoleInput{
			RoleARN: in.Role.ARN, SessionName: in.SessionName, ExternalID: in.ExternalID, Duration: in.Duration,
			Policy: in.InlineSessionPolicy, PolicyARNs: in.ManagedSessionPolicies,
			Tags: h.s.tags.Tags, TransitiveTagKeys: h.s.tags.Transitive, Source: source,
		})
	}, nil)
}

// retrySTS makes one STS call until it succeeds or another attempt cannot
// help, by the rules the action's step follows (stsexchange.Retrier) but
// with the helper's shorter waits. The credentials must be for an account
// that hop's allowed-account-ids (in check) lists, as the step's were.
func (h *helper) retrySTS(ctx context.Context, in, check *inputs.Inputs, call func() (*stsexchange.Result, error), again func(*stsexchange.Error) (bool, error)) (stsexchange.Credentials, error) {
	res, _, err := stsexchange.Retrier{
		MaxAttempts: in.MaxAttempts,
		Backoff:     func(*stsexchange.Error) retry.Backoff { return stsBackoff },
		Sleep:       h.o.Sleep,
		Again:       again,
	}.Do(ctx, call)
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	if err := check.CheckAccount(stsexchange.AccountFromARN(res.AssumedRoleARN)); err != nil {
		return stsexchange.Credentials{}, fmt.Errorf("%w; nothing was printed", err)
	}
	return res.Credentials, nil
}
