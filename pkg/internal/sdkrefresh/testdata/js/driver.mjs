// One long-lived AWS SDK for JavaScript v3 process for package sdkrefresh's
// tests. It makes one STS client, whose credentials come from fromIni (the
// profile from AWS_PROFILE, the credential_process from the config file)
// or from the SDK's default chain, as its first argument says ("fromIni" or
// "default"); the second is the STS endpoint.
// For each line "clock" read from stdin it prints "clock <unix
// nanoseconds>", its clock's reading; for each line "call" it makes one
// GetCallerIdentity call and prints "ok <ARN>" or "error <message>". The test runs it under libfaketime, so its clock is
// sped up from outside.
import { createInterface } from "node:readline";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromIni } from "@aws-sdk/credential-providers";

const [chain, endpoint] = process.argv.slice(2);
const client = new STSClient({
  endpoint,
  region: "us-east-1",
  credentials: chain === "default" ? undefined : fromIni(),
});
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "clock") {
    console.log(`clock ${BigInt(Date.now()) * 1000000n}`);
    continue;
  }
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    console.log(`ok ${out.Arn}`);
  } catch (e) {
    console.log(`error ${String(e.message).replace(/\n/g, " ")}`);
  }
}
