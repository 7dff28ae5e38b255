// Command godriver is one long-lived aws-sdk-go-v2 process for package
// sdkrefresh's tests, on a clock sped up by -speed, against the STS
// endpoint its argument names. It loads the default
// config once (the profile comes from AWS_PROFILE, the credential_process
// from the config file). For each line "clock" read from stdin it prints
// "clock <unix nanoseconds>", its clock's reading; for each line "call" it
// makes one GetCallerIdentity call and prints "ok <ARN>" or
// "error <message>". Tests only.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
	_ "unsafe" // go:linkname

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/org/oidc-aws-action/pkg/internal/sdkrefresh"
)

// nowTime is aws-sdk-go-v2's clock (internal/sdk.NowTime): its credential
// cache judges expiry by it (aws.Credentials.Expired) and its signer dates
// requests by it. The SDK keeps it in an internal package for its own
// tests; linking to it is the only way to move an unmodified SDK's clock.
//
//go:linkname nowTime github.com/aws/aws-sdk-go-v2/internal/sdk.NowTime
var nowTime func() time.Time

func main() {
	speed := flag.Float64("speed", 1, "how many times as fast as the real clock the SDK's runs")
	flag.Parse()
	endpoint := flag.Arg(0)
	now := time.Now()
	clock := sdkrefresh.Clock{Real: now, Virtual: now, Speed: *speed}
	nowTime = clock.Now
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "godriver:", err)
		os.Exit(1)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint) })
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "clock" {
			fmt.Printf("clock %d\n", clock.Now().UnixNano())
			continue
		}
		callCtx, cancel := context.WithTimeout(ctx, time.Minute)
		out, err := client.GetCallerIdentity(callCtx, &sts.GetCallerIdentityInput{})
		cancel()
		if err != nil {
			fmt.Println("error", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Println("ok", aws.ToString(out.Arn))
	}
}
