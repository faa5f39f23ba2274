package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func identityWorkloads() []workload {
	return append(withReplay(workload{name: "STS GetCallerIdentity", op: func(ctx context.Context, cfg aws.Config, i int) error {
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}}, replayOK("<GetCallerIdentityResult>")), []workload{
		{name: "IAM GetRole", setup: func(ctx context.Context, cfg aws.Config) error {
			_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String("bench"),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
			})
			return err
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bench")})
			return err
		}},
		{name: "IAM CreateUser", op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%d", i))})
			return err
		}},
	}...)
}
