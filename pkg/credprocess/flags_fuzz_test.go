package credprocess

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzFlagsRoundTrip: any command line the helper accepts describes a hop
// that Args writes back to a command line describing the same hop, with
// the same cache key. The step's seed, the helper and a chain's first hop
// find one cache entry only because of that.
func FuzzFlagsRoundTrip(f *testing.F) {
	const role = "arn:aws:iam::123456789012:role/deploy"
	for _, args := range [][]string{
		{"--role-to-assume", role, "--aws-region", "us-east-1"},
		{"--role-to-assume", role, "--aws-region", "eu-west-1", "--audience", "a", "--role-session-name", "s1", "--role-duration-seconds", "900",
			"--inline-session-policy", `{"Statement": [ ]}`, "--managed-session-policies", "arn:aws:iam::aws:policy/A,arn:aws:iam::aws:policy/B",
			"--sts-endpoint", "https://sts.eu-west-1.amazonaws.com", "--http-proxy", "http://p:3128", "--no-proxy", "a,b",
			"--retry-max-attempts", "3", "--allowed-account-ids", "123456789012", "--mask-aws-account-id", "true"},
		{"--role-to-assume", role, "--aws-region", "us-east-1", "--chain-role-to-assume", "arn:aws:iam::210987654321:role/x",
			"--chain-role-external-id", "ext-1", "--chain-aws-region", "eu-west-1",
			"--chain-session-tags", `{"Tags":[{"Key":"Repository","Value":"o/r"}],"Transitive":["Repository"]}`},
	} {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		if len(args) > 64 {
			return
		}
		s, err := parse(args)
		if err != nil {
			return
		}
		again, err := parse(Args(s.hop))
		if err != nil {
			t.Fatalf("Args(%q) does not parse: %v", args, err)
		}
		if !reflect.DeepEqual(again.hop, s.hop) {
			t.Fatalf("parsed back\n%+v\nwant\n%+v", again.hop, s.hop)
		}
		if cacheKey(again.hop) != cacheKey(s.hop) {
			t.Fatal("the cache key changed on the way")
		}
	})
}
