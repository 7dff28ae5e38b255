package claims

import (
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func FuzzDecode(f *testing.F) {
	f.Add(mint(f, jwt.MapClaims{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main", "aud": "sts.amazonaws.com", "exp": 1700000000}))
	f.Add(rawToken(rs256Header, `{"sub":"repo:o/r:pull_request","aud":["a","b"],"iat":1.5}`))
	f.Add(rawToken(rs256Header, `null`))
	f.Add(rawToken(rs256Header, `{"sub":1}`))
	f.Add(rawToken(`{"alg":"none"}`, `{"sub":"x"}`))
	f.Add("a.b.c")
	f.Add("a.b")
	f.Add("")
	f.Add("..")
	f.Add(rawToken(rs256Header, `{"exp":1e400}`))
	f.Add(rawToken(rs256Header, `{"exp":-1e300,"nbf":9007199254740993}`))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := Decode(token)
		if err != nil {
			if c != nil {
				t.Fatalf("Decode returned claims %+v with error %v", c, err)
			}
			// The error is printed to the log: it must not carry the token.
			if tok := strings.TrimSpace(token); len(tok) >= 40 && strings.Contains(err.Error(), tok) {
				t.Fatalf("error %q contains the token", err)
			}
			return
		}
		if c.Raw == nil {
			t.Fatal("Decode succeeded with nil Raw")
		}
		if sub, ok := c.Raw["sub"].(string); ok && c.Subject != sub {
			t.Fatalf("Subject = %q, Raw[sub] = %q", c.Subject, sub)
		}
		if iss, ok := c.Raw["iss"].(string); ok && c.Issuer != iss {
			t.Fatalf("Issuer = %q, Raw[iss] = %q", c.Issuer, iss)
		}
		if len(c.Names()) != len(c.Raw) {
			t.Fatalf("Names() has %d entries for %d claims", len(c.Names()), len(c.Raw))
		}
		for _, n := range c.Names() {
			_ = c.String(n)
		}
	})
}
