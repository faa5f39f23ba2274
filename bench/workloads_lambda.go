package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Lambda workloads: a warm invoke (the per-invocation overhead of niwa's
// Runtime API and process executor) and a cold start (create a function,
// then its first invoke starts the runtime process). moto runs functions
// only in Docker, so these are niwa's numbers alone (niwaOnly).

const lambdaNiwaOnly = "moto needs Docker"

func benchZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	_, _ = w.Write([]byte("def handler(event, context):\n    return {\"ok\": True, \"n\": event.get(\"n\")}\n"))
	_ = zw.Close()
	return buf.Bytes()
}

func benchRoleSetup(ctx context.Context, cfg aws.Config) error {
	_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("bench-lambda"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	return err
}

// benchFunction creates a function whose role is in the caller's own
// account (emulators differ in their default account id, and a role of
// another account is a cross-account PassRole).
func benchFunction(ctx context.Context, cfg aws.Config, name string) error {
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	role := "arn:aws:iam::" + aws.ToString(who.Account) + ":role/bench-lambda"
	_, err = lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: benchZip()},
	})
	return err
}

func benchInvoke(ctx context.Context, cfg aws.Config, name string, i int) error {
	out, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(name), Payload: []byte(fmt.Sprintf(`{"n":%d}`, i)),
	})
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		return fmt.Errorf("function error: %s", out.Payload)
	}
	return nil
}

func lambdaWorkloads() []workload {
	return []workload{
		{name: "Lambda Invoke warm (python)", niwaOnly: lambdaNiwaOnly, setup: func(ctx context.Context, cfg aws.Config) error {
			if err := benchRoleSetup(ctx, cfg); err != nil {
				return err
			}
			return benchFunction(ctx, cfg, "bench-warm")
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			return benchInvoke(ctx, cfg, "bench-warm", i)
		}},
		{name: "Lambda cold start (update config + first invoke, python)", niwaOnly: lambdaNiwaOnly, ops: 100, setup: func(ctx context.Context, cfg aws.Config) error {
			_ = benchRoleSetup(ctx, cfg) // exists already when the warm workload ran first
			return benchFunction(ctx, cfg, "bench-cold")
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			// A configuration change retires the warm environment, so the
			// next invoke starts a new runtime process; one process lives
			// at a time however many operations run.
			_, err := lambda.NewFromConfig(cfg).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
				FunctionName: aws.String("bench-cold"), Description: aws.String(fmt.Sprint(i)),
			})
			if err != nil {
				return err
			}
			return benchInvoke(ctx, cfg, "bench-cold", i)
		}},
	}
}
