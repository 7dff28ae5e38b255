package permissions

import (
	"strings"
	"testing"
)

func inline(doc string) Policy { return Policy{Name: "p", Document: []byte(doc)} }

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + action + `,"Resource":` + resource + `}]}`
}

const self = "arn:aws:iam::123456789012:role/deploy"

func TestAssessGrades(t *testing.T) {
	tests := []struct {
		name string
		role Role
		want Level
		what string // the strongest grant, "" below High
	}{
		{"AdministratorAccess by ARN alone", Role{Managed: []Policy{{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}}, Admin, "AdministratorAccess"},
		{"IAMFullAccess in another partition", Role{Managed: []Policy{{ARN: "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"}}}, Admin, "IAMFullAccess"},
		{"PowerUserAccess is high, though its document is NotAction on *", Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/PowerUserAccess",
			Document: []byte(`{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`)}}}, High, "PowerUserAccess"},
		{"star on star", Role{Inline: []Policy{inline(allow(`"*"`, `"*"`))}}, Admin, `"*" on "*"`},
		{"a Statement object, not a list", Role{Inline: []Policy{inline(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}}, Admin, `"*" on "*"`},
		{"NotAction on star that leaves IAM in", Role{Inline: []Policy{inline(`{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`)}}, Admin, `NotAction "s3:*" on "*" (every action but those, iam:PutRolePolicy included)`},
		{"NotAction on star without IAM is high", Role{Inline: []Policy{inline(`{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`)}}, High, `NotAction ["iam:*", "organizations:*"] on "*"`},
		{"iam:* on star", Role{Inline: []Policy{inline(allow(`"iam:*"`, `"*"`))}}, Admin, `iam:* on "*"`},
		{"IAM:* in upper case", Role{Inline: []Policy{inline(allow(`"IAM:*"`, `"*"`))}}, Admin, `iam:* on "*"`},
		{"PutRolePolicy on the role itself", Role{ARN: self, Inline: []Policy{inline(allow(`"iam:PutRolePolicy"`, `"`+self+`"`))}}, Admin, `iam:PutRolePolicy on "` + self + `"`},
		{"AttachRolePolicy through a pattern", Role{ARN: self, Inline: []Policy{inline(allow(`"iam:Attach*"`, `"arn:aws:iam::123456789012:role/*"`))}}, Admin, `iam:AttachRolePolicy on "arn:aws:iam::123456789012:role/*"`},
		{"UpdateAssumeRolePolicy on the role by name before apply", Role{Name: "deploy", Inline: []Policy{inline(allow(`"iam:UpdateAssumeRolePolicy"`, `"arn:aws:iam::123456789012:role/deploy"`))}}, Admin, `iam:UpdateAssumeRolePolicy on "arn:aws:iam::123456789012:role/deploy"`},
		{"CreatePolicyVersion on star", Role{Inline: []Policy{inline(allow(`"iam:CreatePolicyVersion"`, `"*"`))}}, Admin, `iam:CreatePolicyVersion on "*"`},
		{"CreatePolicyVersion on a policy attached to the role", Role{ARN: self, Inline: []Policy{inline(allow(`"iam:CreatePolicyVersion"`, `"arn:aws:iam::123456789012:policy/deploy-*"`))},
			Managed: []Policy{{Name: "deploy-s3", ARN: "arn:aws:iam::123456789012:policy/deploy-s3", Document: []byte(allow(`"s3:GetObject"`, `"*"`))}}}, Admin, `iam:CreatePolicyVersion on "arn:aws:iam::123456789012:policy/deploy-*"`},
		{"PassRole on star is high", Role{Inline: []Policy{inline(allow(`"iam:PassRole"`, `"*"`))}}, High, `iam:PassRole on "*"`},
		{"AssumeRole on star is high", Role{Inline: []Policy{inline(allow(`["s3:GetObject","sts:AssumeRole"]`, `"*"`))}}, High, `sts:AssumeRole on "*"`},
		{"a condition lowers admin to high", Role{Inline: []Policy{inline(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}}, High, `"*" on "*" (under a condition)`},
		{"a condition lowers high to limited", Role{Inline: []Policy{inline(`{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`)}}, Limited, ""},
		{"a URL-encoded document from the API", Role{Inline: []Policy{inline(`"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"`)}}, Admin, `"*" on "*"`},
		{"a terraform policy string", Role{Inline: []Policy{inline(`"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":\"*\"}]}"`)}}, High, `iam:PassRole on "*"`},

		{"a PowerUser boundary caps AdministratorAccess", Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
			Boundary: &Policy{ARN: "arn:aws:iam::aws:policy/PowerUserAccess"}}, High, "AdministratorAccess"},
		{"an S3-only boundary caps to limited", Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
			Boundary: &Policy{Name: "s3-only", ARN: "arn:aws:iam::123456789012:policy/s3-only", Document: []byte(allow(`"s3:*"`, `"*"`))}}, Limited, ""},

		// Tight look-alikes stay limited.
		{"S3 on star", Role{Inline: []Policy{inline(allow(`"s3:*"`, `"*"`))}}, Limited, ""},
		{"PassRole on one role", Role{Inline: []Policy{inline(allow(`"iam:PassRole"`, `"arn:aws:iam::123456789012:role/lambda-exec"`))}}, Limited, ""},
		{"PutRolePolicy on another role", Role{ARN: self, Inline: []Policy{inline(allow(`"iam:PutRolePolicy"`, `"arn:aws:iam::123456789012:role/other"`))}}, Limited, ""},
		{"iam:Get* on star", Role{Inline: []Policy{inline(allow(`["iam:Get*","iam:List*"]`, `"*"`))}}, Limited, ""},
		{"a Deny of everything grants nothing", Role{Inline: []Policy{inline(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)}}, Limited, ""},
		{"ReadOnlyAccess by ARN", Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}, Limited, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.role)
			if a.Level != tt.want || a.Strongest() != tt.what || len(a.Unknown) != 0 {
				t.Errorf("got %v, strongest %q, unknown %q; want %v, %q\nsummary: %s", a.Level, a.Strongest(), a.Unknown, tt.want, tt.what, a.Summary())
			}
		})
	}
}

