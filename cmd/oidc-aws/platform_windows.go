package main

// platform is the policy CLI only. The action and credential-process are
// left out rather than half-ported: they decide what is safe from file
// owners, O_NOFOLLOW and flock (pkg/jobdir, pkg/jobfiles,
// pkg/awsprofile, pkg/credprocess), which Windows does not have, and GitHub runs the
// action in its Linux image anyway. pkg/internal/metadata checks that this
// build imports none of them.
var platform = commands{}
