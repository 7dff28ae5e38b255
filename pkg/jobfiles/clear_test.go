package jobfiles_test

import (
	"strings"
	"testing"
)

// TestRefreshClearsEveryEnvironmentKeyName: keys under any name an SDK's
// environment provider reads would be used before the refreshable profile
// (refreshClearedVars says where each name comes from), so every one is
// cleared for later steps, and the log names those the step saw.
func TestRefreshClearsEveryEnvironmentKeyName(t *testing.T) {
	j := newJob(t)
	stray := map[string]string{
		"AWS_ACCESS_KEY": "AKIASTRAYGOV2KEY0000", "AWS_SECRET_KEY": "stray-go-v2-secret",
		"AWS_SECURITY_TOKEN": "stray-botocore-token", "AWS_CREDENTIAL_SCOPE": "us-east-1",
	}
	s := j.step(map[string]string{"refresh-credentials": "true"}, stray)
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
		"AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_CREDENTIAL_SCOPE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		if got, ok := s.env[k]; !ok || got != "" {
			t.Errorf("%s=%q (set: %v), want cleared", k, got, ok)
		}
	}
	if v, ok := s.env["AWS_ACCOUNT_ID"]; ok {
		t.Errorf("AWS_ACCOUNT_ID=%q was touched; it is no credential without keys", v)
	}
	want := "Cleared AWS_SECURITY_TOKEN, AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_CREDENTIAL_SCOPE, left by an earlier step"
	if !strings.Contains(s.log.Text(), want) {
		t.Errorf("log lacks %q:\n%s", want, s.log.Text())
	}
}
