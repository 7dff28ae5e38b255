package action

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/org/oidc-aws-action/pkg/claims"
)

// debug-claims lists the keys a policy can use; a claim IAM never turns
// into a key must not be offered as one (a condition on it never matches).
func TestConditionKeysListOnlyWhatIAMSets(t *testing.T) {
	for _, c := range []struct {
		name, iss string
		want      []string
	}{
		{"github.com offers its documented keys", "https://token.actions.githubusercontent.com",
			[]string{"token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:repository", "token.actions.githubusercontent.com:repository_id"}},
		{"a GHES issuer offers only the generic keys", "https://ghes.example.com/_services/token",
			[]string{"ghes.example.com/_services/token:sub", "ghes.example.com/_services/token:aud"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			payload, _ := json.Marshal(map[string]any{
				"iss": c.iss, "sub": "repo:o/r:ref:refs/heads/main", "aud": "sts.amazonaws.com",
				"repository": "o/r", "repository_id": "1", "repository_owner": "o", "event_name": "push",
				"exp": 2000000000, "iat": 1999999700,
			})
			enc := base64.RawURLEncoding.EncodeToString
			cl, err := claims.Decode(enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(payload) + "." + enc([]byte("sig")))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range conditionKeys(cl) {
				got = append(got, k.name)
			}
			if len(got) != len(c.want) {
				t.Fatalf("keys %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("key %d is %s, want %s", i, got[i], c.want[i])
				}
			}
		})
	}
}
