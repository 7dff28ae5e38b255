package action

import (
	"reflect"
	"testing"
)

func TestAccountRunsFindAccountIDs(t *testing.T) {
	cases := []struct {
		name, text string
		inARN      bool
		want       []string
	}{
		{"in a role ARN", "arn:aws:iam::123456789012:role/deploy", true, []string{"123456789012"}},
		{"in ARNs quoted by STS", "User: arn:aws:sts::111111111111:assumed-role/a/s is not authorized to perform: sts:AssumeRole on resource: arn:aws-us-gov:iam::222222222222:role/b", true, []string{"111111111111", "222222222222"}},
		{"not a longer number in an ARN", "arn:aws:iam::1234567890123:role/x", true, nil},
		{"not a number outside an ARN", "repository_id 123456789012", true, nil},
		{"in a list of accounts", "111111111111, 222222222222\n333333333333", false, []string{"111111111111", "222222222222", "333333333333"}},
		{"not 11 or 13 digits", "12345678901 1234567890123", false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := accountRuns(tc.text, tc.inARN); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("accountRuns(%q, %v) = %q, want %q", tc.text, tc.inARN, got, tc.want)
			}
		})
	}
}
