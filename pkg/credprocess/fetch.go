package credprocess

import (
	"context"
	"fmt"
	"time"

	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/rolehop"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

type helper struct {
	o     Options
	hop   rolehop.Hop
	cache *cache
}

// get answers from the cache when it can; otherwise it refreshes under the
// lock, looking at the cache once more first, since whoever held the lock
// may just have refreshed it.
func (h *helper) get(ctx context.Context) (stsexchange.Credentials, error) {
	hop := h.hop
	return h.cached(ctx, cacheKey(hop), func(ctx context.Context) (stsexchange.Credentials, error) {
		if hop.Source == nil {
			return h.webIdentity(ctx, hop)
		}
		// The first hop has its own entry: shared with the profile the chain
		// was built from, and still fresh when only the chained hop is not.
		src, err := h.cached(ctx, cacheKey(*hop.Source), func(ctx context.Context) (stsexchange.Credentials, error) {
			return h.webIdentity(ctx, *hop.Source)
		})
		if err != nil {
			return src, err
		}
		return h.chain(ctx, hop, src)
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
	now := h.o.Now()
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
		if first != nil && first.usableAt(h.o.Now()) {
			return first.credentials(), nil
		}
		return stsexchange.Credentials{}, err
	}
	defer unlock()
	now = h.o.Now()
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
	issued := h.o.Now()
	c, err := fetch(fctx)
	if err != nil {
		if stale != nil && stale.usableAt(h.o.Now()) {
			// The next holder of the lock answers with these at once.
			stale.RefreshFailed = h.o.Now()
			_ = h.cache.write(key, stale) // only saves the next helpers a try
			return stale.credentials(), nil
		}
		return c, err
	}
	e := &entry{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration, Issued: issued}
	if !e.freshAt(h.o.Now()) {
		return c, display.Fixed(fmt.Sprintf("STS answered with credentials that expire at %s, too soon to use (this machine's clock says %s)", c.Expiration.UTC().Format(time.RFC3339), h.o.Now().UTC().Format(time.RFC3339)),
			"check the clock, or the sts-endpoint")
	}
	if err := h.cache.write(key, e); err != nil {
		return c, err
	}
	return c, nil
}

// stsBackoff is the wait between STS attempts, for every class that
// waits. The helper has less time than the action (an SDK waits about a
// minute for it), so it starts and stays shorter.
var stsBackoff = retry.Backoff{Base: 500 * time.Millisecond, Cap: 5 * time.Second}

// providers are the helper's settings for a role hop's provider: its
// environment and its shorter waits. The retry rules are the step's
// (pkg/rolehop).
func (h *helper) providers() rolehop.Options {
	if h.o.BeforeNetwork != nil {
		h.o.BeforeNetwork()
	}
	return rolehop.Options{Getenv: h.o.Getenv, Transport: h.o.Transport, Version: h.o.Version, Sleep: h.o.Sleep,
		Now: h.o.Now, Backoff: stsBackoff, ThrottleBackoff: stsBackoff}
}

func (h *helper) webIdentity(ctx context.Context, hop rolehop.Hop) (stsexchange.Credentials, error) {
	p, err := rolehop.NewWebIdentity(hop, h.providers())
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	res, err := p.Retrieve(ctx)
	return checked(hop, res, err)
}

func (h *helper) chain(ctx context.Context, hop rolehop.Hop, source stsexchange.Credentials) (stsexchange.Credentials, error) {
	p, err := rolehop.NewAssumeRole(hop, h.providers())
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	p.Source = source
	res, err := p.Retrieve(ctx)
	return checked(hop, res, err)
}

// checked refuses, as the step did, credentials for an account that the
// hop's allowed-account-ids does not list.
func checked(hop rolehop.Hop, res *stsexchange.Result, err error) (stsexchange.Credentials, error) {
	if err != nil {
		return stsexchange.Credentials{}, err
	}
	if err := hop.CheckAccount(stsexchange.AccountFromARN(res.AssumedRoleARN)); err != nil {
		return stsexchange.Credentials{}, fmt.Errorf("%w; nothing was printed", err)
	}
	return res.Credentials, nil
}