func TestAssessUnknownIsNeverNone(t *testing.T) {
	tests := []struct {
		name    string
		role    Role
		unknown string
		summary string
	}{
		{"a customer policy without its document", Role{Managed: []Policy{{Name: "deploy", ARN: "arn:aws:iam::123456789012:policy/deploy"}}},
			"arn:aws:iam::123456789012:policy/deploy", "limited as far as known; unknown, not in the input: arn:aws:iam::123456789012:policy/deploy"},
		{"an AWS managed policy outside the table", Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/AmazonEC2FullAccess"}}},
			"arn:aws:iam::aws:policy/AmazonEC2FullAccess", "limited as far as known; unknown"},
		{"an inline policy a plan does not know yet", Role{Inline: []Policy{{Name: "deploy"}}}, `inline "deploy"`, "limited as far as known; unknown"},
		{"a boundary without its document does not cap", Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}, Boundary: &Policy{ARN: "arn:aws:iam::123456789012:policy/b"}},
			"permissions boundary arn:aws:iam::123456789012:policy/b", "admin-equivalent: AdministratorAccess; permissions boundary b; unknown"},
		{"a document IAM would not store", Role{Inline: []Policy{inline(`{"Statement": 7}`)}}, `inline "p"`, "limited as far as known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.role)
			if len(a.Unknown) != 1 || a.Unknown[0] != tt.unknown || !strings.Contains(a.Summary(), tt.summary) {
				t.Errorf("unknown %q, summary %q; want %q in %q", a.Unknown, a.Summary(), tt.unknown, tt.summary)
			}
		})
	}
}

func TestAssessNoPolicies(t *testing.T) {
	if got := Assess(Role{Name: "empty"}).Summary(); got != "limited; no policies attached" {
		t.Errorf("summary %q", got)
	}
}
