package localsts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxJWKSBytes bounds a fetched key set or discovery document.
const maxJWKSBytes = 1 << 20

// providerKey is how IAM identifies a provider: host and path, no scheme.
func providerKey(issuer string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimRight(s, "/")
}

type providerState struct {
	cfg Provider
	key string

	mu        sync.Mutex // serialises fetches so a burst of callers causes one
	keys      map[string]any
	fetchedAt time.Time
}

func newProviderState(p Provider) *providerState {
	ps := &providerState{cfg: p, key: providerKey(p.IssuerURL)}
	if len(p.Keys) > 0 {
		ps.keys = p.Keys
	}
	return ps
}

// ARN is the provider's IAM ARN, which STS reports as Provider.
func (p *providerState) ARN(partition string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, p.cfg.AccountID, p.key)
}

// findProvider looks up the provider for iss in account.
func (s *Server) findProvider(iss, account string) *providerState {
	k := providerKey(iss)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.providers {
		if p.key == k && p.cfg.AccountID == account {
			return p
		}
	}
	return nil
}

// verificationKeys returns the keys to try for kid, fetching (or
// refetching, when kid is unknown) over HTTP as needed.
func (s *Server) verificationKeys(ctx context.Context, p *providerState, kid string) ([]any, error) {
	if len(p.cfg.Keys) > 0 {
		return pick(p.cfg.Keys, kid), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fresh := p.keys != nil && time.Since(p.fetchedAt) < s.opts.JWKSCacheTTL
	_, known := p.keys[kid]
	if !fresh || (kid != "" && !known) {
		keys, err := s.fetchKeys(ctx, p.cfg)
		if err != nil {
			if p.keys == nil {
				return nil, err
			}
			// A flaky IdP with keys still cached is tolerated, as AWS does.
		} else {
			p.keys, p.fetchedAt = keys, time.Now()
		}
	}
	return pick(p.keys, kid), nil
}

func pick(keys map[string]any, kid string) []any {
	if k, ok := keys[kid]; ok && kid != "" {
		return []any{k}
	}
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	return out
}

func (s *Server) fetchKeys(ctx context.Context, p Provider) (map[string]any, error) {
	jwksURL := p.JWKSURL
	if jwksURL == "" {
		var disc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		b, err := s.get(ctx, strings.TrimRight(p.IssuerURL, "/")+"/.well-known/openid-configuration")
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &disc); err != nil || disc.JWKSURI == "" {
			return nil, fmt.Errorf("failed to read discovery document of %s: no jwks_uri", p.IssuerURL)
		}
		jwksURL = disc.JWKSURI
	}
	b, err := s.get(ctx, jwksURL)
	if err != nil {
		return nil, err
	}
	return parseJWKS(b)
}

func (s *Server) get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to build request for %s: %w", url, err)
	}
	resp, err := s.httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("failed to fetch %s: HTTP %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", url, err)
	}
	if len(b) > maxJWKSBytes {
		return nil, fmt.Errorf("failed to read %s: larger than %d bytes", url, maxJWKSBytes)
	}
	return b, nil
}

type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS decodes RSA and EC signing keys; keys for other uses or types
// are skipped, keys without kid are indexed by position.
func parseJWKS(b []byte) (map[string]any, error) {
	var set struct {
		Keys []jwkJSON `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("failed to parse JWKS: %w", err)
	}
	out := map[string]any{}
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		var key any
		switch k.Kty {
		case "RSA":
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
				continue
			}
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			if pub.N.BitLen() < 1024 || pub.E < 3 {
				continue
			}
			key = pub
		case "EC":
			var curve elliptic.Curve
			switch k.Crv {
			case "P-256":
				curve = elliptic.P256()
			case "P-384":
				curve = elliptic.P384()
			case "P-521":
				curve = elliptic.P521()
			default:
				continue
			}
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			if err1 != nil || err2 != nil {
				continue
			}
			// ParseUncompressedPublicKey checks the point is on the curve,
			// which matters for keys from an untrusted JWKS.
			size := (curve.Params().BitSize + 7) / 8
			if len(x) > size || len(y) > size {
				continue
			}
			point := make([]byte, 1+2*size)
			point[0] = 4
			copy(point[1+size-len(x):1+size], x)
			copy(point[1+2*size-len(y):], y)
			pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
			if err != nil {
				continue
			}
			key = pub
		default:
			continue
		}
		kid := k.Kid
		if kid == "" {
			kid = fmt.Sprintf("#%d", i)
		}
		out[kid] = key
	}
	if len(out) == 0 {
		return nil, errors.New("failed to parse JWKS: no usable signing keys")
	}
	return out, nil
}
