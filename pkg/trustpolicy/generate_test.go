package trustpolicy

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// wildcardRegexp is an independent model of StringLike for the property
// test, so a bug in glob cannot hide itself.
func wildcardRegexp(p string) *regexp.Regexp {
	q := regexp.QuoteMeta(p)
	q = strings.ReplaceAll(q, `\*`, `.*`)
	q = strings.ReplaceAll(q, `\?`, `.`)
	return regexp.MustCompile(`^` + q + `$`)
}

// Generate's output must lint clean at every severity (the tools speak
// with one voice), and explain must allow exactly the requested contexts
// of exactly that repository.
func TestGenerateAllowsExactlyTheRequestedContexts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(from []string) []string {
		var out []string
		for _, v := range from {
			if rng.IntN(2) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	const ghes = "https://ghes.example.com/_services/token"
	// Each way to name the repository, with the subject's repository part
	// and the repository_id claim GitHub puts in that repository's tokens.
	repos := []struct {
		o       GenerateOptions
		subRepo string
		repoID  string
	}{
		{GenerateOptions{Repo: "octo-org/octo-repo", RepositoryID: "2000002"}, "octo-org/octo-repo", "2000002"},
		{GenerateOptions{Repo: "octo-org/octo-repo", RepositoryID: "2000002", OwnerID: "1000001"}, "octo-org/octo-repo", "2000002"},
		{GenerateOptions{Repo: "octo-org@1000001/octo-repo@2000002"}, "octo-org@1000001/octo-repo@2000002", "2000002"},
		{GenerateOptions{Repo: "a/b.c", RepositoryID: "7"}, "a/b.c", "7"},
		{GenerateOptions{Repo: "octo-org/octo-repo", RepositoryID: "2000002", OwnerID: "1000001", Issuer: ghes}, "octo-org@1000001/octo-repo@2000002", "2000002"},
	}
	branchOpts := []string{"main", "dev", "release/*", "feature-?"}
	tagOpts := []string{"v*", "v1.0.0"}
	envOpts := []string{"production", "staging"}
	probeBranches := []string{"main", "dev", "release/1.2", "release/", "feature-x", "feature-xy", "mainline", "Main"}
	probeTags := []string{"v1.2.3", "v1.0.0", "x1", "v"}
	probeEnvs := []string{"production", "staging", "Production", "dev"}

	for i := 0; i < 300; i++ {
		r := repos[rng.IntN(len(repos))]
		o := r.o
		o.Branches, o.Tags, o.Environments = pick(branchOpts), pick(tagOpts), pick(envOpts)
		o.PullRequest = rng.IntN(2) == 0
		o.Account = "123456789012"
		if len(o.Branches)+len(o.Tags)+len(o.Environments) == 0 && !o.PullRequest {
			o.PullRequest = true
		}
		p, err := Generate(o)
		if err != nil {
			t.Fatalf("Generate(%+v): %v", o, err)
		}
		if fs := Lint(p); len(fs) > 0 {
			t.Fatalf("Generate(%+v) draws lint findings: %+v", o, fs)
		}
		c, err := p.Compile()
		if err != nil {
			t.Fatal(err)
		}
		type probe struct {
			sub, repoID string
			want        bool
		}
		var probes []probe
		matchAny := func(patterns []string, v string) bool {
			for _, p := range patterns {
				if wildcardRegexp(p).MatchString(v) {
					return true
				}
			}
			return false
		}
		repo := "repo:" + r.subRepo
		for _, b := range probeBranches {
			probes = append(probes, probe{repo + ":ref:refs/heads/" + b, r.repoID, matchAny(o.Branches, b)})
		}
		for _, tg := range probeTags {
			probes = append(probes, probe{repo + ":ref:refs/tags/" + tg, r.repoID, matchAny(o.Tags, tg)})
		}
		for _, e := range probeEnvs {
			probes = append(probes, probe{repo + ":environment:" + e, r.repoID, slices.Contains(o.Environments, e)})
		}
		probes = append(probes,
			probe{repo + ":pull_request", r.repoID, o.PullRequest},
			probe{"repo:other-org/octo-repo:ref:refs/heads/main", r.repoID, false},
			probe{repo + "-fork:pull_request", r.repoID, false},
			// A new repository that took the name: same subject, other ID.
			probe{strings.Replace(repo, "@"+r.repoID, "@9", 1) + ":pull_request", "9", false},
		)
		issuer := DefaultIssuer
		if o.Issuer != "" {
			issuer = o.Issuer
		}
		for _, pr := range probes {
			cl := map[string]any{"iss": issuer, "aud": "sts.amazonaws.com", "sub": pr.sub, "repository_id": pr.repoID, "repository_owner_id": "1000001"}
			res := c.Check(Request{Issuer: issuer, Claims: cl})
			if res.Allowed != pr.want {
				json, _ := p.JSON()
				t.Fatalf("options %+v: sub %q repository_id %q allowed=%v, want %v\n%s", o, pr.sub, pr.repoID, res.Allowed, pr.want, json)
			}
			if pr.want {
				cl["aud"] = "https://github.com/octo-org"
				if c.Check(Request{Issuer: issuer, Claims: cl}).Allowed {
					t.Fatalf("options %+v: the wrong audience was allowed for %q", o, pr.sub)
				}
			}
		}
	}
}

func TestGenerateOutput(t *testing.T) {
	p, err := Generate(GenerateOptions{
		Repo:         "octo-org/octo-repo",
		RepositoryID: "2000002",
		Branches:     []string{"main"},
		Environments: []string{"production"},
		Tags:         []string{"v*"},
		PullRequest:  true,
		Account:      "123456789012",
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "generate_pattern.json", js)
	golden(t, "generate_pattern.tf", []byte(p.Terraform()))

	p, err = Generate(GenerateOptions{Repo: "octo-org/octo-repo", RepositoryID: "2000002", OwnerID: "1000001", Branches: []string{"main"},
		ProviderARN: "arn:aws-us-gov:iam::123456789012:oidc-provider/ghes.example.com/_services/token", Issuer: "https://ghes.example.com/_services/token"})
	if err != nil {
		t.Fatal(err)
	}
	js, err = p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "generate_ghes.json", js)
}

func TestGenerateValidates(t *testing.T) {
	ok := GenerateOptions{Repo: "o/r", RepositoryID: "3", Branches: []string{"main"}, Account: "123456789012"}
	tests := []struct {
		name   string
		change func(*GenerateOptions)
		want   string
	}{
		{"a missing repo", func(o *GenerateOptions) { o.Repo = "" }, "missing --repo"},
		{"a repo without owner", func(o *GenerateOptions) { o.Repo = "repo" }, `invalid --repo "repo": not of the form OWNER/REPO`},
		{"a repo with a path", func(o *GenerateOptions) { o.Repo = "o/r/x" }, `invalid --repo`},
		{"an owner with bad characters", func(o *GenerateOptions) { o.Repo = "o_o/r" }, `owner "o_o"`},
		{"an immutable repo with one ID", func(o *GenerateOptions) { o.Repo = "o@1/r" }, `give IDs for both`},
		{"an owner of 40 characters", func(o *GenerateOptions) { o.Repo = strings.Repeat("o", 40) + "/r" }, `is not a GitHub user or organisation name`},
		{"a repository name of 101 characters", func(o *GenerateOptions) { o.Repo = "o/" + strings.Repeat("r", 101) }, `has characters GitHub does not allow`},
		{"a repository ID of 21 digits", func(o *GenerateOptions) { o.RepositoryID = strings.Repeat("1", 21) }, `want the decimal ID`},
		{"no context", func(o *GenerateOptions) { o.Branches = nil }, "no context given"},
		{"a short account", func(o *GenerateOptions) { o.Account = "12345" }, `invalid --account "12345"`},
		{"no account", func(o *GenerateOptions) { o.Account = "" }, "missing --account or --provider-arn"},
		{"a malformed provider ARN", func(o *GenerateOptions) { o.Account = ""; o.ProviderARN = "arn:aws:iam::1:role/x" }, `invalid --provider-arn`},
		{"a provider ARN for another issuer", func(o *GenerateOptions) {
			o.Account = ""
			o.ProviderARN = "arn:aws:iam::123456789012:oidc-provider/ghes.example.com/_services/token"
		}, `but --issuer is`},
		{"an account that contradicts the ARN", func(o *GenerateOptions) {
			o.ProviderARN = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"
		}, `invalid --account "123456789012": --provider-arn names account`},
		{"a branch given as a full ref", func(o *GenerateOptions) { o.Branches = []string{"refs/heads/main"} }, `invalid --branch "refs/heads/main": give the name without "refs/heads/"`},
		{"a branch with a colon", func(o *GenerateOptions) { o.Branches = []string{"a:b"} }, `invalid --branch "a:b"`},
		{"a branch with a newline", func(o *GenerateOptions) { o.Branches = []string{"main\n::warning::x"} }, `invalid --branch "main\n::warning::x": it contains control characters`},
		{"a tag with a space", func(o *GenerateOptions) { o.Tags = []string{"v 1"} }, `invalid --tag "v 1"`},
		{"an environment with a wildcard", func(o *GenerateOptions) { o.Environments = []string{"prod*"} }, `invalid --environment "prod*"`},
		{"an empty environment", func(o *GenerateOptions) { o.Environments = []string{" "} }, `invalid --environment " ": it is empty`},
		{"an http issuer", func(o *GenerateOptions) { o.Issuer = "http://token.actions.githubusercontent.com" }, `invalid --issuer`},
		{"a wildcard audience", func(o *GenerateOptions) { o.Audience = "*" }, `invalid --audience "*"`},
		{"an unknown partition", func(o *GenerateOptions) { o.Partition = "azure" }, `invalid --partition "azure"`},
		{"a repository by name without its ID says what is missing", func(o *GenerateOptions) { o.RepositoryID = "" }, "missing --repository-id: a subject that names the repository only by name also admits a new repository that takes the name after a rename or transfer; give --repository-id (and --owner-id) from `gh api repos/o/r --jq .id,.owner.id`"},
		{"a repository ID that is not a number", func(o *GenerateOptions) { o.RepositoryID = "r" }, `invalid --repository-id "r": want the decimal ID`},
		{"IDs given twice", func(o *GenerateOptions) { o.Repo = "o@1/r@2" }, `invalid --repository-id "3": --repo already gives the IDs`},
		{"a GHES issuer needs the owner ID too", func(o *GenerateOptions) {
			o.Issuer = "https://ghes.example.com/_services/token"
		}, `missing --owner-id: IAM has no repository_id condition key for issuer "ghes.example.com/_services/token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			o.Branches = append([]string(nil), ok.Branches...)
			tt.change(&o)
			_, err := Generate(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestHCLStringKeepsPolicyVariablesLiteral(t *testing.T) {
	got := hclString("${aws:username} %{x} \"q\" \\ \n")
	want := `"$${aws:username} %%{x} \"q\" \\ \n"`
	if got != want {
		t.Errorf("hclString = %s, want %s", got, want)
	}
}
